"""The library facade: what the shells (CLI, later HTTP) call. One call per user action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

import pyarrow as pa

from vigil.config import Settings
from vigil.formats.flowlog_fields import parse_format
from vigil.ingest.classify import LogType
from vigil.ingest.pipeline import IngestOptions, IngestReport
from vigil.ingest.pipeline import ingest as _ingest
from vigil.lake import maintenance
from vigil.lake.catalog import run_query
from vigil.sources.objects import SourceObject


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
    on_listed: Callable[[int], None] | None = None,
    on_object: Callable[[SourceObject, int], None] | None = None,
) -> IngestReport:
    options = IngestOptions(
        log_type=log_type,
        fmt=parse_format(fmt) if fmt else None,
        since=since,
        until=until,
        endpoint_url=endpoint_url,
        account=account,
        region=region,
        workers=workers,
        batch_rows=batch_rows,
    )
    return _ingest(settings, sources, options, on_listed, on_object)


def query(settings: Settings, sql: str) -> pa.Table:
    return run_query(settings.lake_dir, sql)


def lake_info(settings: Settings) -> dict[str, Any]:
    return asdict(maintenance.lake_info(settings))


def compact(settings: Settings, table: str | None = None) -> dict[str, Any]:
    return asdict(maintenance.compact(settings, table))


def expire(settings: Settings, older_than: str, table: str | None = None) -> dict[str, Any]:
    return asdict(maintenance.expire(settings, older_than, table))
