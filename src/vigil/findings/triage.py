"""The triage view of the hub: findings filtered as Security Hub's console filters them
(severity, type glob, account, Region, resource, product, workflow and record state, time
range, threat or control findings), sorted, and paged. Pure: it works on findings already read."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final, Literal

from vigil.model.finding import Finding, FindingKind

SORTS: Final = ("severity", "last_seen", "first_seen", "count", "type", "account")
Kind = Literal["all", "threat", "control"]


@dataclass(frozen=True)
class FindingQuery:
    kind: Kind = "all"
    severity: float | None = None  # at least
    type: str | None = None  # a glob (`Recon:*`), or a prefix
    account: str | None = None
    region: str | None = None
    resource: str | None = None  # a part of the resource id
    product: str | None = None  # vigil, guardduty or securityhub
    workflow: str | None = None  # one state, or several with commas (NEW,NOTIFIED)
    record_state: str | None = "ACTIVE"  # None: both
    since: str | None = None  # last seen at or after (ISO 8601)
    until: str | None = None  # first seen before
    sort: str = "severity"
    descending: bool = True
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class FindingPage:
    findings: list[Finding]
    total: int
    offset: int
    limit: int
    counts: dict[str, int] = field(default_factory=dict)  # by kind, before paging

    @property
    def next_offset(self) -> int | None:
        after = self.offset + self.limit
        return after if after < self.total else None


def is_control(f: Finding) -> bool:
    return f.kind is FindingKind.CONTROL


def select(found: list[Finding], q: FindingQuery) -> FindingPage:
    kept = [f for f in found if _matches(f, q)]
    counts = {"threat": sum(not is_control(f) for f in kept)}
    counts["control"] = len(kept) - counts["threat"]
    if q.kind != "all":
        kept = [f for f in kept if is_control(f) == (q.kind == "control")]
    key = q.sort if q.sort in SORTS else "severity"
    kept.sort(key=lambda f: (getattr(f, key), f.last_seen), reverse=q.descending)
    offset, limit = max(0, q.offset), max(1, q.limit)
    return FindingPage(kept[offset : offset + limit], len(kept), offset, limit, counts)


def _matches(f: Finding, q: FindingQuery) -> bool:
    if q.severity is not None and f.severity < q.severity:
        return False
    if q.type and not (fnmatchcase(f.type, q.type) or f.type.startswith(q.type)):
        return False
    if q.account and f.account != q.account:
        return False
    if q.region and f.region != q.region:
        return False
    if q.resource and q.resource.lower() not in f.resource_id.lower():
        return False
    if q.product and f.product != q.product.lower():
        return False
    if q.workflow and f.workflow.value not in q.workflow.upper().split(","):
        return False
    if q.record_state and f.record_state.value != q.record_state.upper():
        return False
    if q.since and f.last_seen < q.since:
        return False
    return not (q.until and f.first_seen >= q.until)
