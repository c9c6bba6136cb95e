"""CloudWatch Logs: log groups and streams, PutLogEvents (which runs the group's metric
filters, as AWS does), GetLogEvents / FilterLogEvents and a live tail, TestMetricFilter,
CreateExportTask, retention, and Logs Insights."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.api._lazy import exports
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.inputs import loads
from vigil.logs.groups import DEFAULT_LIMIT, LogGroup, LogStream

if TYPE_CHECKING:
    from vigil.insights.pointer import get_log_record
    from vigil.insights.run import Answer, run_query
    from vigil.insights.run import run_insights as insights
    from vigil.logs.export import ExportResult, export
    from vigil.logs.export_tasks import (
        ExportTask,
        abandon_active,
        cancel_task,
        create_task,
        export_tasks,
        run_task,
    )
    from vigil.logs.files import PutSummary
    from vigil.logs.put import InputEvent, PutResult
    from vigil.logs.read import Event
    from vigil.logs.retention import ExpireReport
    from vigil.logs.subscriptions import Subscription
    from vigil.logs.tags import group_of_arn, group_tags, tag_group, untag_group
    from vigil.metrics.filters import apply_filters
    from vigil.query.answer import Cancel

__getattr__ = exports(__name__, {
    "insights": "vigil.insights.run:run_insights", "export": "vigil.logs.export",
    "ExportResult": "vigil.logs.export", "PutSummary": "vigil.logs.files",
    "InputEvent": "vigil.logs.put", "PutResult": "vigil.logs.put", "Event": "vigil.logs.read",
    "apply_filters": "vigil.metrics.filters", "Subscription": "vigil.logs.subscriptions",
    "run_query": "vigil.insights.run", "Answer": "vigil.insights.run",
    "get_log_record": "vigil.insights.pointer", "group_tags": "vigil.logs.tags",
    "tag_group": "vigil.logs.tags", "untag_group": "vigil.logs.tags",
    "group_of_arn": "vigil.logs.tags", "ExportTask": "vigil.logs.export_tasks",
    "create_task": "vigil.logs.export_tasks", "run_task": "vigil.logs.export_tasks",
    "cancel_task": "vigil.logs.export_tasks", "export_tasks": "vigil.logs.export_tasks",
    "abandon_active": "vigil.logs.export_tasks",
})  # fmt: skip

# Export, Insights and tagging are the stages' own functions, exported as they are.
__all__ = [
    "Answer", "Event", "EventsQuery", "ExportResult", "ExportTask", "InputEvent", "LogGroup",
    "LogStream", "PutResult", "PutSummary", "Subscription", "abandon_active", "apply_filters",
    "cancel_task", "create_task", "export", "export_tasks", "get_log_record", "group_of_arn",
    "group_tags", "insights", "run_query", "run_task", "tag_group", "untag_group",
]  # fmt: skip


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
    from vigil.logs.tags import TagStore, check_tags

    tags = check_tags(tags or {})
    with TagStore(settings) as store:
        group = store.create_group(name, account=account, region=region,
                                   retention_days=retention_days)  # fmt: skip
        if tags:
            store.tag(name, tags, too_many="InvalidParameterException")
    return group


def delete_group(settings: Settings, name: str) -> None:
    from vigil.logs.groups import LogStore

    with LogStore(settings) as store:
        store.delete_group(name)


def groups(settings: Settings, prefix: str = "") -> list[LogGroup]:
    from vigil.logs.groups import LogStore

    with LogStore(settings) as store:
        return store.groups(prefix)


def put_retention(settings: Settings, group: str, days: int | None) -> None:
    """PutRetentionPolicy; None is DeleteRetentionPolicy (keep forever)."""
    from vigil.logs.groups import LogStore

    with LogStore(settings) as store:
        store.put_retention(group, days)


def create_stream(settings: Settings, group: str, name: str) -> LogStream:
    from vigil.logs.groups import LogStore

    with LogStore(settings) as store:
        return store.create_stream(group, name)


def delete_stream(settings: Settings, group: str, name: str) -> None:
    from vigil.logs.groups import LogStore

    with LogStore(settings) as store:
        store.delete_stream(group, name)


def streams(settings: Settings, group: str, prefix: str = "") -> list[LogStream]:
    from vigil.logs.groups import LogStore

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
    import uuid

    from vigil.api.sources import push_log_events
    from vigil.logs.put import put_log_events as put
    from vigil.metrics.filters import apply_filters

    result = put(settings, group, stream, events, now=now, on_stored=apply_filters)
    if result.accepted:
        kept = _kept(events, result)
        _forward(settings, group, stream, kept)
        push_log_events(settings, group, stream, [(e.timestamp, e.message) for e in kept],
                        ident or str(uuid.uuid4()))  # fmt: skip
    return result


def _kept(events: list[InputEvent], result: PutResult) -> list[InputEvent]:
    rejected = result.rejected
    start = max(rejected.get("tooOldLogEventEndIndex", 0),
                rejected.get("expiredLogEventEndIndex", 0))  # fmt: skip
    return events[start : start + result.accepted]


def _forward(settings: Settings, group: str, stream: str, kept: list[InputEvent]) -> None:
    """The group's subscription filters: matching events onto the event bus they name."""
    from vigil.logs.put import event_ids
    from vigil.logs.subscriptions import SubscriptionStore, payloads

    with SubscriptionStore(settings) as store:
        subs = store.subscriptions(group)
        info = store.group(group) if subs else None
    if not subs or info is None:
        return
    ids = event_ids(group, stream, kept)
    rows = [(e.timestamp, e.message, i) for e, i in zip(kept, ids, strict=True)]
    from vigil.events.bus import EventStore
    from vigil.events.buses import name_of
    from vigil.state.outbox import envelope

    arn = f"arn:aws:logs:{info.region}:{info.account}:log-group:{group}"
    with EventStore(settings) as bus:
        for sub, doc in payloads(subs, group, stream, info.account, rows):
            event = envelope("aws.logs", "CloudWatch Logs Subscription Data", doc,
                             account=info.account, region=info.region, resources=[arn])  # fmt: skip
            bus.append(event, now_ms(), name_of(sub.destination))  # the bus the filter names


