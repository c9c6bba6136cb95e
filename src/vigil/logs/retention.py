"""Removing what log groups no longer hold from the lake's files: events past their group's
retention, and events of deleted (or deleted and re-created) groups.

Reads already hide such events; this reclaims the space, as CloudWatch deletes expired data
some time after it expires. A partition is rewritten only when it holds something to drop,
through the lake writer's journaled replace (a crash leaves the old files or the new ones).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.lake.catalog import table_files
from vigil.lake.locking import lake_lock
from vigil.lake.manifest import Manifest
from vigil.logs.groups import LogStore
from vigil.logs.pattern_sql import literal
from vigil.logs.put import DAY_MS


@dataclass
class ExpireReport:
    partitions: int = 0
    removed: int = 0
    kept: int = 0


def keep_condition(settings: Settings, now: int) -> str:
    """SQL over log_events rows: true for events some live group still holds."""
    with LogStore(settings) as store:
        groups = store.groups()
    if not groups:
        return "false"
    parts = []
    for g in groups:
        test = f"(log_group = {literal(g.name)} AND ingestion_time >= {g.created_ms}"
        if g.retention_days is not None:
            test += f' AND "timestamp" >= {now - g.retention_days * DAY_MS}'
        parts.append(test + ")")
    return " OR ".join(parts)


def expire_events(settings: Settings, now: int | None = None) -> ExpireReport:
    from vigil.lake.tables import LOG_EVENTS  # Arrow and DuckDB load when the lake is touched
    from vigil.lake.writer import LakeWriter, key_of

    now = now_ms() if now is None else now
    keep = keep_condition(settings, now)
    report = ExpireReport()
    with lake_lock(settings.home):
        manifest = Manifest(settings.state_db)
        try:
            writer = LakeWriter(settings, manifest)
            writer.recover()
            by_partition: dict[Path, list[Path]] = {}
            for path in table_files(settings.lake_dir, LOG_EVENTS.name):  # not retired ones
                by_partition.setdefault(path.parent, []).append(path)
            work = settings.temp_dir / f"log-retention-{os.getpid()}"
            for partition, files in sorted(by_partition.items()):
                # a lake on S3: the partition's objects copied to `work` for DuckDB to read
                with writer.store.local(files, work) as readable:
                    dropped, kept = _counts(readable, keep)
                    if not dropped:
                        continue
                    report.partitions += 1
                    report.removed += dropped
                    report.kept += kept

                    def write(target: Path, files: list[Path] = readable) -> int:
                        return _write(files, keep, target)

                    writer.replace(LOG_EVENTS, key_of(partition) if kept else None, write, files)
        finally:
            manifest.close()
    return report


def _source(files: list[Path]) -> str:
    listed = ", ".join(literal(str(f)) for f in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def _counts(files: list[Path], keep: str) -> tuple[int, int]:
    from vigil.lake.writer import local_duckdb

    con = local_duckdb()
    try:
        row = con.sql(
            f"SELECT count(*) FILTER (WHERE NOT coalesce({keep}, false)), "
            f"count(*) FILTER (WHERE coalesce({keep}, false)) FROM {_source(files)}"
        ).fetchall()[0]
    finally:
        con.close()
    return int(row[0]), int(row[1])


def _write(files: list[Path], keep: str, target: Path) -> int:
    from vigil.lake.writer import local_duckdb

    con = local_duckdb()
    try:
        con.execute(
            f"COPY (SELECT * FROM {_source(files)} WHERE coalesce({keep}, false)) "
            f"TO {literal(str(target))} (FORMAT parquet, COMPRESSION zstd)"
        )
        return int(
            con.sql(f"SELECT count(*) FROM read_parquet({literal(str(target))})").fetchall()[0][0]
        )
    finally:
        con.close()
