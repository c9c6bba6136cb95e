"""Event buses: `default`, which always exists and takes Vigil's own events (findings, alarm
state changes, CloudTrail calls), and the custom buses a user creates. A rule sees only the
events of its own bus; an archive keeps the events of one bus.

A bus is named by its name or its ARN (`arn:aws:events:REGION:ACCOUNT:event-bus/NAME`).
Errors carry the code EventBridge answers with (`code`), which the AWS shell passes on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Final

from vigil.errors import AwsApiError
from vigil.state import StateDB, Store

DEFAULT: Final = "default"
MAX_BUSES: Final = 100  # EventBridge's default quota of custom buses per Region
_NAME: Final = re.compile(r"[.\-_A-Za-z0-9]{1,256}")
_ARN: Final = re.compile(r"arn:aws[\w-]*:events:[^:]*:[0-9]{0,12}:event-bus/(.+)")


class BusError(AwsApiError):
    """A bus, archive or replay request EventBridge would refuse; `code` is its error code."""


def not_found(what: str) -> BusError:
    return BusError("ResourceNotFoundException", f"{what} does not exist.")


@dataclass(frozen=True)
class Bus:
    name: str
    description: str = ""
    policy: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    created_ms: int = 0
    modified_ms: int = 0

    def arn(self, account: str, region: str) -> str:
        return bus_arn(self.name, account, region)


def bus_arn(name: str, account: str, region: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def name_of(name_or_arn: str | None) -> str:
    """The bus a request names (absent: the default bus)."""
    text = str(name_or_arn or DEFAULT)
    m = _ARN.fullmatch(text)
    return m[1] if m else text


def check_name(name: str) -> None:
    """A custom bus's name as CreateEventBus takes it: 1-256 of A-Z a-z 0-9 . - _ (a `/`
    belongs to partner buses, `aws.` to AWS's own)."""
    if not _NAME.fullmatch(name):
        raise BusError(
            "ValidationException",
            f"Event bus name {name!r} is not valid: 1 to 256 of A-Z a-z 0-9 . - _ "
            "(a name with / is a partner event bus)",
        )
    if name in (".", ".."):
        raise BusError("ValidationException", f"Event bus name {name!r} is not valid")
    if name.startswith("aws."):
        raise BusError("ValidationException", f"Event bus name {name!r}: aws. is reserved")


class BusStore(Store):
    def create(self, name: str, description: str, tags: list[dict[str, str]], now: int) -> Bus:
        check_name(name)
        if len(description) > 512:
            raise BusError("ValidationException", "Description: at most 512 characters")
        with self.state.transaction() as db:
            if (
                name == DEFAULT
                or db.execute("SELECT 1 FROM event_buses WHERE name = ?", (name,)).fetchone()
            ):
                raise BusError(
                    "ResourceAlreadyExistsException", f"Event bus {name} already exists."
                )
            (count,) = db.execute("SELECT count(*) FROM event_buses").fetchone()
            if count >= MAX_BUSES:
                raise BusError(
                    "LimitExceededException",
                    f"The requested resource exceeds the maximum number allowed: "
                    f"{MAX_BUSES} custom event buses",
                )
            db.execute(
                "INSERT INTO event_buses (name, description, tags, created_ms, modified_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, description, json.dumps(tags), now, now),
            )
        return self.get(name)

    def get(self, name_or_arn: str | None) -> Bus:
        """A bus by name or ARN; the default bus always exists."""
        name = name_of(name_or_arn)
        row = self.state.db.execute(
            "SELECT name, description, policy, tags, created_ms, modified_ms FROM event_buses "
            "WHERE name = ?",
            (name,),
        ).fetchone()
        if row is not None:
            return Bus(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5])
        if name == DEFAULT:
            return Bus(DEFAULT)
        raise not_found(f"Event bus {name}")

    def update(self, name_or_arn: str | None, description: str | None, now: int) -> Bus:
        """UpdateEventBus: its description (the default bus's too)."""
        bus = self.get(name_or_arn)
        if description is None:
            return bus
        if len(description) > 512:
            raise BusError("ValidationException", "Description: at most 512 characters")
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO event_buses (name, description, created_ms, modified_ms) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "description = excluded.description, modified_ms = excluded.modified_ms",
                (bus.name, description, bus.created_ms, now if bus.created_ms else 0),
            )
        return self.get(bus.name)

    def listing(self, prefix: str = "") -> list[Bus]:
        names = [r[0] for r in self.state.db.execute("SELECT name FROM event_buses")]
        every = sorted({DEFAULT, *names})
        return [self.get(n) for n in every if n.startswith(prefix)]

    def delete(self, name_or_arn: str) -> bool:
        """Delete a custom bus (its rules go with it: the caller removes them); False when it
        was not there, which EventBridge answers with success."""
        name = name_of(name_or_arn)
        if name == DEFAULT:
            raise BusError("ValidationException", "Cannot delete event bus default.")
        with self.state.transaction() as db:
            cursor = db.execute("DELETE FROM event_buses WHERE name = ?", (name,))
        return cursor.rowcount == 1

    @staticmethod
    def names_in(state: StateDB) -> set[str]:
        """Every bus's name, read through another store's connection."""
        return {DEFAULT} | {r[0] for r in state.db.execute("SELECT name FROM event_buses")}
