"""Atomic, journaled writes of Parquet files into the lake's hive partitions.

A batch is staged under <home>/staging, journaled in the manifest as `pending` (with the files it
adds and removes and the objects it marks), moved into its partition directories (as
`*.inflight`, which readers ignore), renamed into place, and committed together with the objects
it came from. A batch that replaces objects' earlier rows (a re-ingest, an object rewritten with
more content) also rewrites the files holding those rows without them, in the same batch.
`recover()` finishes any batch a crash left pending whose files were all in place and rolls back
the others, so the next run starts clean and nothing is half-ingested or doubled.

Where the files go is the lake's `LakeStore` (`vigil.lake.store`): a local folder, or S3, where
"moved into place" is an upload under the final key and an index entry beside the final one.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from vigil.config import Settings
from vigil.lake.catalog import table_files
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.lake.partitions import PartKey
from vigil.lake.snapshot import publish
from vigil.lake.store import INFLIGHT, LakeStore, store_for
from vigil.lake.tables import SOURCE_FILE, TableSpec


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


def partition_dir(lake: Path, table: str, key: PartKey) -> Path:
    account, region, day = key
    return lake / table / f"aws_account={account}" / f"aws_region={region}" / f"date={day}"


def write_options(spec: TableSpec) -> dict[str, Any]:
    """Fresh ingest favours speed; compaction rewrites smaller (zstd, in DuckDB)."""
    codec, level = spec.compression
    options: dict[str, Any] = {"compression": codec}
    if level is not None:
        options["compression_level"] = level
    if spec.dictionary_columns:
        options["use_dictionary"] = list(spec.dictionary_columns)
    if spec.statistics_columns:
        options["write_statistics"] = list(spec.statistics_columns)
    if spec.row_group_rows:
        options["row_group_size"] = spec.row_group_rows
    return options


def clustered(spec: TableSpec, table: pa.Table) -> pa.Table:
    """The rows in the table's cluster order (CloudTrail: by service and event name, so that
    row groups hold few names and queries for rare calls skip the rest)."""
    if not spec.cluster_by or table.num_rows < 2:
        return table
    return table.sort_by([(c, "ascending") for c in spec.cluster_by])


@dataclass
class Batch:
    """Rows bound for the lake, grouped by partition, and the objects they came from."""

    spec: TableSpec
    parts: dict[PartKey, list[pa.Table]] = field(default_factory=dict)
    objects: list[ObjectRecord] = field(default_factory=list)
    rows: int = 0
    nbytes: int = 0
    replaces: set[str] = field(default_factory=set)  # source files whose earlier rows go

    def add(self, key: PartKey, table: pa.Table) -> None:
        self.parts.setdefault(key, []).append(table)
        self.rows += table.num_rows
        self.nbytes += table.nbytes


class LakeWriter:
    def __init__(self, settings: Settings, manifest: Manifest) -> None:
        self.settings = settings
        self.manifest = manifest
        self.store = store_for(settings)  # a local folder, or objects on S3

    def recover(self) -> int:
        """Finish or undo batches a crash interrupted; returns how many were repaired."""
        repaired = 0
        for pending in self.manifest.pending_batches():
            files, removes = pending.files, pending.removes
            placed = all(Path(f + INFLIGHT).exists() or Path(f).exists() for f in files)
            # A batch journaled without its objects (an older release) can only be finished
            # when it marks none: a compaction or retention run.
            finishable = pending.objects is not None or removes
            if placed and finishable:
                self._publish(files, removes)
                self.manifest.commit_batch(pending.batch_id, pending.objects or [])
            else:  # on S3 also the objects uploaded before the crash
                for f in files:
                    self.store.remove(Path(f))
            self.manifest.forget_batch(pending.batch_id)
            repaired += 1
        # Staged files of a batch that never reached the journal: nothing refers to them.
        if self.settings.staging_dir.exists():
            for leftover in self.settings.staging_dir.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)
        return repaired

    def commit(self, batch: Batch) -> list[Path]:
        """Write a batch's rows and mark its objects, all or nothing."""
        batch_id = new_batch_id()
        staged = self._stage(batch.spec, batch.parts, batch_id)
        removes: list[str] = []
        if batch.replaces:
            kept, old = self._without(batch.spec, batch.replaces, batch_id)
            staged += kept
            removes = [str(p) for p in old]
        final = [str(target) for target, _ in staged]
        objects = [replace(o, batch_id=batch_id) for o in batch.objects]
        self.manifest.begin_batch(batch_id, final, removes, objects)
        self._move_inflight(staged)
        self._publish(final, removes)
        self.manifest.commit_batch(batch_id, objects)
        shutil.rmtree(self.settings.staging_dir / batch_id, ignore_errors=True)
        return [Path(f) for f in final]

    def _without(
        self, spec: TableSpec, uris: set[str], batch_id: str
    ) -> tuple[list[tuple[Path, Path]], list[Path]]:
        """Each lake file holding rows of `uris`, rewritten to staging without them (streamed
        a row group at a time); the (final, staged) pairs and the files they replace."""
        staging = self.settings.staging_dir / batch_id / f"{spec.name}-kept"
        wanted = pa.array(sorted(uris), pa.string())
        out: list[tuple[Path, Path]] = []
        old = files_holding(self.settings.lake_dir, spec.name, uris, self.store)
        for n, path in enumerate(old):
            source = self.store.parquet(path)
            name = f"part-{batch_id}-k{n:04d}.parquet"
            target = staging / name
            staging.mkdir(parents=True, exist_ok=True)
            kept = 0
            options = write_options(spec)
            groups = options.pop("row_group_size", None)  # the writer takes it a batch at a time
            with pq.ParquetWriter(target, source.schema_arrow, **options) as sink:
                for chunk in source.iter_batches():
                    lineage = chunk.column(SOURCE_FILE)
                    if pa.types.is_dictionary(lineage.type):
                        lineage = lineage.cast(pa.string())
                    rows = chunk.filter(pc.invert(pc.is_in(lineage, value_set=wanted)))
                    if rows.num_rows:
                        sink.write_batch(rows, row_group_size=groups)
                        kept += rows.num_rows
            if kept:
                out.append((path.parent / name, target))
        return out, old

    def replace(
        self,
        spec: TableSpec,
        key: PartKey | None,
        write: Callable[[Path], int] | None,
        removes: list[Path],
    ) -> list[Path]:
        """Swap the files `removes` for one new file in partition `key`, which `write(path)`
        creates and returns the row count of (compaction); with no writer, or no rows, the
        files are only removed (retention)."""
        batch_id = new_batch_id()
        staged: list[tuple[Path, Path]] = []
        if key is not None and write is not None:
            name = f"part-{batch_id}-0000.parquet"
            path = self.settings.staging_dir / batch_id / spec.name / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if write(path):
                staged.append((partition_dir(self.settings.lake_dir, spec.name, key) / name, path))
        final = [str(target) for target, _ in staged]
        gone = [str(p) for p in removes]
        self.manifest.begin_batch(batch_id, final, gone)
        self._move_inflight(staged)
        self._publish(final, gone)
        self.manifest.commit_batch(batch_id, [])
        shutil.rmtree(self.settings.staging_dir / batch_id, ignore_errors=True)
        return [Path(f) for f in final]

    def _stage(
        self, spec: TableSpec, parts: dict[PartKey, list[pa.Table]], batch_id: str
    ) -> list[tuple[Path, Path]]:
        """Write one Parquet file per partition to staging; (final path, staged path) pairs."""
        staging = self.settings.staging_dir / batch_id / spec.name
        out: list[tuple[Path, Path]] = []
        for n, (key, tables) in enumerate(sorted(parts.items())):
            table = (
                tables[0]
                if len(tables) == 1
                else pa.concat_tables(tables, promote_options="default")
            )
            name = f"part-{batch_id}-{n:04d}.parquet"
            staging.mkdir(parents=True, exist_ok=True)
            pq.write_table(clustered(spec, table), staging / name, **write_options(spec))
            out.append(
                (partition_dir(self.settings.lake_dir, spec.name, key) / name, staging / name)
            )
        return out

    def _move_inflight(self, files: list[tuple[Path, Path]]) -> None:
        """Each staged file into the lake beside its final name (on S3: uploaded under its
        final key, its index entry beside the final one), where no reader lists it yet."""
        for target, staged in files:
            self.store.place(staged, target)

    def _publish(self, final: list[str], removes: list[str]) -> None:
        """The new files in place and the replaced ones retired, as one change to readers
        (a replaced file is deleted once no query that may read it is running)."""
        publish(self.settings.lake_dir, final, removes, INFLIGHT, self.store.remove)


