"""The lake: ingest, query, inspect and maintain."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Literal

from vigil.api._lazy import exports
from vigil.config import Settings

if TYPE_CHECKING:
    import pyarrow as pa

    from vigil.ingest.classify import LogType
    from vigil.ingest.options import IngestOptions, IngestReport
    from vigil.lake.expire import ExpireReport
    from vigil.lake.maintenance import CompactReport, LakeInfo
    from vigil.query.answer import Answer, Cancel
    from vigil.sources.objects import SourceObject

__getattr__ = exports(__name__, {
    "IngestOptions": "vigil.ingest.options", "IngestReport": "vigil.ingest.options",
    "ExpireReport": "vigil.lake.expire", "CompactReport": "vigil.lake.maintenance",
    "LakeInfo": "vigil.lake.maintenance", "SourceObject": "vigil.sources.objects",
    "Answer": "vigil.query.answer", "Cancel": "vigil.query.answer",
})  # fmt: skip

__all__ = [
    "Answer", "Cancel", "CompactReport", "ExpireReport", "IngestOptions", "IngestReport",
    "LakeInfo", "SourceObject",
]  # fmt: skip

OnListed = Callable[[int], None]
OnObject = Callable[["SourceObject", int], None]


def check_format(fmt: str | None) -> tuple[str, ...] | None:
    """A `--format` string read before any work starts (an unknown field is an error)."""
    from vigil.formats.flowlog_fields import parse_format

    return parse_format(fmt) if fmt is not None else None


def ingest(
    settings: Settings,
    sources: list[str],
    *,
    log_type: LogType = "auto",
    fmt: str | None = None,
    since: date | None = None,
    until: date | None = None,
    endpoint_url: str | None = None,
    account: str | None = None,
    region: str | None = None,
    workers: int = 2,
    batch_rows: int = 500_000,
    flow_logs_to: str | None = None,
    cloudtrail_to: str | None = None,
    reprocess: bool = False,
    errors: Literal["raise", "collect"] = "collect",
    events: bool = True,
    on_listed: OnListed | None = None,
    on_object: OnObject | None = None,
) -> IngestReport:
    from vigil.ingest.options import IngestOptions

    options = IngestOptions(
        log_type=log_type, fmt=check_format(fmt), since=since, until=until,
        endpoint_url=endpoint_url, account=account, region=region, workers=workers,
        batch_rows=batch_rows, flow_logs_to=flow_logs_to, cloudtrail_to=cloudtrail_to,
        reprocess=reprocess, errors=errors,
    )  # fmt: skip
    return ingest_with(settings, sources, options, on_listed, on_object, events=events)


def ingest_with(
    settings: Settings,
    sources: list[str],
    options: IngestOptions,
    on_listed: OnListed | None = None,
    on_object: OnObject | None = None,
    *,
    events: bool = True,
) -> IngestReport:
    """Ingest, then what follows every ingest: delivery to log groups (with their metric
    filters), Vigil's own metrics, and the bus (CloudTrail write calls while rules listen, and
    a health event)."""
    from vigil.ingest.pipeline import ingest as run_ingest

    report = run_ingest(settings, sources, options, on_listed, on_object)
    return after_ingest(settings, report, options, events=events)


def after_ingest(
    settings: Settings, report: IngestReport, options: IngestOptions | None, *, events: bool
) -> IngestReport:
    """Routing to log groups, Vigil's own metrics, and the bus (see `live.commit`)."""
    from vigil.live.commit import after_ingest as follow

    return follow(settings, report, options, events=events)


def query(settings: Settings, sql: str, *, max_rows: int | None = None,
          cancel: Cancel | None = None) -> Answer:  # fmt: skip
    """A user's read-only SQL, read up to `max_rows` rows (and the settings' limits: a server
    also bounds its time, memory and how many run at once); `cancel` stops it."""
    from vigil.query.engine import read_only_query

    return read_only_query(settings, sql, max_rows=max_rows, cancel=cancel)


def session(
    settings: Settings, cancel: Cancel | None = None
) -> AbstractContextManager[Callable[[str], pa.Table]]:
    """`with api.lake.session(s) as query:` several read-only queries on one engine."""
    from vigil.query.engine import read_only_session

    return read_only_session(settings, cancel)


def info(settings: Settings) -> LakeInfo:
    """Tables, partitions, files, rows and bytes; manifest and quarantine counts."""
    from vigil.lake import maintenance

    return maintenance.lake_info(settings)


def compact(
    settings: Settings,
    table: str | None = None,
    small_bytes: int | None = None,
    min_files: int = 2,
) -> CompactReport:
    """Merge each partition's files (those under `small_bytes`, if given) into one, dropping
    copies of a record."""
    from vigil.lake import maintenance

    return maintenance.compact(settings, table, min_files=min_files, small_bytes=small_bytes)


def expire(
    settings: Settings,
    older_than: str,
    table: str | None = None,
    *,
    dry_run: bool = False,
    confirmed: bool = False,
) -> ExpireReport:
    """Delete partitions older than the age (a retention rule), or with `dry_run` list them."""
    from vigil.lake.expire import expire as expire_partitions

    return expire_partitions(settings, older_than, table, dry_run=dry_run, confirmed=confirmed)


def check_age(text: str, option: str) -> None:
    """An age (7d, 24h) read before any work starts."""
    from vigil.errors import ConfigError
    from vigil.lake.expire import parse_age

    try:
        parse_age(text)
    except ConfigError as exc:
        raise ConfigError(f"{option}: {exc}", hint=exc.hint) from exc
