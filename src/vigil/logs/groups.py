"""Log groups and streams, with CloudWatch Logs' naming rules and retention values.

Definitions live in the state store; events live in the lake (`log_events`). A group's events
are those ingested since the group was created (a deleted and re-created group starts empty)
and younger than its retention; `vigil logs expire` removes the rest from the lake's files.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Final

from vigil.clock import now_ms
from vigil.errors import AwsApiError
from vigil.state import Store

RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                         1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
_GROUP: Final = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
DEFAULT_ACCOUNT: Final = "000000000000"
DEFAULT_REGION: Final = "local"


DEFAULT_LIMIT: Final = 10_000  # events a FilterLogEvents / GetLogEvents answer holds at most


class LogsError(AwsApiError):
    """A CloudWatch Logs API error; `code` is AWS's exception name (the message starts with it)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(code, f"{code}: {message}", hint=hint)


@dataclass(frozen=True)
class LogGroup:
    name: str
    account: str
    region: str
    created_ms: int
    retention_days: int | None
    stored_bytes: int = 0
    streams: int = 0


@dataclass(frozen=True)
class LogStream:
    log_group: str
    name: str
    created_ms: int
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None
    stored_bytes: int


def check_group_name(name: str) -> None:
    if not _GROUP.fullmatch(name):
        rule = "1-512 characters of a-z A-Z 0-9 . - _ / #"
        raise LogsError("InvalidParameterException", f"log group name {name!r}: {rule}")
    if name.startswith("aws/"):
        raise LogsError("InvalidParameterException",
                        f"log group name {name!r}: the prefix aws/ is reserved")  # fmt: skip


def check_stream_name(name: str) -> None:
    if not 1 <= len(name) <= 512 or ":" in name or "*" in name:
        rule = "1-512 characters, no ':' and no '*'"
        raise LogsError("InvalidParameterException", f"log stream name {name!r}: {rule}")


def check_retention(days: int) -> None:
    if days not in RETENTION_DAYS:
        raise LogsError("InvalidParameterException", f"retention of {days} days is not allowed",
                        hint="one of " + ", ".join(map(str, RETENTION_DAYS)))  # fmt: skip


class LogStore(Store):
    """Group and stream definitions in the state store."""

    # -- groups --------------------------------------------------------------------------
    def create_group(self, name: str, *, account: str | None = None, region: str | None = None,
                     retention_days: int | None = None) -> LogGroup:  # fmt: skip
        check_group_name(name)
        if retention_days is not None:
            check_retention(retention_days)
        group = LogGroup(name, account or DEFAULT_ACCOUNT, region or DEFAULT_REGION, now_ms(),
                         retention_days)  # fmt: skip
        try:
            with self.state.transaction() as db:
                db.execute("INSERT INTO log_groups VALUES (?, ?, ?, ?, ?)",
                           (group.name, group.account, group.region, group.created_ms,
                            group.retention_days))  # fmt: skip
        except sqlite3.IntegrityError as exc:
            raise LogsError("ResourceAlreadyExistsException",
                            f"log group {name!r} already exists") from exc  # fmt: skip
        return group

    def group(self, name: str) -> LogGroup:
        row = self.state.db.execute(
            "SELECT g.name, g.account, g.region, g.created_ms, g.retention_days, "
            "coalesce(sum(s.stored_bytes), 0), count(s.name) FROM log_groups g "
            "LEFT JOIN log_streams s ON s.log_group = g.name WHERE g.name = ? GROUP BY g.name",
            (name,),
        ).fetchone()
        if row is None:
            raise LogsError("ResourceNotFoundException", f"log group {name!r} does not exist",
                            hint="create it: vigil logs create-group NAME")  # fmt: skip
        return LogGroup(*row)

    def groups(self, prefix: str = "") -> list[LogGroup]:
        names = self.state.db.execute(
            "SELECT name FROM log_groups WHERE substr(name, 1, ?) = ? ORDER BY name",
            (len(prefix), prefix),
        ).fetchall()
        return [self.group(n) for (n,) in names]

    def delete_group(self, name: str) -> None:
        group = self.group(name)
        with self.state.transaction() as db:
            db.execute("DELETE FROM log_streams WHERE log_group = ?", (name,))
            db.execute("DELETE FROM log_group_tags WHERE log_group = ?", (name,))
            db.execute("DELETE FROM log_groups WHERE name = ?", (name,))
            db.execute("INSERT INTO deleted_groups VALUES (?, ?, ?)",
                       (name, group.created_ms, now_ms()))  # fmt: skip

    def put_retention(self, name: str, days: int | None) -> None:
        """Set (or, with None, remove: never expire) the group's retention."""
        self.group(name)
        if days is not None:
            check_retention(days)
        with self.state.transaction() as db:
            db.execute("UPDATE log_groups SET retention_days = ? WHERE name = ?", (days, name))

    # -- streams -------------------------------------------------------------------------
    def create_stream(self, group: str, name: str) -> LogStream:
        self.group(group)
        check_stream_name(name)
        try:
            with self.state.transaction() as db:
                db.execute("INSERT INTO log_streams (log_group, name, created_ms) VALUES (?, ?, ?)",
                           (group, name, now_ms()))  # fmt: skip
        except sqlite3.IntegrityError as exc:
            message = f"log stream {name!r} already exists in {group!r}"
            raise LogsError("ResourceAlreadyExistsException", message) from exc
        return self.stream(group, name)

    def stream(self, group: str, name: str) -> LogStream:
        row = self.state.db.execute(
            "SELECT log_group, name, created_ms, first_event_ms, last_event_ms, "
            "last_ingestion_ms, stored_bytes FROM log_streams WHERE log_group = ? AND name = ?",
            (group, name),
        ).fetchone()
        if row is None:
            self.group(group)
            raise LogsError("ResourceNotFoundException",
                            f"log stream {name!r} does not exist in {group!r}",
                            hint=f"create it: vigil logs create-stream {group} {name}")  # fmt: skip
        return LogStream(*row)

    def streams(self, group: str, prefix: str = "") -> list[LogStream]:
        self.group(group)
        rows = self.state.db.execute(
            "SELECT name FROM log_streams WHERE log_group = ? AND substr(name, 1, ?) = ? "
            "ORDER BY name",
            (group, len(prefix), prefix),
        ).fetchall()
        return [self.stream(group, n) for (n,) in rows]

    def delete_stream(self, group: str, name: str) -> None:
        self.stream(group, name)
        with self.state.transaction() as db:
            db.execute("DELETE FROM log_streams WHERE log_group = ? AND name = ?", (group, name))

    def record_put(self, group: str, stream: str, first: int, last: int, ingested: int,
                   nbytes: int) -> None:  # fmt: skip
        with self.state.transaction() as db:
            db.execute(
                "UPDATE log_streams SET first_event_ms = min(coalesce(first_event_ms, ?), ?), "
                "last_event_ms = max(coalesce(last_event_ms, ?), ?), last_ingestion_ms = ?, "
                "stored_bytes = stored_bytes + ? WHERE log_group = ? AND name = ?",
                (first, first, last, last, ingested, nbytes, group, stream),
            )
