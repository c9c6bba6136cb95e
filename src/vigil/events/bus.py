"""The event bus's store: EventBridge envelopes, PutEvents with its limits, and the event log
rules read from.

Every event Vigil emits (alarm state changes, findings, CloudTrail write calls, its own health)
and every event put from outside is appended to the `events` table in the state store; the
dispatcher matches them against rules in order of arrival (`dispatched` marks the progress).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from vigil import clock
from vigil.errors import VigilError
from vigil.inputs import loads
from vigil.state import Store
from vigil.state.outbox import envelope, insert_event

__all__ = ["BusEvent", "EventError", "EventStore", "envelope", "insert_event"]

MAX_ENTRIES: Final = 10
MAX_BYTES: Final = 256 * 1024
MAX_DETAIL_TYPE: Final = 128


class EventError(VigilError):
    """A malformed event or PutEvents request."""


@dataclass(frozen=True)
class BusEvent:
    """An event on the bus, in EventBridge's own shape (its envelope around the detail)."""

    document: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.document["id"])

    @property
    def source(self) -> str:
        return str(self.document["source"])

    @property
    def detail_type(self) -> str:
        return str(self.document["detail-type"])

    @property
    def time(self) -> str:
        return str(self.document["time"])


@dataclass
class PutResult:
    entries: list[dict[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for e in self.entries if "ErrorCode" in e)

    def response(self) -> dict[str, Any]:
        return {"FailedEntryCount": self.failed, "Entries": self.entries}


def entry_size(entry: Any) -> int:
    """PutEvents' size of an entry: its text fields and resources, in UTF-8 bytes."""
    if not isinstance(entry, dict):
        return len(json.dumps(entry, default=str).encode())
    parts = [entry.get("Source"), entry.get("DetailType"), entry.get("Detail")]
    parts += list(entry.get("Resources") or [])
    return sum(len(str(p).encode()) for p in parts if p is not None) + (
        14 if entry.get("Time") else 0
    )


def check_entry(entry: Any) -> str | None:
    """Why PutEvents would reject this entry (AWS's error code and message), or None."""
    if not isinstance(entry, dict):
        return "InvalidArgument: an entry is an object with Source, DetailType and Detail."
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            reason = f"{key} is a required argument."
            return f"InvalidArgument: Parameter {key} is not valid. Reason: {reason}"
    if str(entry["Source"]).startswith("aws."):
        return "NotAuthorizedForSourceException: Not authorized for the source aws.*"
    if len(str(entry["DetailType"])) > MAX_DETAIL_TYPE:
        return f"InvalidArgument: DetailType is longer than {MAX_DETAIL_TYPE} characters."
    try:
        detail = loads(entry["Detail"]) if isinstance(entry["Detail"], str) else entry["Detail"]
    except json.JSONDecodeError:
        return "MalformedDetail: Detail is malformed."
    if not isinstance(detail, dict):
        return "MalformedDetail: Detail must be a JSON object."
    return None


class EventStore(Store):
    def append(self, event: dict[str, Any], now: int, bus: str = "default") -> bool:
        with self.state.transaction() as db:
            return insert_event(db, event, now, bus)

    def put_events(
        self, entries: list[dict[str, Any]], *, account: str, region: str, now: int
    ) -> PutResult:
        """PutEvents: at most 10 entries and 256 KB a call; bad entries fail alone. An entry's
        EventBusName (a name or ARN) says its bus, the default one when absent; a bus that does
        not exist fails that entry (IMPL: EventBridge itself accepts and drops it)."""
        from vigil.events.buses import BusStore, name_of

        if not 1 <= len(entries) <= MAX_ENTRIES:
            raise EventError(
                f"{len(entries)} entries; PutEvents takes 1 to {MAX_ENTRIES}",
                hint="split the file into calls of 10",
            )
        total = sum(entry_size(e) for e in entries)
        if total > MAX_BYTES:
            raise EventError(f"the entries total {total} bytes; at most {MAX_BYTES}")
        result = PutResult()
        buses = BusStore.names_in(self.state)
        for entry in entries:
            problem = check_entry(entry)
            bus = name_of(entry.get("EventBusName")) if isinstance(entry, dict) else "default"
            if problem is None and bus not in buses:
                problem = f"ResourceNotFoundException: Event bus {bus} does not exist."
            if problem:
                code, message = problem.split(": ", 1)
                result.entries.append({"ErrorCode": code, "ErrorMessage": message})
                continue
            detail = entry["Detail"]
            event = envelope(
                str(entry["Source"]),
                str(entry["DetailType"]),
                loads(detail) if isinstance(detail, str) else detail,
                account=account,
                region=region,
                resources=entry.get("Resources"),
                time=_time(entry.get("Time")),
            )
            self.append(event, now, bus)
            result.entries.append({"EventId": event["id"]})
        return result

    def pending(self, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        rows = self.state.db.execute(
            "SELECT seq, event FROM events WHERE dispatched = 0 ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [(seq, json.loads(text)) for seq, text in rows]

    def mark_dispatched(self, seqs: list[int]) -> None:
        with self.state.transaction() as db:
            db.executemany("UPDATE events SET dispatched = 1 WHERE seq = ?", [(s,) for s in seqs])

    def recent(self, limit: int = 100, source: str | None = None) -> list[BusEvent]:
        rows = self.state.db.execute(
            "SELECT event FROM events WHERE ? IS NULL OR source = ? ORDER BY seq DESC LIMIT ?",
            (source, source, limit),
        ).fetchall()
        return [BusEvent(json.loads(r[0])) for r in rows]


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return clock.parse_iso(str(value))
