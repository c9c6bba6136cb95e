"""Lake upkeep: what is there (info), fewer bigger files (compact). Retention: lake/expire.py."""

from __future__ import annotations

import os
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

import pyarrow.parquet as pq

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.lake.catalog import table_files
from vigil.lake.locking import lake_lock
from vigil.lake.manifest import Manifest
from vigil.lake.store import LakeStore, store_for
from vigil.lake.tables import SOURCE_FILE, TABLES, TableSpec
from vigil.lake.writer import LakeWriter, key_of, local_duckdb, new_batch_id


@dataclass
class TableInfo:
    table: str
    partitions: int = 0
    files: int = 0
    rows: int = 0
    bytes: int = 0
    first_date: str | None = None
    last_date: str | None = None


@dataclass
class LakeInfo:
    home: str
    tables: list[TableInfo] = field(default_factory=list)
    objects: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0


def partition_of(path: Path) -> Path:
    return path.parent


def date_of(partition: Path) -> date:
    return date.fromisoformat(partition.name.split("=", 1)[1])


def lake_info(settings: Settings) -> LakeInfo:
    info = LakeInfo(home=str(settings.home))
    store = store_for(settings)  # sizes and rows: from the index on S3, not the objects
    for name in TABLES:
        t = TableInfo(name)
        files = table_files(settings.lake_dir, name)
        parts = {partition_of(f) for f in files}
        t.partitions, t.files = len(parts), len(files)
        for f in files:
            t.rows += store.rows(f)
            t.bytes += store.size(f)
        if parts:
            days = sorted(date_of(p) for p in parts)
            t.first_date, t.last_date = str(days[0]), str(days[-1])
        info.tables.append(t)
    if settings.state_db.exists():
        manifest = Manifest(settings.state_db)
        info.objects = manifest.counts()
        manifest.close()
    if settings.quarantine_dir.exists():
        info.quarantined = sum(1 for _ in settings.quarantine_dir.iterdir())
    return info


@dataclass
class CompactReport:
    partitions: int = 0
    files_before: int = 0
    files_after: int = 0
    rows_before: int = 0
    rows_after: int = 0
    # table → why → rows removed: only copies of a record (the same natural key, or where the
    # record has no complete natural key, the same content in every column)
    removed: dict[str, dict[str, int]] = field(default_factory=dict)


SAME_KEY: Final = "same natural key"
MEMORY: Final = "1GB"  # DuckDB's for one merge (`vigil lake compact`); beyond it, it spills
UPKEEP_MEMORY: Final = "512MB"  # a server's steady merge of small files, beside its requests
IDENTICAL: Final = "identical record (no natural key)"


def compact(
    settings: Settings,
    table: str | None = None,
    min_files: int = 2,
    small_bytes: int | None = None,
) -> CompactReport:
    """Merge each partition's files into one, dropping only copies of a record (an object
    re-delivered under another name). With `small_bytes`, only the files smaller than that are
    merged (a server's steady upkeep: many small commits become one file, and a file that has
    grown past the size is not rewritten again)."""
    report = CompactReport()
    names = tables_named(table)
    manifest = Manifest(settings.state_db)
    try:
        writer = LakeWriter(settings, manifest)
        with lake_lock(settings.home):
            writer.recover()
        for name in names:
            spec = TABLES[name]
            groups: dict[Path, list[Path]] = defaultdict(list)
            for f in table_files(settings.lake_dir, name):
                if small_bytes is None or _size(writer.store, f) < small_bytes:
                    groups[partition_of(f)].append(f)
            removed: Counter[str] = Counter()
            for files in groups.values():
                if len(files) >= min_files:
                    _compact_one(settings, writer, spec, files, removed, report,
                                 UPKEEP_MEMORY if small_bytes is not None else MEMORY)  # fmt: skip
            if removed:
                key = f"{SAME_KEY} ({', '.join(spec.dedup_key)})"
                report.removed[name] = {
                    (key if why == SAME_KEY else why): n for why, n in removed.items() if n
                }
    finally:
        manifest.close()
    return report


