"""What follows a write, in one place, for the command line and the server alike:

- log events stored in a group (PutLogEvents, a subscription's delivery, a pushed record) go
  through the group's metric filters, then its subscription filters onto the bus they name,
  then — when a source declares the group CloudTrail or flow logs — into the lake's spool;
- a detection's changed findings (by the ids the detection reports, never by re-listing the
  hub; suppressed ones stay off the bus, as GuardDuty's do) go on the bus, with Vigil's own
  findings metric and, for a run, a health event.

- an ingest (the command's and the server's) is routed to the log groups its options name
  (with their metric filters), counted in Vigil's own metrics, and announced on the bus."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.events import emit
from vigil.events.bus import EventStore
from vigil.events.buses import name_of
from vigil.findings.store import FindingStore
from vigil.ingest.options import IngestOptions, IngestReport
from vigil.inputs import loads
from vigil.live import spool
from vigil.live.sources import for_group
from vigil.logs.put import InputEvent, PutResult, event_ids, put_log_events
from vigil.logs.subscriptions import SubscriptionStore, payloads
from vigil.metrics import own
from vigil.metrics.filters import apply_filters
from vigil.model.finding import RecordState
from vigil.model.severity import severity_label
from vigil.state.outbox import envelope


def put_and_follow(
    settings: Settings,
    group: str,
    stream: str,
    events: list[InputEvent],
    ident: str,
    *,
    now: int | None = None,
) -> PutResult:
    """PutLogEvents as AWS does it, and what follows: metric filters on what was stored, then
    the group's subscriptions and the lake (`ident` names the push: its request id)."""
    result = put_log_events(settings, group, stream, events, now=now, on_stored=apply_filters)
    if result.accepted:
        kept = _kept(events, result)
        to_subscriptions(settings, group, stream, kept)
        to_lake(settings, group, [(e.timestamp, e.message) for e in kept], ident)
    return result


def _kept(events: list[InputEvent], result: PutResult) -> list[InputEvent]:
    rejected = result.rejected
    start = max(rejected.get("tooOldLogEventEndIndex", 0),
                rejected.get("expiredLogEventEndIndex", 0))  # fmt: skip
    return events[start : start + result.accepted]


def to_subscriptions(settings: Settings, group: str, stream: str, kept: list[InputEvent]) -> None:
    """The group's subscription filters: matching events onto the event bus they name."""
    with SubscriptionStore(settings) as store:
        subs = store.subscriptions(group)
        info = store.group(group) if subs else None
    if not subs or info is None:
        return
    ids = event_ids(group, stream, kept)
    rows = [(e.timestamp, e.message, i) for e, i in zip(kept, ids, strict=True)]
    arn = f"arn:aws:logs:{info.region}:{info.account}:log-group:{group}"
    with EventStore(settings) as bus:
        for sub, doc in payloads(subs, group, stream, info.account, rows):
            event = envelope("aws.logs", "CloudWatch Logs Subscription Data", doc,
                             account=info.account, region=info.region, resources=[arn])  # fmt: skip
            bus.append(event, now_ms(), name_of(sub.destination))  # the bus the filter names


def to_lake(settings: Settings, group: str, rows: list[tuple[int, str]], ident: str) -> int:
    """Events stored in a group a source declares as CloudTrail, flow logs, Route 53 Resolver
    query logs or S3 server access logs also go to the lake (spooled now, committed by the
    server's live ingest). The records spooled."""
    source = for_group(settings, group)
    if source is None or source.table is None or not rows:
        return 0
    if source.table == "flow_logs":
        spool.flow_logs(settings, source.name, [m for _, m in rows], ident, source.format)
        return len(rows)
    if source.table in ("dns_logs", "s3_access_logs"):  # one record an event, as delivered
        spool.lines(settings, source.table, source.name, [m for _, m in rows], ident)
        return len(rows)
    records = []
    for _, message in rows:
        try:
            doc = loads(message)
        except ValueError:
            continue  # kept in the group; the lake takes only records
        if isinstance(doc, dict):
            records.append(doc)
    if records:
        spool.cloudtrail(settings, source.name, records, ident)
    return len(records)


def emit_changed(settings: Settings, changed: Iterable[str]) -> int:
    """The findings a detection changed (by id) onto the bus, suppressed ones left off; how
    many went."""
    ids = list(dict.fromkeys(changed))
    if not ids:
        return 0
    with FindingStore(settings.state_db) as store:
        found = [store.get(fid) for fid in ids]
    return emit.emit_findings(settings, [f for f in found if f.record_state == RecordState.ACTIVE])


def after_detection(settings: Settings, changed: list[str], summary: dict[str, Any]) -> int:
    """A detection run's changed findings onto the bus (`emit_changed`), the active findings'
    gauge, and a health event for the run (`summary`). The findings put on the bus."""
    sent = emit_changed(settings, changed)
    with FindingStore(settings.state_db) as store:
        severities = store.active_severities()
    own.findings(settings, [severity_label(s) for s in severities], now_ms())
    emit.emit_health(settings, "Vigil Detection Completed", {**summary, "changed": len(changed)})
    return sent


def after_ingest(
    settings: Settings, report: IngestReport, options: IngestOptions | None, *, events: bool
) -> IngestReport:
    if options is not None:
        _route(settings, report, options)
    own.ingested(settings, report.records, report.rejected, now_ms())
    if events and emit.wanted(settings):
        report.events = emit.emit_cloudtrail(settings, report.written.get("cloudtrail", []))
    if events:
        summary = {
            "records": report.records,
            "rejected": report.rejected,
            "quarantined": len(report.quarantined),
            "objects": report.ingested,
        }
        emit.emit_health(settings, "Vigil Ingest Completed", summary)
    return report


def _route(settings: Settings, report: IngestReport, options: IngestOptions) -> None:
    from vigil.logs.route import route  # it reads the lake: Arrow loads only when it routes

    for table, group in (
        ("flow_logs", options.flow_logs_to),
        ("cloudtrail", options.cloudtrail_to),
    ):
        if group and report.written.get(table):
            delivered = route(settings, table, report.written[table], group, apply_filters)
            report.routed[group] = report.routed.get(group, 0) + delivered