def put_subscription(settings: Settings, sub: Subscription) -> None:
    """PutSubscriptionFilter (create or replace; at most 2 a group)."""
    from vigil.logs.subscriptions import SubscriptionStore

    with SubscriptionStore(settings) as store:
        store.put_subscription(sub)


def subscriptions(settings: Settings, group: str | None = None) -> list[Subscription]:
    from vigil.logs.subscriptions import SubscriptionStore

    with SubscriptionStore(settings) as store:
        return store.subscriptions(group)


def delete_subscription(settings: Settings, group: str, name: str) -> None:
    from vigil.logs.subscriptions import SubscriptionStore

    with SubscriptionStore(settings) as store:
        store.delete_subscription(group, name)


def check_insights(query: str) -> None:
    """An Insights query parsed (PatternError says where it is wrong)."""
    from vigil.insights.parse import parse

    parse(query)


def put_file(
    settings: Settings, group: str, stream: str, path: Path | None, *, create: bool = False
) -> PutSummary:
    """A file's lines (stdin when `path` is None, streamed as lines arrive) into a stream."""
    from vigil.logs.files import put_file as put
    from vigil.metrics.filters import apply_filters

    return put(settings, group, stream, path, create=create, on_stored=apply_filters)


def filter_events(settings: Settings, group: str, query: EventsQuery) -> list[Event]:
    from vigil.logs.read import filter_events as find

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
    from vigil.logs.read import tail as follow

    return follow(settings, group, pattern=pattern, since=since, stop=stop)


def test_filter(pattern: str, messages: list[str]) -> list[dict[str, Any]]:
    """TestMetricFilter: the messages a pattern matches, with the values it extracts."""
    from vigil.logs.pattern_match import test_filter as check

    return check(pattern, messages)


def expire(settings: Settings) -> ExpireReport:
    """Remove events past their group's retention, or of deleted groups, from the lake."""
    from vigil.logs.retention import expire_events

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
) -> dict[str, Any]:
    """Matches of the query's filters per time bucket over [start, end] (ms): uPlot's columns,
    empty buckets included."""
    from vigil.insights.histogram import bars, histogram_query, step_for
    from vigil.insights.run import run_insights

    size, name = step_for(max(1, (end - start) // 1000))
    table_ = run_insights(settings, histogram_query(query, name), groups=groups, table=table,
                          start=start, end=end, cancel=cancel)  # fmt: skip
    counts = {int(row[f"bin({name})"].timestamp()): int(row["matches"])
              for row in table_.to_pylist() if row[f"bin({name})"] is not None}  # fmt: skip
    return bars(counts, start, end, size, name)


def events_histogram(timestamps: list[int], start: int, end: int) -> dict[str, Any]:
    """Events (their times in ms) per time bucket over [start, end] (ms), as above."""
    from collections import Counter

    from vigil.insights.histogram import bars, step_for

    size, name = step_for(max(1, (end - start) // 1000))
    counts = Counter(t // 1000 - (t // 1000) % size for t in timestamps)
    return bars(dict(counts), start, end, size, name)


def fields(settings: Settings, groups: list[str] | None = None,
           table: str | None = None) -> list[str]:  # fmt: skip
    """The fields a query can name: a lake table's columns, or a log group's own fields and
    the keys of its JSON messages (from its newest events), as Insights discovers them."""

    if table:
        from vigil.errors import ConfigError
        from vigil.lake.tables import TABLES
        from vigil.query.engine import read_only_query

        if table not in TABLES:
            raise ConfigError(f"no lake table {table!r}", hint=", ".join(TABLES))
        return list(read_only_query(settings, f"SELECT * FROM {table} LIMIT 0").table.column_names)
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
