"""CloudWatch Logs: log groups and streams, PutLogEvents (which runs the group's metric
filters, as AWS does), GetLogEvents / FilterLogEvents and a live tail, TestMetricFilter,
CreateExportTask, retention, and Logs Insights."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.inputs import loads
from vigil.insights.histogram import Histogram as Histogram
from vigil.insights.histogram import bars, histogram_query, step_for
from vigil.insights.parse import parse
from vigil.insights.pointer import get_log_record as get_log_record
from vigil.insights.run import Answer as Answer
from vigil.insights.run import run_insights
from vigil.insights.run import run_query as run_query
from vigil.live import follow
from vigil.logs import files as log_files
from vigil.logs.export import ExportResult as ExportResult
from vigil.logs.export import export as export
from vigil.logs.export_tasks import ExportTask as ExportTask
from vigil.logs.export_tasks import abandon_active as abandon_active
from vigil.logs.export_tasks import cancel_task as cancel_task
from vigil.logs.export_tasks import create_task as create_task
from vigil.logs.export_tasks import export_tasks as export_tasks
from vigil.logs.export_tasks import run_task as run_task
from vigil.logs.files import PutSummary as PutSummary
from vigil.logs.groups import DEFAULT_LIMIT, LogStore
from vigil.logs.groups import LogGroup as LogGroup
from vigil.logs.groups import LogStream as LogStream
from vigil.logs.pattern_match import FilterMatch as FilterMatch
from vigil.logs.pattern_match import test_filter as check
from vigil.logs.put import InputEvent as InputEvent
from vigil.logs.put import PutResult as PutResult
from vigil.logs.read import Event as Event
from vigil.logs.read import filter_events as find
from vigil.logs.read import tail as tail_group
from vigil.logs.retention import ExpireReport, expire_events
from vigil.logs.subscriptions import Subscription as Subscription
from vigil.logs.subscriptions import SubscriptionStore
from vigil.logs.tags import TagStore, check_tags
from vigil.logs.tags import group_of_arn as group_of_arn
from vigil.logs.tags import group_tags as group_tags
from vigil.logs.tags import tag_group as tag_group
from vigil.logs.tags import untag_group as untag_group
from vigil.metrics.filters import apply_filters as apply_filters
from vigil.query.answer import Cancel
from vigil.query.engine import read_only_query

# Export, Insights and tagging are the stages' own functions, exported as they are.
insights = run_insights


@dataclass(frozen=True)
class EventsQuery:
    """FilterLogEvents' request (GetLogEvents is one stream and no pattern)."""

    pattern: str = ""
    start: int | None = None  # ms
    end: int | None = None
    streams: list[str] | None = None
    stream_prefix: str | None = None
    limit: int = DEFAULT_LIMIT
    after: tuple[int, int, str] | None = None  # the last event of the previous page


def create_group(
    settings: Settings,
    name: str,
    *,
    retention_days: int | None = None,
    account: str | None = None,
    region: str | None = None,
    tags: dict[str, str] | None = None,
) -> LogGroup:
    """CreateLogGroup, with its tags (checked before the group is made)."""

    tags = check_tags(tags or {})
    with TagStore(settings) as store:
        group = store.create_group(name, account=account, region=region,
                                   retention_days=retention_days)  # fmt: skip
        if tags:
            store.tag(name, tags, too_many="InvalidParameterException")
    return group


def delete_group(settings: Settings, name: str) -> None:
    with LogStore(settings) as store:
        store.delete_group(name)


def groups(settings: Settings, prefix: str = "") -> list[LogGroup]:
    with LogStore(settings) as store:
        return store.groups(prefix)


def put_retention(settings: Settings, group: str, days: int | None) -> None:
    """PutRetentionPolicy; None is DeleteRetentionPolicy (keep forever)."""

    with LogStore(settings) as store:
        store.put_retention(group, days)


def create_stream(settings: Settings, group: str, name: str) -> LogStream:
    with LogStore(settings) as store:
        return store.create_stream(group, name)


def delete_stream(settings: Settings, group: str, name: str) -> None:
    with LogStore(settings) as store:
        store.delete_stream(group, name)


def streams(settings: Settings, group: str, prefix: str = "") -> list[LogStream]:
    with LogStore(settings) as store:
        return store.streams(group, prefix)


