"""`vigil logs put`: events from a file or stdin, sent as PutLogEvents calls, as an agent does.

Each line is an event: a JSON object with `timestamp` (ms) and `message` is taken as is, any
other line is the message, stamped with the time it is read. Events are sorted by time and cut
into calls within the limits (10,000 events, 1 MiB with the per-event overhead, 24 hours). A
file that was put in full is recorded by its content hash, so putting it again adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.inputs import decode, loads
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.logs.groups import LogsError, LogStore
from vigil.logs.put import (
    MAX_BATCH_BYTES,
    MAX_EVENTS,
    MAX_SPAN_MS,
    InputEvent,
    OnStored,
    event_bytes,
    put_log_events,
)


@dataclass
class PutSummary:
    events: int = 0
    accepted: int = 0
    calls: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # too_old / expired / too_new counts
    already: bool = False  # the same file was put before
    problems: list[str] = field(default_factory=list)


def read_events(lines: Iterable[str], source: str, now: int) -> tuple[list[InputEvent], list[str]]:
    events, problems = [], []
    for number, line in enumerate(lines, 1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if text.lstrip().startswith("{"):
            try:
                doc = loads(text)
            except json.JSONDecodeError:
                doc = None
            if isinstance(doc, dict) and "message" in doc:
                stamp = doc.get("timestamp", now)
                if not isinstance(stamp, int) or isinstance(stamp, bool):
                    problems.append(f"{source}:{number}: timestamp must be milliseconds (integer)")
                    continue
                events.append(InputEvent(stamp, str(doc["message"])))
                continue
        events.append(InputEvent(now, text))
    return sorted(events, key=lambda e: e.timestamp), problems


def chunks(events: list[InputEvent]) -> list[list[InputEvent]]:
    out: list[list[InputEvent]] = []
    current: list[InputEvent] = []
    size = 0
    for event in events:
        full = len(current) >= MAX_EVENTS or size + event_bytes(event) > MAX_BATCH_BYTES
        if current and (full or event.timestamp - current[0].timestamp > MAX_SPAN_MS):
            out.append(current)
            current, size = [], 0
        current.append(event)
        size += event_bytes(event)
    if current:
        out.append(current)
    return out


def put_file(
    settings: Settings,
    group: str,
    stream: str,
    path: Path | None,
    *,
    create: bool = False,
    on_stored: OnStored | None = None,
) -> PutSummary:
    """Put a file's lines (stdin when `path` is None) into a stream."""

    now = now_ms()
    with LogStore(settings) as store:
        if create:
            _ensure(store, group, stream)
        store.stream(group, stream)
    summary = PutSummary()
    record = None
    if path is not None:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        uri = f"logs://{group}/{stream}/{digest}"
        manifest = Manifest(settings.state_db)
        try:
            if manifest.seen(uri, len(data), digest):
                summary.already = True
                return summary
        finally:
            manifest.close()
        text = decode(data, str(path), what="a log file")
        events, summary.problems = read_events(text.splitlines(), str(path), now)
        record = ObjectRecord(uri, len(data), digest, digest, "log_events", "done", len(events))
    else:
        return _stream_stdin(settings, group, stream, summary, on_stored)
    summary.events = len(events)
    parts = chunks(events)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        result = put_log_events(
            settings, group, stream, part, source=record if last else None, on_stored=on_stored
        )
        summary.calls += 1
        summary.accepted += result.accepted
        for name, count in _rejected_counts(result.rejected, len(part)).items():
            summary.rejected[name] = summary.rejected.get(name, 0) + count
    return summary


def _stream_stdin(
    settings: Settings, group: str, stream: str, summary: PutSummary, on_stored: OnStored | None
) -> PutSummary:
    import sys

    from vigil.logs.stream_put import stream_put

    def counted(events: int, accepted: int, rejected: dict[str, int]) -> None:
        summary.events += events
        summary.accepted += accepted
        summary.calls += 1
        for name, count in _rejected_counts(rejected, events).items():
            summary.rejected[name] = summary.rejected.get(name, 0) + count

    summary.problems = stream_put(
        settings, group, stream, sys.stdin, counted, read=read_events, on_stored=on_stored
    )
    return summary


def _ensure(store: LogStore, group: str, stream: str) -> None:
    try:
        store.group(group)
    except LogsError:
        store.create_group(group)
    try:
        store.stream(group, stream)
    except LogsError:
        store.create_stream(group, stream)


def _rejected_counts(info: dict[str, int], n: int) -> dict[str, int]:
    out = {}
    old = info.get("tooOldLogEventEndIndex", 0)
    expired = info.get("expiredLogEventEndIndex", 0)
    if old:
        out["too_old"] = old
    if expired > old:
        out["expired"] = expired - old
    if "tooNewLogEventStartIndex" in info:
        out["too_new"] = n - info["tooNewLogEventStartIndex"]
    return out


def put_events_now(
    settings: Settings,
    group: str,
    stream: str,
    messages: list[str],
    on_stored: OnStored | None = None,
) -> int:
    """Messages stamped now into a stream, creating the group and stream when missing."""
    with LogStore(settings) as store:
        _ensure(store, group, stream)
    now = now_ms()
    events = [InputEvent(now, m) for m in messages]
    return put_log_events(settings, group, stream, events, on_stored=on_stored).accepted
