"""Atomic, journaled writes of Parquet files into the lake's hive partitions.

A batch is staged under <home>/staging, journaled in the manifest as `pending`, moved into its
partition directories (as `*.inflight`, which readers ignore), renamed into place, and
committed together with the objects it came from. `recover()` rolls back any batch a crash left
pending (or finishes a compaction whose new files were all in place), so the next run starts
clean and nothing is half-ingested or doubled.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from vigil.config import Settings
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.lake.tables import PartKey, TableSpec

INFLIGHT = ".inflight"


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
    return options


@dataclass
class Batch:
    """Rows bound for the lake, grouped by partition, and the objects they came from."""

    spec: TableSpec
    parts: dict[PartKey, list[pa.Table]] = field(default_factory=dict)
    objects: list[ObjectRecord] = field(default_factory=list)
    rows: int = 0
    nbytes: int = 0

    def add(self, key: PartKey, table: pa.Table) -> None:
        self.parts.setdefault(key, []).append(table)
        self.rows += table.num_rows
        self.nbytes += table.nbytes


class LakeWriter:
    def __init__(self, settings: Settings, manifest: Manifest) -> None:
        self.settings = settings
        self.manifest = manifest

    def recover(self) -> int:
        """Finish or undo batches a crash interrupted; returns how many were repaired."""
        repaired = 0
        for batch_id, files, removes in self.manifest.pending_batches():
            placed = all(Path(f + INFLIGHT).exists() or Path(f).exists() for f in files)
            if removes and placed:
                self._publish(files, removes)  # a compaction with all its new files: finish it
            else:
                for f in files:
                    Path(f).unlink(missing_ok=True)
                    Path(f + INFLIGHT).unlink(missing_ok=True)
            self.manifest.forget_batch(batch_id)
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
        final = [str(target) for target, _ in staged]
        self.manifest.begin_batch(batch_id, final)
        self._move_inflight(staged)
        self._publish(final, [])
        self.manifest.commit_batch(batch_id, [replace(o, batch_id=batch_id) for o in batch.objects])
        shutil.rmtree(self.settings.staging_dir / batch_id, ignore_errors=True)
        return [Path(f) for f in final]

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
            pq.write_table(table, staging / name, **write_options(spec))
            out.append(
                (partition_dir(self.settings.lake_dir, spec.name, key) / name, staging / name)
            )
        return out

    @staticmethod
    def _move_inflight(files: list[tuple[Path, Path]]) -> None:
        for target, staged in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, str(target) + INFLIGHT)

    @staticmethod
    def _publish(final: list[str], removes: list[str]) -> None:
        for path in removes:
            Path(path).unlink(missing_ok=True)
        for path in final:
            inflight = Path(path + INFLIGHT)
            if inflight.exists():
                os.replace(inflight, path)


def key_of(partition: Path) -> PartKey:
    """The partition key of a partition directory."""
    region_dir, account_dir = partition.parent, partition.parent.parent
    return (
        account_dir.name.split("=", 1)[1],
        region_dir.name.split("=", 1)[1],
        date.fromisoformat(partition.name.split("=", 1)[1]),
    )
