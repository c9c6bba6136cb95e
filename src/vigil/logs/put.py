"""PutLogEvents with CloudWatch Logs' limits, and the events' way into the lake.

A call is checked whole first (event count, batch bytes with the 26-byte per-event overhead,
event size, timestamp order, the 24-hour span of the events it keeps); then events too old
(beyond 14 days, or the group's retention) and too new (more than 2 hours ahead) are rejected as
a prefix and a suffix, reported in `rejectedLogEventsInfo` as AWS does, and the rest written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.lake.locking import lake_lock
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.logs.groups import LogsError, LogStore

if TYPE_CHECKING:  # the lake and Arrow load when events are stored, not with the command line
    import pyarrow as pa

    from vigil.lake.writer import Batch

MAX_EVENTS: Final = 10_000
MAX_BATCH_BYTES: Final = 1_048_576
EVENT_OVERHEAD: Final = 26
MAX_EVENT_BYTES: Final = 1_048_576  # current AWS model; older documents say 256 KB
DAY_MS: Final = 86_400_000
TOO_OLD_MS: Final = 14 * DAY_MS
TOO_NEW_MS: Final = 2 * 3_600_000
MAX_SPAN_MS: Final = DAY_MS


@dataclass(frozen=True)
class InputEvent:
    timestamp: int  # ms since the epoch
    message: str


# What follows a put: (settings, group, [(timestamp ms, message)], history) -> datapoints.
OnStored = Callable[[Settings, str, list[tuple[int, str]], bool], int]


@dataclass
class PutResult:
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # rejectedLogEventsInfo
    datapoints: int = 0  # metric data the group's metric filters made of the events

    def response(self) -> dict[str, Any]:
        """The PutLogEvents response's shape."""
        return {"rejectedLogEventsInfo": self.rejected} if self.rejected else {}


def event_bytes(event: InputEvent) -> int:
    m = event.message
    return (len(m) if m.isascii() else len(m.encode())) + EVENT_OVERHEAD


def check_call(events: list[InputEvent], max_event_bytes: int = MAX_EVENT_BYTES) -> None:
    """The rules that fail a whole call."""
    if not 1 <= len(events) <= MAX_EVENTS:
        message = f"{len(events)} events in one call; 1 to {MAX_EVENTS} are allowed"
        raise LogsError("InvalidParameterException", message)
    total = 0
    for i, event in enumerate(events):
        size = event_bytes(event)
        if not event.message:
            raise LogsError("InvalidParameterException", f"event {i}: the message is empty")
        if size - EVENT_OVERHEAD > max_event_bytes:
            message = f"event {i}: {size - EVENT_OVERHEAD} bytes; at most {max_event_bytes}"
            raise LogsError("InvalidParameterException", message)
        if i and event.timestamp < events[i - 1].timestamp:
            raise LogsError("InvalidParameterException",
                            f"event {i}: timestamps must not decrease within a call",
                            hint="sort the events by timestamp")  # fmt: skip
        total += size
    if total > MAX_BATCH_BYTES:
        message = f"the batch is {total} bytes (messages + 26 each); at most {MAX_BATCH_BYTES}"
        raise LogsError("InvalidParameterException", message)


def classify(
    events: list[InputEvent], now: int, retention_days: int | None
) -> tuple[int, int, dict[str, int]]:
    """[start, end) of the accepted events, and the rejection info."""
    too_old = sum(1 for e in events if e.timestamp < now - TOO_OLD_MS)
    expired = 0
    if retention_days is not None:
        expired = sum(1 for e in events if e.timestamp < now - retention_days * DAY_MS)
    too_new_at = next((i for i, e in enumerate(events) if e.timestamp > now + TOO_NEW_MS), None)
    info: dict[str, int] = {}
    if too_new_at is not None:
        info["tooNewLogEventStartIndex"] = too_new_at
    if too_old:
        info["tooOldLogEventEndIndex"] = too_old
    if expired > too_old:
        info["expiredLogEventEndIndex"] = expired
    start = max(too_old, expired)
    end = len(events) if too_new_at is None else too_new_at
    end = max(start, end)
    if end > start and events[end - 1].timestamp - events[start].timestamp > MAX_SPAN_MS:
        raise LogsError("InvalidParameterException",
                        "the events of one call may span at most 24 hours",
                        hint="split the batch by day")  # fmt: skip
    return start, end, info


