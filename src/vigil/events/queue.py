"""The delivery queue: events matched to rules become deliveries (one per target, a topic's
per subscription) in the state store, each read back as a typed `Delivery`; schedule rules put
their "Scheduled Event" in when their time comes.

One idempotency key (`<event id>:<rule>:<target>`, and the replay's name for a replayed event)
travels with every attempt so receivers can drop repeats; queueing the same event twice makes
no second delivery.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final

from vigil.config import Settings
from vigil.events.rules import Rule, Target, load_topic, shape
from vigil.events.schedule import Schedule
from vigil.state import StateDB
from vigil.state.outbox import envelope


@dataclass(frozen=True)
class Delivery:
    """A row of the deliveries table."""

    id: int
    key: str  # the idempotency key
    event_id: str
    rule: str  # the rule's key (`bus/name` off the default bus)
    target: str  # the target's id (`topic-target/subscription` for a topic's)
    payload: str  # what the target receives, JSON
    status: str  # pending | delivered | dlq
    attempts: int
    next_ms: int
    created_ms: int
    error_code: str | None
    error: str | None
    exhausted: str | None  # MaximumRetryAttempts | MaximumEventAgeInSeconds

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Delivery:
        """The one place a row becomes a delivery: selected as `COLUMNS`."""
        return cls(*row)


COLUMNS: Final = ", ".join(f.name for f in fields(Delivery))
SELECT: Final = f"SELECT {COLUMNS} FROM deliveries"


class Queue:
    def __init__(self, settings: Settings, state: StateDB) -> None:
        self.settings = settings
        self.state = state

    def dispatch(self, rules: list[Rule], now: int) -> tuple[int, int]:
        """Match new events against the enabled pattern rules of their bus; queue one delivery
        per target. (events seen, deliveries queued)"""
        rows = self.state.db.execute(
            "SELECT seq, event, created_ms, bus FROM events WHERE dispatched = 0 ORDER BY seq "
            "LIMIT 1000"
        ).fetchall()
        events = [(json.loads(text), arrived, bus) for _, text, arrived, bus in rows]
        queued = 0
        with self.state.transaction() as db:
            for event, arrived, bus in events:
                for rule in (r for r in rules if _matches(r, event, arrived, bus)):
                    queued += sum(self.add(db, rule, t, event, now) for t in rule.targets)
            db.executemany("UPDATE events SET dispatched = 1 WHERE seq = ?", [r[:1] for r in rows])
        return len(events), queued

    def add(
        self, db: sqlite3.Connection, rule: Rule, target: Target, event: dict[str, Any], now: int
    ) -> int:
        """One target's delivery of an event, in the caller's transaction (a topic: one per
        subscription its filter policy admits). How many were queued."""
        payload = shape(target, rule, event, now)
        if target.type != "topic":
            return _insert(db, rule, target.id, event, payload, now)
        queued = 0
        for sub in load_topic(self.settings, str(target.settings.get("topic"))):
            if sub.filter_policy is None or sub.filter_policy.matches(payload):
                queued += _insert(db, rule, f"{target.id}/{sub.target.id}", event, payload, now)
        return queued

    def due(self, now: int, limit: int = 100) -> list[Delivery]:
        rows = self.state.db.execute(
            f"{SELECT} WHERE status = 'pending' AND next_ms <= ? ORDER BY next_ms, id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [Delivery.from_row(row) for row in rows]

    def fire_schedules(self, rules: list[Rule], now: int) -> int:
        """A "Scheduled Event" onto the queue for each schedule rule whose time has come."""
        fired = 0
        for rule in rules:
            if rule.enabled and rule.schedule is not None:
                fired += self._fire(rule, rule.schedule, now)
        return fired

    def _fire(self, rule: Rule, schedule: Schedule, now: int) -> int:
        row = self.state.db.execute(
            "SELECT last_ms FROM schedules WHERE rule = ?", (rule.key,)
        ).fetchone()
        if row is None:  # first sight: the clock starts now
            with self.state.transaction() as db:
                db.execute("INSERT INTO schedules VALUES (?, ?)", (rule.key, now))
            return 0
        due = schedule.next_after(datetime.fromtimestamp(row[0] / 1000, UTC))
        if due > datetime.fromtimestamp(now / 1000, UTC):
            return 0
        event = envelope("aws.events", "Scheduled Event", {}, account=rule.account,
                         region=rule.region, resources=[rule.arn], time=due)  # fmt: skip
        with self.state.transaction() as db:
            db.execute(
                "UPDATE schedules SET last_ms = ? WHERE rule = ?",
                (int(due.timestamp() * 1000), rule.key),
            )
            for target in rule.targets:
                self.add(db, rule, target, event, now)
        return 1


def _matches(rule: Rule, event: dict[str, Any], arrived: int, bus: str) -> bool:
    """An enabled pattern rule of the event's bus, older than the event, whose pattern fits."""
    if not rule.enabled or rule.pattern is None or arrived < rule.created_ms:
        return False
    return rule.bus == bus and rule.pattern.matches(event)


def _insert(
    db: sqlite3.Connection,
    rule: Rule,
    target_id: str,
    event: dict[str, Any],
    payload: Any,
    now: int,
) -> int:
    # a replayed event is delivered again: its replay is part of the key
    replay = f":{event['replay-name']}" if "replay-name" in event else ""
    key = f"{event['id']}:{rule.key}:{target_id}{replay}"
    cursor = db.execute(
        "INSERT OR IGNORE INTO deliveries (key, event_id, rule, target, payload, status, "
        "next_ms, created_ms) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        (key, event["id"], rule.key, target_id, json.dumps(payload), now, now),
    )
    return int(cursor.rowcount)
