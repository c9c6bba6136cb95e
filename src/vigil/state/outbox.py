"""The outbox: any stage appends an EventBridge event to the state store's `events` table
inside its own transaction (an alarm's state change and its event commit together); the event
bus (`vigil.events`) reads and dispatches them. Kept here, below every stage, so a stage emits
without importing the bus."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from typing import Any, Final


def envelope(
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    *,
    account: str,
    region: str,
    resources: list[str] | None = None,
    time: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    moment = (time or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
    }


ARRIVED: Final = threading.Event()  # set on every append: a worker in this process wakes


def insert_event(
    db: sqlite3.Connection, event: dict[str, Any], now: int, bus: str = "default"
) -> bool:
    """Append inside the caller's transaction (to the default bus unless told); False when
    the id was already there."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO events (id, source, detail_type, created_ms, event, bus) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (event["id"], event["source"], event["detail-type"], now, json.dumps(event), bus),
    )
    ARRIVED.set()
    return cursor.rowcount == 1
