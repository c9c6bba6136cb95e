"""Posture over time: what changed between two snapshots' results, per check and resource."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from vigil.posture.checks import Result

# how a change reads: worse first
KINDS: Final = ("newly failing", "newly warning", "new resource", "fixed", "gone", "changed")
RANK: Final = {"FAILED": 0, "WARNING": 1, "NOT_AVAILABLE": 2, "PASSED": 3}
WORSE: Final = {"FAILED": "newly failing", "WARNING": "newly warning"}


@dataclass(frozen=True)
class Change:
    kind: str
    check: str
    account: str
    region: str
    resource: str
    before: str | None  # status in the older snapshot, None when the resource was not there
    after: str | None
    reason: str  # the newer reason (the older one when the resource is gone)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _kind(before: str | None, after: str | None) -> str:
    if before is None:
        return WORSE.get(str(after), "new resource")
    if after is None:
        return "gone"
    if after == "PASSED" and before in ("FAILED", "WARNING"):
        return "fixed"
    if after in ("FAILED", "WARNING") and RANK[after] < RANK[before]:
        return WORSE[after]
    return "changed"


def compare(older: list[Result], newer: list[Result]) -> list[Change]:
    """Changes only (a resource whose status stayed the same is not listed), worst first."""

    def key(r: Result) -> tuple[str, str, str, str]:
        return r.check, r.account, r.region, r.resource

    before = {key(r): r for r in older}
    after = {key(r): r for r in newer}
    changes = []
    for k in sorted(before.keys() | after.keys()):
        old, new = before.get(k), after.get(k)
        was, now = (old.status if old else None), (new.status if new else None)
        if was == now:
            continue
        reason = (new or old).reason  # type: ignore[union-attr]
        changes.append(Change(_kind(was, now), *k, was, now, reason))
    return sorted(changes, key=lambda c: KINDS.index(c.kind))


def counts(results: list[Result]) -> dict[str, int]:
    out = dict.fromkeys(RANK, 0)
    for r in results:
        out[r.status] += 1
    return out
