"""The dead-letter queue: deliveries that failed for good (refused, out of attempts or too
old), listed with why, and sent back to the queue on demand."""

from __future__ import annotations

from vigil.events import audit
from vigil.events.queue import SELECT, Delivery
from vigil.events.targets import DeliveryFailed
from vigil.state import StateDB


def bury(
    state: StateDB, delivery: Delivery, failure: DeliveryFailed, now: int, exhausted: str | None
) -> None:
    """Dead-letter a delivery after `delivery.attempts` attempts; `exhausted` names the limit
    it ran into (MaximumRetryAttempts, MaximumEventAgeInSeconds), if any."""
    with state.transaction() as db:
        db.execute(
            "UPDATE deliveries SET status = 'dlq', attempts = ?, error_code = ?, "
            "error = ?, exhausted = ? WHERE id = ?",
            (delivery.attempts, failure.code, str(failure), exhausted, delivery.id),
        )
        text = f"{failure.code}: {failure}"
        audit.record(db, delivery, now, "dlq", text, failure, text)


def dead_letters(state: StateDB) -> list[Delivery]:
    """Each dead letter, with why it is there (`error_code`, `error`, `exhausted`)."""
    rows = state.db.execute(f"{SELECT} WHERE status = 'dlq' ORDER BY id").fetchall()
    return [Delivery.from_row(row) for row in rows]


def redrive(state: StateDB, ids: list[int] | None, now: int) -> int:
    """Back to the queue (all, or these), with fresh attempts and a fresh age (created now)."""
    chosen = f" AND id IN ({','.join('?' * len(ids))})" if ids else ""
    with state.transaction() as db:
        cursor = db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_ms = ?, "
            f"created_ms = ? WHERE status = 'dlq'{chosen}",
            (now, now, *(ids or ())),
        )
    return int(cursor.rowcount)