def _compact_one(settings: Settings, writer: LakeWriter, spec: TableSpec, files: list[Path],
                 removed: Counter[str], report: CompactReport, memory: str) -> None:  # fmt: skip
    """Merge one partition's files into a staged file without holding the lake's lock (writers
    go on meanwhile: the files are immutable), then swap it in under the lock, unless a file
    was taken away meanwhile (another compaction, retention): then the merge is dropped."""
    # not under staging: a writer's recovery empties that of whatever no batch claims
    work = settings.temp_dir / f"compact-{new_batch_id()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        merged = work / "merged.parquet"
        mine: Counter[str] = Counter()
        with writer.store.local(files, work) as readable:  # on S3: copies, one partition's
            rows = _merge(readable, spec, mine, merged, memory)
        before = _rows(writer.store, files)

        def move(target: Path) -> int:
            os.replace(merged, target)
            return rows

        with lake_lock(settings.home):
            if not all(f.exists() for f in files):
                return
            written = writer.replace(spec, key_of(files[0].parent), move, files)
        removed.update(mine)
        report.partitions += 1
        report.files_before += len(files)
        report.rows_before += before
        report.rows_after += rows if written else 0
        report.files_after += len(written)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _size(store: LakeStore, path: Path) -> int:
    try:
        return store.size(path)
    except FileNotFoundError:  # removed by a retention run meanwhile
        return 1 << 62


def _merge(files: list[Path], spec: TableSpec, removed: Counter[str], target: Path,
           memory: str = "1GB") -> int:  # fmt: skip
    """Stream the files through DuckDB into one de-duplicated zstd file; its rows.

    A row is a copy of an earlier one when its natural key (`key`, every part present) is the
    same, or — where the key is incomplete (a CloudTrail record without an eventID, a NODATA
    flow record) — when every column but the lineage is the same. Distinct records are never
    merged. Rows keep their arrival order (objects are read in key order, which is time
    order), so row groups stay narrow in time without the cost of a sort, except in a table
    clustered by other columns (CloudTrail: by service and event name), which is sorted so.

    Copies are looked for with a 64-bit hash first: if the hashes are all distinct the rows
    are too, and the costly exact de-duplication is skipped. DuckDB works in a bounded amount
    of memory and spills to a temporary folder beside the target.
    """
    key = spec.dedup_key
    con = local_duckdb()
    try:
        spill = target.parent / "spill"
        con.execute(f"SET temp_directory = {_quote(str(spill))}")
        con.execute(f"SET memory_limit = {_quote(memory)}")
        paths = ", ".join(_quote(str(f)) for f in files)
        source = f"read_parquet([{paths}], union_by_name = true, hive_partitioning = false)"
        present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        keys = [f'"{k}"' for k in key]
        complete = " AND ".join(f"{k} IS NOT NULL" for k in keys)
        if any(k not in present for k in key):  # the files lack part of the key: content only
            keys, complete = [], "false"
        content = ", ".join(f'"{c}" := "{c}"' for c in present if c != SOURCE_FILE)
        keyed = (
            f"SELECT *, ({complete}) AS _complete, CASE WHEN {complete} THEN NULL "
            f"ELSE to_json(struct_pack({content})) END AS _content FROM {source}"
        )
        identity = ", ".join([*keys, "_content"])
        rows, hashes = con.execute(
            f"SELECT count(*), count(DISTINCT hash({identity})) FROM ({keyed})"
        ).fetchall()[0]
        query = f"SELECT * FROM {source}"
        if rows != hashes:
            ranked = f"SELECT *, row_number() OVER (PARTITION BY {identity}) AS _rn FROM ({keyed})"
            by_key, identical = con.execute(
                f"SELECT count(*) FILTER (WHERE _rn > 1 AND _complete), "
                f"count(*) FILTER (WHERE _rn > 1 AND NOT _complete) FROM ({ranked})"
            ).fetchall()[0]
            removed[SAME_KEY] += int(by_key)
            removed[IDENTICAL] += int(identical)
            query = f"SELECT * EXCLUDE (_rn, _complete, _content) FROM ({ranked}) WHERE _rn = 1"
        options = "FORMAT parquet, COMPRESSION zstd"
        if spec.cluster_by and all(c in present for c in spec.cluster_by):
            query += " ORDER BY " + ", ".join(f'"{c}"' for c in spec.cluster_by)
        if spec.row_group_rows:
            options += f", ROW_GROUP_SIZE {int(spec.row_group_rows)}"
        con.execute(f"COPY ({query}) TO {_quote(str(target))} ({options})")
        return int(pq.ParquetFile(target).metadata.num_rows)
    finally:
        con.close()


def _rows(store: LakeStore, files: list[Path]) -> int:
    return sum(store.rows(f) for f in files)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def tables_named(table: str | None) -> list[str]:
    if table is None:
        return list(TABLES)
    if table not in TABLES:
        raise ConfigError(f"no table {table!r}", hint=f"tables: {', '.join(TABLES)}")
    return [table]
