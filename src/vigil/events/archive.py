"""Archives: the events one bus received that match the archive's pattern (every event when it
has none), kept for RetentionDays (0: for ever), to be replayed later.

The worker reads the bus's new events after the archives' watermark (`archive_progress`) each
round; an event that arrived before an archive existed is not in it, and a replayed event
(one with `replay-name`) is never archived again, as EventBridge's managed rule ensures.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from vigil import clock
from vigil.errors import VigilError
from vigil.events.buses import BusError, bus_arn, not_found
from vigil.events.pattern import Pattern
from vigil.state import Store

DAY_MS: Final = 86_400_000
BATCH: Final = 2000
MAX_ARCHIVES: Final = 200  # EventBridge's default quota per Region
_NAME: Final = re.compile(r"[.\-_A-Za-z0-9]{1,48}")
STATES: Final = ("ENABLED", "DISABLED", "CREATING", "UPDATING", "CREATE_FAILED", "UPDATE_FAILED")


@dataclass(frozen=True)
class Archive:
    name: str
    bus: str
    description: str
    pattern: str | None
    retention_days: int
    state: str
    created_ms: int
    event_count: int = 0
    size_bytes: int = 0

    def arn(self, account: str, region: str) -> str:
        return f"arn:aws:events:{region}:{account}:archive/{self.name}"

    def source_arn(self, account: str, region: str) -> str:
        """The ARN of the bus whose events it keeps."""
        return bus_arn(self.bus, account, region)


def check_pattern(text: str | None) -> Pattern | None:
    """An archive's EventPattern (a JSON string), or InvalidEventPatternException."""
    if text is None or text == "":
        return None
    try:
        return Pattern(text)
    except VigilError as exc:
        raise BusError(
            "InvalidEventPatternException", f"Event pattern is not valid. Reason: {exc.message}"
        ) from None


def check_retention(days: Any) -> int:
    if days is None:
        return 0
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise BusError("ValidationException", f"RetentionDays {days!r}: a whole number, 0 or more")
    return days


def event_ms(event: dict[str, Any], fallback: int) -> int:
    """The time in the event (what a replay's window selects by)."""
    try:
        return clock.to_ms(clock.parse_iso(str(event.get("time"))))
    except (ValueError, VigilError):
        return fallback


