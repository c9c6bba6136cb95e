"""What each delivery went through: its state, its last error and every attempt with the
target's answer (status, the body's first bytes, the error, when); and a test event, sent to
one target through the same queue and worker as any other event, clearly marked as a test."""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from typing import Final

from vigil.config import Settings
from vigil.errors import VigilError
from vigil.events.delivery import Deliveries
from vigil.events.queue import SELECT, Delivery
from vigil.events.rules import load_rules
from vigil.state.outbox import ARRIVED, envelope

TEST_SOURCE: Final = "vigil.test"
TEST_DETAIL_TYPE: Final = "Vigil Test Event"
UNTESTABLE: Final = ("job", "playbook")
TEST_PREFIX: Final = "test-"  # a test event's id, so its deliveries are told apart


@dataclass(frozen=True)
class Attempt:
    number: int
    ts: int  # epoch ms
    result: str  # delivered | retry | dlq
    status: int | None  # the HTTP status, when the target answered over HTTP
    body: str | None  # its first bytes
    error: str | None
    excerpt: str  # the whole line, as homes before migration 8 kept it


@dataclass(frozen=True)
class DeliveryView:
    """A delivery as the console shows it: its state, last error and every attempt."""

    id: int
    event_id: str
    rule: str
    target: str
    status: str  # pending | delivered | dlq
    attempts: int
    created_ms: int
    last_error: str | None
    test: bool
    tries: list[Attempt] = field(default_factory=list)


def deliveries(
    settings: Settings, limit: int = 50, ids: list[int] | None = None
) -> list[DeliveryView]:
    """The newest deliveries (or these), each with its attempts, oldest attempt first."""
    with Deliveries(settings) as store:
        db = store.state.db
        if ids is not None:
            marks = ",".join("?" * len(ids)) or "NULL"
            rows = db.execute(SELECT + f" WHERE id IN ({marks}) ORDER BY id DESC", ids).fetchall()
        else:
            rows = db.execute(SELECT + " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_with_tries(db, Delivery.from_row(row)) for row in rows]


def _with_tries(db: sqlite3.Connection, row: Delivery) -> DeliveryView:
    tries = [
        Attempt(n, ts, result, code, body, err, excerpt or "")
        for n, ts, result, code, body, err, excerpt in db.execute(
            "SELECT attempt, ts, result, status, body, error, excerpt FROM audit "
            "WHERE delivery = ? OR (delivery IS NULL AND rule = ? AND target = ? "
            "AND event_id = ?) ORDER BY rowid",
            (row.id, row.rule, row.target, row.event_id),
        )
    ]
    last = f"{row.error_code}: {row.error}" if row.error_code else row.error
    return DeliveryView(row.id, row.event_id, row.rule, row.target, row.status, row.attempts,
                    row.created_ms, last, row.event_id.startswith(TEST_PREFIX), tries)  # fmt: skip


def send_test(settings: Settings, rule_name: str, target_id: str, by: str, now: int) -> list[int]:
    """Queue a test event for one target of a rule (a topic's subscriptions each get one);
    the worker delivers it as it does any event. The ids of the deliveries queued."""
    rules, _ = load_rules(settings)
    rule = next((r for r in rules if r.name == rule_name), None)
    if rule is None:
        raise VigilError(f"no rule {rule_name!r}", hint="see the rules on the Response page")
    target = next((t for t in rule.targets if t.id == target_id), None)
    if target is None:
        raise VigilError(f"no target {target_id!r} in rule {rule_name!r}",
                         hint=f"its targets: {', '.join(t.id for t in rule.targets)}")  # fmt: skip
    if target.type in UNTESTABLE:
        raise VigilError(f"target {target_id!r} is a {target.type}: a test event is for targets "
                         "that notify (a job or a playbook would run its work)")  # fmt: skip
    detail = {
        "test": True,
        "message": "A test event sent from Vigil to check this target; nothing happened.",
        "requested_by": by,
        "rule": rule.name,
        "target": target.id,
    }
    ident = TEST_PREFIX + str(uuid.uuid4())
    event = envelope(TEST_SOURCE, TEST_DETAIL_TYPE, detail, account=rule.account,
                     region=rule.region, resources=[rule.arn], event_id=ident)  # fmt: skip
    with Deliveries(settings) as store:
        with store.state.transaction() as db:
            store.queue(db, rule, target, event, now)
        rows = store.state.db.execute(
            "SELECT id FROM deliveries WHERE event_id = ? ORDER BY id", (ident,)
        ).fetchall()
    ids = [int(r[0]) for r in rows]
    ARRIVED.set()  # the worker in this process starts its round now
    return ids


def wait_for(settings: Settings, ids: list[int], seconds: float) -> list[DeliveryView]:
    """These deliveries once each has had an attempt (or when `seconds` have passed)."""
    deadline = time.monotonic() + seconds
    while True:
        found = deliveries(settings, ids=ids)
        if all(d.tries for d in found) or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)
