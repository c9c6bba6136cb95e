"""Reading a log group's events back: GetLogEvents, FilterLogEvents and tail.

Queries run on the lake's `log_events` view, limited to the group's live events (ingested since
the group was created, younger than its retention) and to the partitions of the time range.
Filter patterns compile to SQL; their values reach DuckDB as quoted literals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.groups import DEFAULT_LIMIT, LogGroup, LogStore
from vigil.logs.pattern_sql import filter_sql, literal
from vigil.logs.put import DAY_MS
from vigil.query.engine import client_engine


@dataclass(frozen=True)
class Event:
    log_stream: str
    timestamp: int
    ingestion_time: int
    message: str
    event_id: str

    def as_aws(self) -> dict[str, object]:
        return {"logStreamName": self.log_stream, "timestamp": self.timestamp,
                "message": self.message, "ingestionTime": self.ingestion_time,
                "eventId": self.event_id}  # fmt: skip


def live_events_sql(group: LogGroup, start: int | None, end: int | None, now: int) -> str:
    """The group's visible events in [start, end) (ms), as a SQL relation."""
    where = [f"log_group = {literal(group.name)}", f"ingestion_time >= {group.created_ms}"]
    if group.retention_days is not None:
        where.append(f'"timestamp" >= {now - group.retention_days * DAY_MS}')
    where += time_range(start, end, '"timestamp"')
    return "SELECT * FROM log_events WHERE " + " AND ".join(where)


def time_range(start: int | None, end: int | None, ms_expr: str) -> list[str]:
    """Conditions for [start, end) in ms on `ms_expr`, and on `date` to prune partitions."""
    where = []
    if start is not None:
        where.append(f"{ms_expr} >= {int(start)}")
        where.append(f"date >= DATE '{_day(start)}'")
    if end is not None:
        where.append(f"{ms_expr} < {int(end)}")
        where.append(f"date <= DATE '{_day(end)}'")
    return where


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def filter_events(
    settings: Settings,
    group: str,
    *,
    pattern: str = "",
    start: int | None = None,
    end: int | None = None,
    streams: list[str] | None = None,
    stream_prefix: str | None = None,
    limit: int = DEFAULT_LIMIT,
    after_ingestion: int | None = None,
    after: tuple[int, int, str] | None = None,
) -> list[Event]:
    """FilterLogEvents (and GetLogEvents with one stream and no pattern), oldest first;
    `after` is the (timestamp, ingestion time, event id) of the last event of a previous page."""
    with LogStore(settings) as store:
        info = store.group(group)
        for name in streams or []:
            store.stream(group, name)
    source = live_events_sql(info, start, end, now_ms())
    if streams:
        source += " AND log_stream IN (" + ", ".join(literal(s) for s in streams) + ")"
    if stream_prefix:
        source += f" AND starts_with(log_stream, {literal(stream_prefix)})"
    if after_ingestion is not None:
        source += f" AND ingestion_time > {int(after_ingestion)}"
    if after is not None:
        t, i, e = int(after[0]), int(after[1]), literal(str(after[2]))
        source += (f" AND (timestamp > {t} OR (timestamp = {t} AND (ingestion_time > {i} OR "
                   f"(ingestion_time = {i} AND event_id > {e}))))")  # fmt: skip
    sql = filter_sql(source, pattern) if pattern.strip() else source
    sql = (
        f"SELECT log_stream, timestamp, ingestion_time, message, event_id FROM ({sql}) "
        f"ORDER BY timestamp, ingestion_time, event_id LIMIT {int(limit)}"
    )
    with client_engine(settings) as engine:  # clients' reads run under the query limits
        rows = engine.rows(sql, capped=False)  # its LIMIT is the API's (paging stays exact)
    return [Event(*row) for row in rows]


def tail(
    settings: Settings,
    group: str,
    *,
    pattern: str = "",
    since: int | None = None,
    interval: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[Event]:
    """New events as they are ingested (`--follow`), until `stop()` says so."""
    seen = since if since is not None else now_ms() - 1
    while not stop():
        batch = filter_events(
            settings, group, pattern=pattern, after_ingestion=seen, limit=1_000_000
        )
        for event in batch:
            seen = max(seen, event.ingestion_time)
            yield event
        if not batch:
            time.sleep(interval)