class ArchiveStore(Store):
    _COLUMNS: Final = "name, bus, description, pattern, retention_days, state, created_ms"

    def create(
        self, name: str, bus: str, pattern: str | None, description: str, retention: Any, now: int
    ) -> Archive:
        if not _NAME.fullmatch(name):
            raise BusError(
                "ValidationException", f"ArchiveName {name!r}: 1 to 48 of A-Z a-z 0-9 . - _"
            )
        check_pattern(pattern)
        days = check_retention(retention)
        with self.state.transaction() as db:
            if db.execute("SELECT 1 FROM archives WHERE name = ?", (name,)).fetchone():
                raise BusError("ResourceAlreadyExistsException", f"Archive {name} already exists.")
            (count,) = db.execute("SELECT count(*) FROM archives").fetchone()
            if count >= MAX_ARCHIVES:
                raise BusError("LimitExceededException", f"at most {MAX_ARCHIVES} archives")
            db.execute(
                f"INSERT INTO archives ({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, 'ENABLED', ?)",
                (name, bus, description, pattern or None, days, now),
            )
        return self.get(name)

    def get(self, name: str) -> Archive:
        row = self.state.db.execute(
            f"SELECT {self._COLUMNS} FROM archives WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise not_found(f"Archive {name}")
        count, size = self.state.db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM archived_events WHERE archive = ?",
            (name,),
        ).fetchone()
        name_, bus, description, pattern, days, state, created = row
        return Archive(name_, bus, description, pattern, days, state, created, count, size)

    def listing(
        self, prefix: str = "", bus: str | None = None, state: str | None = None
    ) -> list[Archive]:
        names = [r[0] for r in self.state.db.execute("SELECT name FROM archives ORDER BY name")]
        found = [self.get(n) for n in names if n.startswith(prefix)]
        return [
            a
            for a in found
            if (bus is None or a.bus == bus) and (state is None or a.state == state)
        ]

    def update(
        self, name: str, pattern: str | None, description: str | None, retention: Any
    ) -> Archive:
        old = self.get(name)
        check_pattern(pattern)
        days = old.retention_days if retention is None else check_retention(retention)
        with self.state.transaction() as db:
            db.execute(
                "UPDATE archives SET pattern = ?, description = ?, retention_days = ? "
                "WHERE name = ?",
                (
                    old.pattern if pattern is None else (pattern or None),
                    old.description if description is None else description,
                    days,
                    name,
                ),
            )
        return self.get(name)

    def delete(self, name: str) -> None:
        self.get(name)
        with self.state.transaction() as db:
            db.execute("DELETE FROM archived_events WHERE archive = ?", (name,))
            db.execute("DELETE FROM archives WHERE name = ?", (name,))

    def on_bus(self, bus: str) -> bool:
        row = self.state.db.execute(
            "SELECT 1 FROM archives WHERE bus = ? AND state = 'ENABLED'", (bus,)
        ).fetchone()
        return row is not None

    # -- the worker's part -----------------------------------------------------------------------
    def capture(self, now: int) -> int:
        """Archive the events that arrived since the last call; prune what is past retention.
        How many events were archived."""
        rows = self.state.db.execute(
            f"SELECT {self._COLUMNS} FROM archives WHERE state = 'ENABLED'"
        ).fetchall()
        archives = [(Archive(*r), check_pattern(r[3])) for r in rows]
        read = self.state.db.execute
        (top,) = read("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        mark = read("SELECT seq FROM archive_progress WHERE id = 1").fetchone()
        if not archives:  # nothing to keep: the watermark moves on (written when it changed)
            if mark != (top,):
                with self.state.transaction() as db:
                    db.execute("INSERT OR REPLACE INTO archive_progress VALUES (1, ?)", (top,))
            return 0
        if mark == (top,) and not self._expired(archives, now):
            return 0  # an idle round writes nothing
        with self.state.transaction() as db:
            done = db.execute("SELECT seq FROM archive_progress WHERE id = 1").fetchone()
            if done is None:  # the first archive: start from the events that came after it
                first = min(a.created_ms for a, _ in archives)
                done = db.execute(
                    "SELECT coalesce(max(seq), 0) FROM events WHERE created_ms < ?", (first,)
                ).fetchone()
            events = db.execute(
                "SELECT seq, event, created_ms, bus FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (done[0], BATCH),
            ).fetchall()
            kept = 0
            for seq, text, arrived, bus in events:
                event = json.loads(text)
                if "replay-name" in event:
                    continue
                for archive, pattern in archives:
                    if archive.bus != bus or arrived < archive.created_ms:
                        continue
                    if pattern is not None and not pattern.matches(event):
                        continue
                    db.execute(
                        "INSERT OR IGNORE INTO archived_events VALUES (?, ?, ?, ?, ?)",
                        (archive.name, seq, event_ms(event, arrived), len(text.encode()), text),
                    )
                    kept += 1
            if events:
                db.execute(
                    "INSERT OR REPLACE INTO archive_progress VALUES (1, ?)", (events[-1][0],)
                )
            for archive, _ in archives:
                if archive.retention_days:
                    db.execute(
                        "DELETE FROM archived_events WHERE archive = ? AND event_ms < ?",
                        (archive.name, now - archive.retention_days * DAY_MS),
                    )
        return kept

    def _expired(self, archives: list[tuple[Archive, Pattern | None]], now: int) -> bool:
        """Whether an archive holds an event past its retention."""
        for archive, _ in archives:
            if (
                archive.retention_days
                and self.state.db.execute(
                    "SELECT 1 FROM archived_events WHERE archive = ? AND event_ms < ? LIMIT 1",
                    (archive.name, now - archive.retention_days * DAY_MS),
                ).fetchone()
            ):
                return True
        return False

    def window(
        self, name: str, start_ms: int, end_ms: int, after: tuple[int, int], limit: int
    ) -> list[tuple[int, int, dict[str, Any]]]:
        """Archived events in [start, end) after (time, seq), in time order: (time, seq, event)."""
        rows = self.state.db.execute(
            "SELECT event_ms, seq, event FROM archived_events WHERE archive = ? "
            "AND event_ms >= ? AND event_ms < ? AND (event_ms > ? OR (event_ms = ? AND seq > ?)) "
            "ORDER BY event_ms, seq LIMIT ?",
            (name, start_ms, end_ms, after[0], after[0], after[1], limit),
        ).fetchall()
        return [(t, seq, json.loads(text)) for t, seq, text in rows]