def local_duckdb() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for rewriting lake files (compaction, retention): the
    writer's own tool, not a query engine over the lake (that is `vigil.query.engine`)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def files_holding(
    lake: Path, table: str, uris: set[str], store: LakeStore | None = None
) -> list[Path]:
    """The table's lake files with rows from any of these source files (reads only the
    dictionary-encoded lineage column)."""
    files = table_files(lake, table)
    if not files or not uris:
        return []
    if store is not None and store.remote:
        return [f for f in files if _holds(store, f, uris)]
    con = duckdb.connect(":memory:")
    try:
        con.register("_wanted", pa.table({"uri": pa.array(sorted(uris), pa.string())}))
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        rows = con.execute(
            f"SELECT DISTINCT filename FROM read_parquet([{listed}], filename = true, "
            f"union_by_name = true, hive_partitioning = false) "
            f"WHERE {SOURCE_FILE} IN (SELECT uri FROM _wanted)"
        ).fetchall()
    finally:
        con.close()
    return sorted(Path(r[0]) for r in rows)


def _holds(store: LakeStore, path: Path, uris: set[str]) -> bool:
    """Whether one lake object has rows of these source files (its lineage column only)."""
    lineage = store.parquet(path).read(columns=[SOURCE_FILE]).column(SOURCE_FILE)
    wanted = pa.array(sorted(uris), pa.string())
    values = lineage.cast(pa.string()) if pa.types.is_dictionary(lineage.type) else lineage
    return bool(pc.any(pc.is_in(values, value_set=wanted)).as_py())


def key_of(partition: Path) -> PartKey:
    """The partition key of a partition directory."""
    region_dir, account_dir = partition.parent, partition.parent.parent
    return (
        account_dir.name.split("=", 1)[1],
        region_dir.name.split("=", 1)[1],
        date.fromisoformat(partition.name.split("=", 1)[1]),
    )
