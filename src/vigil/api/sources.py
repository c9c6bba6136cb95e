"""Ingest sources (`vigil sources add|list|remove`) and the push lanes: PutLogEvents into a
declared CloudTrail, flow-log, DNS query log or S3 access log group, events an EventBridge API
destination forwards, and Amazon Data Firehose's HTTP endpoint deliveries (CloudWatch Logs
subscriptions, Route 53 Resolver query logs, EventBridge events with findings)."""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass
from typing import Any, Final

from vigil.api import findings
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.errors import VigilError
from vigil.events.bus import EventStore
from vigil.inputs import InputError, inflate_gzip, loads
from vigil.live import follow, spool
from vigil.live.sources import Cursors, all_sources, rate
from vigil.live.sources import Source as Source
from vigil.live.sources import SourceStatus as SourceStatus
from vigil.live.sources import add as add_source
from vigil.live.sources import remove as remove_source
from vigil.logs.groups import LogStore
from vigil.logs.put import InputEvent

CLOUDTRAIL_TYPES: Final = ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
                           "AWS Service Event via CloudTrail")  # fmt: skip
MAX_FIREHOSE_BYTES: Final = 96 << 20  # a 64 MiB buffer, base64 in JSON
MAX_RECORD_INFLATED: Final = 8 << 20  # one subscription message (a 1 MiB batch and its JSON)
GZIP: Final = b"\x1f\x8b"
FINDING_TYPES: Final = ("GuardDuty Finding", "Security Hub Findings - Imported")


def add(settings: Settings, doc: dict[str, Any]) -> Source:
    return add_source(settings, doc)


def remove(settings: Settings, name: str) -> None:
    remove_source(settings, name)


def listing(settings: Settings) -> list[SourceStatus]:
    """Every source with its position: cursor, counts, lag, last error."""

    now = now_ms()
    out = []
    with Cursors(settings) as cursors:
        for s in all_sources(settings):
            position = cursors.get(s.name)
            out.append(SourceStatus(s, position, rate(position.recent, now)))
    return out


# -- pushes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventBridgePush:
    """What a push of EventBridge events became: CloudTrail records into the lake, findings
    into the hub, events onto the bus, and why the rest were turned away."""

    cloudtrail: int
    findings: int
    events: int
    rejected: list[str]


@dataclass(frozen=True)
class FirehoseDelivery:
    """What a Firehose delivery became (`duplicate`: a retry, acknowledged, not taken)."""

    duplicate: bool
    records: int  # log events taken into groups, and records taken directly (below)
    not_logs: int = 0  # records that were neither of those
    dns: int = 0  # Route 53 Resolver query log records (a query logging configuration's stream)
    findings: int = 0  # findings of EventBridge events (a rule's Firehose target)


def accept_eventbridge(settings: Settings, body: bytes) -> EventBridgePush:
    """One event (or a list) as an EventBridge API destination sends it: CloudTrail events
    into the lake, GuardDuty and Security Hub findings into the hub, the rest onto the bus."""

    try:
        doc = loads(body)
    except ValueError as exc:
        raise InputError(f"the body is not JSON: {exc}", hint="send the event as "
                         "EventBridge delivers it (the whole event, not a transformed "
                         "input)") from None  # fmt: skip
    events = doc if isinstance(doc, list) else [doc]
    found = appended = 0
    rejected: list[str] = []
    trail: list[dict[str, Any]] = []
    for i, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
            rejected.append(f"event {i}: an event has source, detail-type and detail")
            continue
        kind, detail = event.get("detail-type"), event["detail"]
        if kind in CLOUDTRAIL_TYPES:
            record = {**detail}
            record.setdefault("recipientAccountId", event.get("account"))
            record.setdefault("awsRegion", event.get("region"))
            trail.append(record)
        elif kind in FINDING_TYPES:
            taken, refused = _findings(settings, str(kind), detail)
            found, rejected = found + taken, rejected + refused
        else:
            with EventStore(settings) as bus:
                appended += int(bus.append(event, now_ms()))
    if trail:
        ident = str(events[0].get("id", "event")) if isinstance(events[0], dict) else "event"
        spool.cloudtrail(settings, "eventbridge", trail, ident)
    return EventBridgePush(len(trail), found, appended, rejected)


