"""Replays: an archive's events from a time window sent again to the rules of the bus it was
made from (only the rules in `FilterArns` when given), each with `replay-name` set as
EventBridge sets it. A replay starts STARTING; the worker runs it (RUNNING) a batch a round in
the order of the events' times and ends it COMPLETED; CancelReplay makes it CANCELLING, then
CANCELLED. Its progress is kept with the deliveries it queued, so a replay a stop interrupted
resumes where it was; one whose archive or bus is gone ends FAILED with the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from vigil.events.archive import ArchiveStore
from vigil.events.buses import BusError, BusStore, name_of, not_found
from vigil.events.delivery import Deliveries
from vigil.events.rules import Rule

BATCH: Final = 500
SKEW_MS: Final = 15 * 60_000
_NAME: Final = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
MAX_ACTIVE: Final = 10  # replays at once per account (EventBridge's quota)
ACTIVE: Final = ("STARTING", "RUNNING", "CANCELLING")
_COLUMNS: Final = (
    "name, archive, description, destination, start_ms, end_ms, state, reason, position, "
    "last_replayed_ms, started_ms, ended_ms, account, region"
)


@dataclass(frozen=True)
class Replay:
    name: str
    archive: str
    description: str
    destination: dict[str, Any]
    start_ms: int
    end_ms: int
    state: str
    reason: str | None
    position: int
    last_replayed_ms: int | None
    started_ms: int
    ended_ms: int | None
    account: str
    region: str

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:replay/{self.name}"

    @property
    def archive_arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:archive/{self.archive}"


@dataclass
class Request:
    """StartReplay, as the shell read it."""

    name: str
    archive: str  # its name
    start_ms: int
    end_ms: int
    bus_arn: str
    filter_arns: list[str] = field(default_factory=list)
    description: str = ""


def archive_name(arn: str) -> str:
    head, _, name = str(arn).rpartition(":archive/")
    if not head or not name:
        raise BusError("ValidationException", f"EventSourceArn {arn!r} is not an archive's ARN")
    return name


def rule_key(arn: str) -> str:
    """`…:rule/NAME` → NAME; `…:rule/BUS/NAME` → BUS/NAME (Rule.key)."""
    head, _, key = str(arn).partition(":rule/")
    if not head or not key:
        raise BusError("ValidationException", f"FilterArns: {arn!r} is not a rule's ARN")
    return key


class ReplayStore(ArchiveStore):
    def start(self, req: Request, rules: list[Rule], account: str, region: str, now: int) -> Replay:
        if not _NAME.fullmatch(req.name):
            raise BusError(
                "ValidationException", f"ReplayName {req.name!r}: 1 to 64 of A-Z a-z 0-9 . - _"
            )
        archive = self.get(req.archive)
        bus = name_of(req.bus_arn)
        if bus != archive.bus:
            raise BusError(
                "ValidationException",
                f"Destination {req.bus_arn}: an archive's events replay only to the bus they "
                f"came from ({archive.bus})",
            )
        if req.end_ms <= req.start_ms:
            raise BusError("ValidationException", "EventStartTime must be before EventEndTime.")
        if req.end_ms > now + SKEW_MS:  # a client's clock may be ahead as far as SigV4 allows
            raise BusError("ValidationException", "EventEndTime must not be in the future.")
        keys = {r.key for r in rules if r.bus == bus}
        for arn in req.filter_arns:
            if rule_key(arn) not in keys:
                raise not_found(f"Rule {arn} on event bus {bus}")
        destination: dict[str, Any] = {"Arn": req.bus_arn}
        if req.filter_arns:
            destination["FilterArns"] = list(req.filter_arns)
        with self.state.transaction() as db:
            if db.execute("SELECT 1 FROM replays WHERE name = ?", (req.name,)).fetchone():
                raise BusError(
                    "ResourceAlreadyExistsException", f"Replay {req.name} already exists."
                )
            (active,) = db.execute(
                "SELECT count(*) FROM replays WHERE state IN (?, ?, ?)", ACTIVE
            ).fetchone()
            if active >= MAX_ACTIVE:
                raise BusError("LimitExceededException", f"at most {MAX_ACTIVE} replays at once")
            db.execute(
                f"INSERT INTO replays ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'STARTING', NULL, "
                "0, NULL, ?, NULL, ?, ?)",
                (req.name, req.archive, req.description, json.dumps(destination), req.start_ms,
                 req.end_ms, now, account, region),
            )  # fmt: skip
        return self.replay(req.name)

    def replay(self, name: str) -> Replay:
        row = self.state.db.execute(
            f"SELECT {_COLUMNS} FROM replays WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise not_found(f"Replay {name}")
        values = list(row)
        values[3] = json.loads(values[3])
        return Replay(*values)

    def replays(
        self, prefix: str = "", state: str | None = None, archive: str | None = None
    ) -> list[Replay]:
        names = [r[0] for r in self.state.db.execute("SELECT name FROM replays ORDER BY name")]
        found = [self.replay(n) for n in names if n.startswith(prefix)]
        return [
            r
            for r in found
            if (state is None or r.state == state) and (archive is None or r.archive == archive)
        ]

    def cancel(self, name: str) -> Replay:
        replay = self.replay(name)
        if replay.state not in ("STARTING", "RUNNING"):
            raise BusError(
                "IllegalStatusException",
                f"Replay {name} is {replay.state}: it cannot be cancelled.",
            )
        self._set(name, "CANCELLING", None, None)
        return self.replay(name)

    def _set(self, name: str, state: str, reason: str | None, ended: int | None) -> None:
        with self.state.transaction() as db:
            db.execute(
                "UPDATE replays SET state = ?, reason = coalesce(?, reason), ended_ms = ? "
                "WHERE name = ?",
                (state, reason, ended, name),
            )

    # -- the worker's part -----------------------------------------------------------------------
    def busy(self) -> bool:
        """Whether a replay is waiting for the worker."""
        marks = ", ".join("?" * len(ACTIVE))
        row = self.state.db.execute(f"SELECT 1 FROM replays WHERE state IN ({marks})", ACTIVE)
        return row.fetchone() is not None

    def advance(self, deliveries: Deliveries, rules: list[Rule], now: int) -> int:
        """One round of every active replay: a batch of events each. How many were replayed."""
        sent = 0
        marks = ", ".join("?" * len(ACTIVE))
        active = self.state.db.execute(
            f"SELECT name FROM replays WHERE state IN ({marks}) ORDER BY started_ms", ACTIVE
        ).fetchall()
        for replay in [self.replay(r[0]) for r in active]:
            if replay.state == "CANCELLING":
                self._set(replay.name, "CANCELLED", "Cancelled by the user.", now)
            elif replay.state in ("STARTING", "RUNNING"):
                sent += self._step(replay, deliveries, rules, now)
        return sent

    def _step(self, replay: Replay, deliveries: Deliveries, rules: list[Rule], now: int) -> int:
        try:
            archive = self.get(replay.archive)
        except BusError:
            self._set(replay.name, "FAILED", f"Archive {replay.archive} no longer exists.", now)
            return 0
        if archive.bus not in BusStore.names_in(self.state):
            self._set(replay.name, "FAILED", f"Event bus {archive.bus} no longer exists.", now)
            return 0
        filters = {rule_key(a) for a in replay.destination.get("FilterArns") or []}
        chosen = [
            r
            for r in rules
            if r.bus == archive.bus and r.enabled and r.pattern is not None
            and (not filters or r.key in filters)
        ]  # fmt: skip
        after = (replay.last_replayed_ms or 0, replay.position)
        batch = self.window(replay.archive, replay.start_ms, replay.end_ms, after, BATCH)
        with self.state.transaction() as db:
            for _, _, event in batch:
                event = {**event, "replay-name": replay.name}
                for rule in chosen:
                    if rule.pattern is not None and rule.pattern.matches(event):
                        for target in rule.targets:
                            deliveries.queue(db, rule, target, event, now)
            if batch:
                last_ms, last_seq, _ = batch[-1]
                db.execute(
                    "UPDATE replays SET state = 'RUNNING', position = ?, last_replayed_ms = ? "
                    "WHERE name = ? AND state IN ('STARTING', 'RUNNING')",
                    (last_seq, last_ms, replay.name),
                )
            else:
                db.execute(
                    "UPDATE replays SET state = 'COMPLETED', ended_ms = ? WHERE name = ? "
                    "AND state IN ('STARTING', 'RUNNING')",
                    (now, replay.name),
                )
        return len(batch)
