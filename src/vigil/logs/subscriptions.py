"""Subscription filters: a log group's events that match a pattern, forwarded as they are put,
in CloudWatch Logs' subscription payload (`DATA_MESSAGE`). At most 2 per group, as AWS allows.
Vigil's destination is an event bus (`arn:aws:events:<region>:<account>:event-bus/<name>`):
rules route the events on from there to any target."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from vigil.clock import now_ms
from vigil.logs.groups import LogsError, LogStore
from vigil.logs.pattern_match import compile_pattern

MAX_PER_GROUP: Final = 2
BUS_ARN: Final = re.compile(r"arn:aws:events:[^:]*:[^:]*:event-bus/[.\-_A-Za-z0-9]+")
_NAME: Final = re.compile(r"[^:*]{1,512}")


@dataclass(frozen=True)
class Subscription:
    log_group: str
    name: str
    pattern: str
    destination: str
    distribution: str = "ByLogStream"
    created_ms: int = 0

    def as_aws(self) -> dict[str, Any]:
        return {"filterName": self.name, "logGroupName": self.log_group,
                "filterPattern": self.pattern, "destinationArn": self.destination,
                "distribution": self.distribution, "creationTime": self.created_ms}  # fmt: skip


def check(sub: Subscription) -> None:
    if not _NAME.fullmatch(sub.name):
        raise LogsError("InvalidParameterException", "filterName: 1-512 characters, no : or *")
    if not BUS_ARN.fullmatch(sub.destination):
        raise LogsError("InvalidParameterException",
                        f"destinationArn {sub.destination!r}: Vigil delivers subscriptions to "
                        "an event bus", hint="arn:aws:events:REGION:ACCOUNT:event-bus/default, "
                        "then a rule routes them to a target")  # fmt: skip
    if sub.distribution not in ("ByLogStream", "Random"):
        raise LogsError("InvalidParameterException", "distribution: ByLogStream or Random")
    compile_pattern(sub.pattern)  # a pattern that does not parse is refused now


class SubscriptionStore(LogStore):
    def put_subscription(self, sub: Subscription) -> None:
        check(sub)
        self.group(sub.log_group)
        with self.state.transaction() as db:
            rows = db.execute("SELECT name FROM subscriptions WHERE log_group = ?",
                              (sub.log_group,))  # fmt: skip
            names = [r[0] for r in rows]
            if sub.name not in names and len(names) >= MAX_PER_GROUP:
                raise LogsError("LimitExceededException",
                                f"{sub.log_group} has {MAX_PER_GROUP} subscription filters "
                                "already (the most AWS allows)")  # fmt: skip
            db.execute("INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, ?, ?)",
                       (sub.log_group, sub.name, sub.pattern, sub.destination, sub.distribution,
                        now_ms()))  # fmt: skip

    def subscriptions(self, group: str | None = None) -> list[Subscription]:
        sql = (
            "SELECT log_group, name, pattern, destination, distribution, created_ms FROM "
            "subscriptions"
        )
        rows = (self.state.db.execute(sql + " WHERE log_group = ? ORDER BY name", (group,))
                if group else self.state.db.execute(sql + " ORDER BY log_group, name"))  # fmt: skip
        return [Subscription(*r) for r in rows]

    def delete_subscription(self, group: str, name: str) -> None:
        with self.state.transaction() as db:
            if not db.execute("DELETE FROM subscriptions WHERE log_group = ? AND name = ?",
                              (group, name)).rowcount:  # fmt: skip
                raise LogsError(
                    "ResourceNotFoundException",
                    f"The specified subscription filter {name!r} does not exist.",
                )


def payloads(
    subs: list[Subscription], group: str, stream: str, owner: str,
    events: list[tuple[int, str, str]],
) -> list[tuple[Subscription, dict[str, Any]]]:  # fmt: skip
    """Each subscription's DATA_MESSAGE for the events (timestamp, message, id) it matches."""
    out = []
    for sub in subs:
        matcher = compile_pattern(sub.pattern)
        hits = [{"id": i, "timestamp": t, "message": m} for t, m, i in events
                if not sub.pattern.strip() or matcher.extract(m) is not None]  # fmt: skip
        if hits:
            out.append((sub, {"messageType": "DATA_MESSAGE", "owner": owner, "logGroup": group,
                              "logStream": stream, "subscriptionFilters": [sub.name],
                              "logEvents": hits}))  # fmt: skip
    return out
