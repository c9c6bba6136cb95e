"""The quarantine: objects and records ingest could not take; show, retry, purge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.ingest import quarantine
from vigil.ingest import retry as retrying
from vigil.ingest.quarantine import Entry as Entry
from vigil.ingest.retry import Overrides as Overrides
from vigil.ingest.retry import RetryReport as RetryReport
from vigil.lake.manifest import Manifest
from vigil.live.follow import after_ingest
from vigil.live.intake import intake
from vigil.sources.objects import SourceObject


@dataclass
class QuarantineDetail:
    entry: Entry
    rejected: list[dict[str, Any]]


def entries(settings: Settings) -> list[Entry]:
    return quarantine.entries(settings.quarantine_dir)


def show(settings: Settings, ident: str, lines: int = 20) -> QuarantineDetail:
    entry = quarantine.chosen(settings.quarantine_dir, [ident])[0]
    return QuarantineDetail(entry, quarantine.rejected_lines(entry, lines))


def retry(
    settings: Settings,
    ids: list[str],
    overrides: Overrides,
    on_object: Callable[[SourceObject, int], None] | None = None,
) -> RetryReport:
    """Read quarantined objects again (all, or those named), then what follows an ingest."""
    settings.ensure()
    report = retrying.retry(settings, ids, overrides, on_object, intake(settings))
    for part in report.ingest:
        after_ingest(settings, part, None, events=True)
    return report


def purge(settings: Settings, ids: list[str], every: bool = False) -> list[Entry]:
    """Drop entries (the named ones, or all with `every`). An object rejected as a whole is then
    marked `purged`, so later runs stop retrying it until it changes (or --reprocess)."""

    if not ids and not every:
        raise ConfigError("name the entries to purge", hint="give IDs, or --all for every entry")
    gone = quarantine.chosen(settings.quarantine_dir, [] if every else ids)
    if settings.state_db.exists():
        manifest = Manifest(settings.state_db)
        try:
            failed = [e.uri for e in gone if e.status == "failed"]
            manifest.set_status(failed, "purged", "purged from quarantine")
        finally:
            manifest.close()
    for entry in gone:
        quarantine.remove(entry)
    return gone