def put_log_events(
    settings: Settings,
    group: str,
    stream: str,
    events: list[InputEvent],
    *,
    now: int | None = None,
    ident: str | None = None,
) -> PutResult:
    """PutLogEvents; what was stored then goes to the group's subscription filters and, when
    a source declares the group CloudTrail or flow logs, to the lake (`ident` names the push:
    the request id)."""

    return follow.put_and_follow(settings, group, stream, events, ident or str(uuid.uuid4()),
                                 now=now)  # fmt: skip


def put_subscription(settings: Settings, sub: Subscription) -> None:
    """PutSubscriptionFilter (create or replace; at most 2 a group)."""

    with SubscriptionStore(settings) as store:
        store.put_subscription(sub)


def subscriptions(settings: Settings, group: str | None = None) -> list[Subscription]:
    with SubscriptionStore(settings) as store:
        return store.subscriptions(group)


def delete_subscription(settings: Settings, group: str, name: str) -> None:
    with SubscriptionStore(settings) as store:
        store.delete_subscription(group, name)


def check_insights(query: str) -> None:
    """An Insights query parsed (PatternError says where it is wrong)."""

    parse(query)


def put_file(
    settings: Settings, group: str, stream: str, path: Path | None, *, create: bool = False
) -> PutSummary:
    """A file's lines (stdin when `path` is None, streamed as lines arrive) into a stream."""
    return log_files.put_file(settings, group, stream, path, create=create,
                              on_stored=apply_filters)  # fmt: skip


def filter_events(settings: Settings, group: str, query: EventsQuery) -> list[Event]:
    return find(settings, group, pattern=query.pattern, start=query.start, end=query.end,
                streams=query.streams, stream_prefix=query.stream_prefix,
                limit=query.limit, after=query.after)  # fmt: skip


def tail(
    settings: Settings,
    group: str,
    *,
    pattern: str = "",
    since: int | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[Event]:
    """New events as they are ingested, until `stop()` says so."""

    return tail_group(settings, group, pattern=pattern, since=since, stop=stop)


def test_filter(pattern: str, messages: list[str]) -> list[FilterMatch]:
    """TestMetricFilter: the messages a pattern matches, with the values it extracts."""

    return check(pattern, messages)


def expire(settings: Settings) -> ExpireReport:
    """Remove events past their group's retention, or of deleted groups, from the lake."""

    return expire_events(settings)


def insights_histogram(
    settings: Settings,
    query: str,
    *,
    groups: list[str] | None = None,
    table: str | None = None,
    start: int,
    end: int,
    cancel: Cancel | None = None,
) -> Histogram:
    """Matches of the query's filters per time bucket over [start, end] (ms), empty buckets
    included."""

    size, name = step_for(max(1, (end - start) // 1000))
    table_ = run_insights(settings, histogram_query(query, name), groups=groups, table=table,
                          start=start, end=end, cancel=cancel)  # fmt: skip
    counts = {int(row[f"bin({name})"].timestamp()): int(row["matches"])
              for row in table_.to_pylist() if row[f"bin({name})"] is not None}  # fmt: skip
    return bars(counts, start, end, size, name)


def events_histogram(timestamps: list[int], start: int, end: int) -> Histogram:
    """Events (their times in ms) per time bucket over [start, end] (ms), as above."""

    size, name = step_for(max(1, (end - start) // 1000))
    counts = Counter(t // 1000 - (t // 1000) % size for t in timestamps)
    return bars(dict(counts), start, end, size, name)


def fields(settings: Settings, groups: list[str] | None = None,
           table: str | None = None) -> list[str]:  # fmt: skip
    """The fields a query can name: a lake table's columns, or a log group's own fields and
    the keys of its JSON messages (from its newest events), as Insights discovers them."""

    if table:
        from vigil.lake.tables import TABLES

        if table not in TABLES:
            raise ConfigError(f"no lake table {table!r}", hint=", ".join(TABLES))
        return list(
            read_only_query(
                settings, f"SELECT * FROM {table} LIMIT 0", dialect="duckdb"
            ).table.column_names
        )
    found = ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime"]
    for group in groups or []:
        for event in filter_events(settings, group, EventsQuery(limit=50)):
            try:
                doc = loads(event.message)
            except ValueError:
                continue
            if isinstance(doc, dict):
                found += [k for k in doc if k not in found]
    return found
