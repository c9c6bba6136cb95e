"""Retention: delete the lake's partitions older than an age, like an S3 lifecycle rule.

A dry run lists what would go; an age below one day (which would delete today's data too)
needs an explicit confirmation; the report always names each partition removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.lake.catalog import table_files
from vigil.lake.locking import lake_lock
from vigil.lake.maintenance import date_of, tables_named
from vigil.lake.manifest import Manifest
from vigil.lake.store import LakeStore
from vigil.lake.tables import TABLES
from vigil.lake.writer import LakeWriter

_AGE: Final = re.compile(r"^(\d+)\s*([hdw])$")
_UNIT_HOURS: Final = {"h": 1, "d": 24, "w": 24 * 7}


def parse_age(text: str) -> timedelta:
    match = _AGE.match(text.strip().lower())
    if match is None:
        raise ConfigError(
            f"cannot read the age {text!r}",
            hint="write it as hours, days or weeks, e.g. 90d or 12w",
        )
    return timedelta(hours=int(match.group(1)) * _UNIT_HOURS[match.group(2)])


@dataclass
class Partition:
    table: str
    partition: str  # e.g. aws_account=…/aws_region=…/date=2024-01-01
    files: int = 0
    rows: int = 0
    bytes: int = 0


@dataclass
class ExpireReport:
    cutoff: str  # partitions dated before this day go
    dry_run: bool
    partitions: int = 0
    files: int = 0
    rows: int = 0
    bytes: int = 0
    removed: list[Partition] = field(default_factory=list)


def expire(
    settings: Settings,
    older_than: str,
    table: str | None = None,
    *,
    dry_run: bool = False,
    confirmed: bool = False,
    now: datetime | None = None,
) -> ExpireReport:
    """Delete (or, dry, list) partitions whose date is before now - older_than."""
    age = parse_age(older_than)
    if age < timedelta(days=1) and not (dry_run or confirmed):
        raise ConfigError(
            f"--older-than {older_than} would delete today's data as well",
            hint="look first with --dry-run, then pass --yes to confirm",
        )
    cutoff = ((now or datetime.now(UTC)) - age).date()
    names = tables_named(table)
    report = ExpireReport(cutoff=str(cutoff), dry_run=dry_run)
    with lake_lock(settings.home):
        manifest = Manifest(settings.state_db)
        try:
            writer = LakeWriter(settings, manifest)
            if not dry_run:
                writer.recover()
            for name in names:
                old = _older(settings.lake_dir, name, cutoff)
                _count(report, name, settings.lake_dir / name, old, writer.store)
                if old and not dry_run:
                    writer.replace(TABLES[name], None, None, old)
                    _prune_dirs(settings.lake_dir / name)
        finally:
            manifest.close()
    return report


def _older(lake: Path, name: str, cutoff: date) -> list[Path]:
    return [f for f in table_files(lake, name) if date_of(f.parent) < cutoff]


def _count(
    report: ExpireReport, name: str, root: Path, files: list[Path], store: LakeStore
) -> None:
    by_partition: dict[Path, Partition] = {}
    for f in sorted(files):
        part = by_partition.setdefault(
            f.parent, Partition(name, f.parent.relative_to(root).as_posix())
        )
        part.files += 1
        part.rows += store.rows(f)
        part.bytes += store.size(f)
    for part in by_partition.values():
        report.removed.append(part)
        report.partitions += 1
        report.files += part.files
        report.rows += part.rows
        report.bytes += part.bytes


def _prune_dirs(root: Path) -> None:
    for path in sorted(root.glob("**/"), key=lambda p: len(p.parts), reverse=True):
        if path != root and path.is_dir() and not any(path.iterdir()):
            path.rmdir()