def event_ids(group: str, stream: str, events: list[InputEvent]) -> list[str]:
    """Deterministic ids: the same event put again (same stream, time, text and its rank among
    identical ones in the call) has the same id, so compaction can tell repeats. The id starts
    with the event's place in the call, so events of one time keep the order they were put in."""
    seen: dict[tuple[int, str], int] = {}
    out = []
    head = f"{group}\0{stream}\0"
    blake = hashlib.blake2b
    for place, e in enumerate(events):
        key = (e.timestamp, e.message)
        rank = seen.get(key, 0)
        seen[key] = rank + 1
        digest = blake(f"{head}{e.timestamp}\0{rank}\0{e.message}".encode(),
                       digest_size=12).hexdigest()  # fmt: skip
        out.append(f"{place:05d}{digest}")
    return out


def put_log_events(
    settings: Settings,
    group: str,
    stream: str,
    events: list[InputEvent],
    *,
    now: int | None = None,
    source: ObjectRecord | None = None,
    on_stored: OnStored | None = None,
) -> PutResult:
    """One PutLogEvents call. `source` marks a file as put, in the same commit. `on_stored`
    sees the stored events (the service layer runs the group's metric filters on them)."""
    now = now_ms() if now is None else now
    with LogStore(settings) as store:
        info = store.group(group)
        store.stream(group, stream)
        check_call(events)
        start, end, rejected = classify(events, now, info.retention_days)
        kept = events[start:end]
        result = PutResult(len(kept), rejected)
        if not kept and source is None:
            return result
        from vigil.lake.tables import LOG_EVENTS
        from vigil.lake.writer import Batch

        batch = Batch(LOG_EVENTS)
        for day, rows in by_day(kept).items():
            batch.add((info.account, info.region, day), events_table(group, stream, rows, now))
        if source is not None:
            batch.objects.append(source)
        with lake_lock(settings.home):
            commit(settings, batch)
        if kept:
            nbytes = sum(event_bytes(e) - EVENT_OVERHEAD for e in kept)
            store.record_put(group, stream, kept[0].timestamp, kept[-1].timestamp, now, nbytes)
    if kept and on_stored is not None:
        result.datapoints = on_stored(
            settings, group, [(e.timestamp, e.message) for e in kept], False
        )
    return result


def commit(settings: Settings, batch: Batch) -> None:
    """Write a batch of log events (the caller holds the lake lock)."""
    from vigil.lake.writer import LakeWriter

    manifest = Manifest(settings.state_db)
    try:
        writer = LakeWriter(settings, manifest)
        writer.recover()
        writer.commit(batch)
    finally:
        manifest.close()


def by_day(events: list[InputEvent]) -> dict[Any, list[InputEvent]]:
    days: dict[int, list[InputEvent]] = {}
    for e in events:
        days.setdefault(e.timestamp // DAY_MS, []).append(e)
    return {datetime.fromtimestamp(d * 86400, UTC).date(): rows for d, rows in days.items()}


def events_table(group: str, stream: str, events: list[InputEvent], now: int) -> pa.Table:
    import pyarrow as pa

    from vigil.lake.tables import SOURCE_FILE

    n = len(events)
    return pa.table(
        {
            "log_group": pa.array([group] * n, pa.string()),
            "log_stream": pa.array([stream] * n, pa.string()),
            "timestamp": pa.array([e.timestamp for e in events], pa.int64()),
            "ingestion_time": pa.array([now] * n, pa.int64()),
            "message": pa.array([e.message for e in events], pa.string()),
            "event_id": pa.array(event_ids(group, stream, events), pa.string()),
            SOURCE_FILE: pa.array([f"logs://{group}/{stream}"] * n, pa.string()),
        }
    )
