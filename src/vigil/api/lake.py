"""The lake: ingest, query, inspect and maintain."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.formats.flowlog_fields import parse_format
from vigil.ingest.options import IngestOptions as IngestOptions
from vigil.ingest.options import IngestReport as IngestReport
from vigil.ingest.options import LogType
from vigil.ingest.pipeline import ingest as run_ingest
from vigil.lake import maintenance
from vigil.lake.expire import ExpireReport as ExpireReport
from vigil.lake.expire import expire as expire_partitions
from vigil.lake.expire import parse_age
from vigil.lake.maintenance import CompactReport as CompactReport
from vigil.lake.maintenance import LakeInfo as LakeInfo
from vigil.live import follow
from vigil.live.intake import intake
from vigil.query.answer import Answer as Answer
from vigil.query.answer import Cancel as Cancel
from vigil.query.engine import read_only_query, read_only_session
from vigil.sources.objects import SourceObject as SourceObject

if TYPE_CHECKING:
    from vigil.lake.iceberg import IcebergExport

OnListed = Callable[[int], None]
OnObject = Callable[["SourceObject", int], None]


def check_format(fmt: str | None) -> tuple[str, ...] | None:
    """A `--format` string read before any work starts (an unknown field is an error)."""

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

    report = run_ingest(settings, sources, options, on_listed, on_object,
                        findings=intake(settings))  # fmt: skip
    return follow.after_ingest(settings, report, options, events=events)


def query(settings: Settings, sql: str, *, max_rows: int | None = None,
          cancel: Cancel | None = None, dialect: str | None = None) -> Answer:  # fmt: skip
    """A user's read-only SQL, read up to `max_rows` rows (and the settings' limits: a server
    also bounds its time, memory and how many run at once); `cancel` stops it. `dialect`
    (duckdb, athena, spark) is what the SQL is written in, transpiled to the engine's."""

    return read_only_query(settings, sql, max_rows=max_rows, cancel=cancel, dialect=dialect)


def session(
    settings: Settings, cancel: Cancel | None = None
) -> AbstractContextManager[Callable[[str], pa.Table]]:
    """`with api.lake.session(s) as query:` several read-only queries on one engine."""

    return read_only_session(settings, cancel)


def info(settings: Settings) -> LakeInfo:
    """Tables, partitions, files, rows and bytes; manifest and quarantine counts."""

    return maintenance.lake_info(settings)


def compact(
    settings: Settings,
    table: str | None = None,
    small_bytes: int | None = None,
    min_files: int = 2,
) -> CompactReport:
    """Merge each partition's files (those under `small_bytes`, if given) into one, dropping
    copies of a record."""

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

    return expire_partitions(settings, older_than, table, dry_run=dry_run, confirmed=confirmed)


def export_iceberg(
    settings: Settings,
    *,
    catalog: str,
    uri: str | None,
    warehouse: str | None = None,
    namespace: str = "vigil",
    tables: list[str] | None = None,
) -> IcebergExport:
    """Register the lake's tables (their Parquet files in place) in an Iceberg catalog; a
    re-run adds only new files and drops those compaction or expiry removed."""

    from vigil.lake import iceberg

    return iceberg.export(settings, catalog=catalog, uri=uri, warehouse=warehouse,
                          namespace=namespace, tables=tables)  # fmt: skip


def check_age(text: str, option: str) -> None:
    """An age (7d, 24h) read before any work starts."""

    try:
        parse_age(text)
    except ConfigError as exc:
        raise ConfigError(f"{option}: {exc}", hint=exc.hint) from exc