def _findings(settings: Settings, kind: str, detail: dict[str, Any]) -> tuple[int, list[str]]:
    """GuardDuty and Security Hub findings into the hub: how many, and the refusals."""

    if kind == "GuardDuty Finding":
        done = findings.import_guardduty(settings, [detail])
    else:
        done = findings.import_asff(settings, list(detail.get("findings") or []))
    return done.success_count, [f.message for f in done.failed]


def accept_firehose(settings: Settings, body: bytes, request_id: str) -> FirehoseDelivery:
    """An HTTP endpoint delivery: `{"requestId", "timestamp", "records": [{"data"}]}`, each
    record a CloudWatch Logs subscription message (gzip JSON) or plain data. A request id seen
    before (Firehose retrying) is acknowledged without taking the records again."""

    if len(body) > MAX_FIREHOSE_BYTES:
        raise InputError(f"the delivery is {len(body)} bytes; at most {MAX_FIREHOSE_BYTES}")
    try:
        doc = loads(body)
        records = doc["records"]
        assert isinstance(records, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise InputError("a Firehose delivery is JSON with requestId and a records list") from None
    with Cursors(settings) as cursors:
        if cursors.seen_request(f"firehose:{request_id}", now_ms()):
            return FirehoseDelivery(duplicate=True, records=0)
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    other = 0
    dns: list[str] = []
    events: list[Any] = []
    for i, record in enumerate(records):
        try:
            raw = base64.b64decode(record["data"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"records[{i}].data: base64 text") from None
        message = _logs_message(raw)
        if message is None:
            direct = _direct(raw)
            if direct is None:
                other += 1
            elif "query_name" in direct:
                dns.append(raw.decode("utf-8", "replace").strip())
            else:
                events.append(direct)
            continue
        if message.get("messageType") != "DATA_MESSAGE":
            continue  # CONTROL_MESSAGE: CloudWatch Logs checking the destination
        key = (str(message.get("logGroup")), str(message.get("logStream")))
        groups.setdefault(key, []).extend(
            (int(e.get("timestamp", 0)), str(e.get("message", "")))
            for e in message.get("logEvents") or []
        )
    taken = 0
    for (group, stream), rows in groups.items():
        taken += _into_group(settings, group, stream, rows, request_id)
    if dns:  # into the lake through the spool, as a pushed log group's records go
        spool.lines(settings, "dns_logs", "firehose", dns, request_id)
    found = 0
    for event in events:
        done = _findings(settings, str(event["detail-type"]), event["detail"])
        found += done[0]
        other += len(done[1])
    return FirehoseDelivery(duplicate=False, records=taken + len(dns) + found, not_logs=other,
                            dns=len(dns), findings=found)  # fmt: skip


def _direct(raw: bytes) -> dict[str, Any] | None:
    """A Firehose record that is itself a record Vigil takes: a Route 53 Resolver query log
    record, or an EventBridge event carrying findings; None otherwise."""
    try:
        doc = loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    if "query_name" in doc and "query_timestamp" in doc:
        return doc
    if doc.get("detail-type") in FINDING_TYPES and isinstance(doc.get("detail"), dict):
        return doc
    return None


def _logs_message(raw: bytes) -> dict[str, Any] | None:
    try:
        text = inflate_gzip(raw, MAX_RECORD_INFLATED, "record") if raw[:2] == GZIP else raw
        doc = loads(text)
    except (InputError, ValueError):
        return None
    return doc if isinstance(doc, dict) and "messageType" in doc else None


def _into_group(settings: Settings, group: str, stream: str, rows: list[tuple[int, str]],
                ident: str) -> int:  # fmt: skip
    """Subscription data into the Vigil log group of the same name (made if missing), and
    through it to the lake when a source declares the group."""

    with LogStore(settings) as store:
        with contextlib.suppress(VigilError):  # it exists
            store.create_group(group)
        with contextlib.suppress(VigilError):
            store.create_stream(group, stream)
    events = [InputEvent(ts, msg) for ts, msg in sorted(rows)]
    return follow.put_and_follow(settings, group, stream, events, ident).accepted
