"""The deliveries' audit trail: one row per attempt (when, which rule and target, the result, a
short excerpt of the answer with its HTTP status and body; never a secret), written in the
attempt's own transaction, and the newest rows read back."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Final

from vigil import clock
from vigil.events.queue import Delivery

EXCERPT_CHARS: Final = 500
_NAMES: Final = ("ts", "rule", "target", "event_id", "attempt", "result", "excerpt")


@dataclass(frozen=True)
class AuditRow:
    """One delivery attempt as the trail keeps it."""

    ts: int  # epoch ms
    rule: str
    target: str
    event_id: str
    attempt: int
    result: str  # delivered | retry | dlq
    excerpt: str | None

    @property
    def time(self) -> str | None:
        """`ts` in ISO 8601 (as AWS's APIs print times)."""
        return clock.iso_ms(self.ts)


def record(
    db: sqlite3.Connection,
    delivery: Delivery,
    now: int,
    result: str,
    excerpt: str | None,
    answer: Any = None,  # a sender's Reply or its DeliveryFailed: the HTTP status and body
    error: str | None = None,
) -> None:
    """The attempt `delivery.attempts` and its `result` (delivered | retry | dlq)."""
    db.execute(
        "INSERT INTO audit (ts, rule, target, event_id, attempt, result, excerpt, delivery, "
        "status, body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now, delivery.rule, delivery.target, delivery.event_id, delivery.attempts, result,
         (excerpt or "")[:EXCERPT_CHARS], delivery.id, getattr(answer, "http_status", None),
         getattr(answer, "body", None), error),
    )  # fmt: skip


def recent(db: sqlite3.Connection, limit: int = 100) -> list[AuditRow]:
    """The newest attempts, oldest first."""
    rows = db.execute(
        f"SELECT {', '.join(_NAMES)} FROM audit ORDER BY rowid DESC LIMIT ?", (limit,)
    ).fetchall()
    return [AuditRow(*row) for row in reversed(rows)]
