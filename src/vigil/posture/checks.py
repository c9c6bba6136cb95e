"""What posture checks share. A check is a content unit, `content/checks/<id>/` (its folder
name is its id): `check.yaml` (controls, severity, remediation, cases) and `check.py`, whose
`check(snapshot, account)` returns results per resource with a status: PASSED, FAILED, WARNING
or NOT_AVAILABLE (the snapshot lacks what the check needs: the reason says which call). The
helpers here are the parts several checks use: trails, their status and selectors, a service
enabled per region; `buckets`, `network` and `cloudwatch` hold the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from vigil.model.severity import CheckStatus
from vigil.posture.snapshot import Snapshot


@dataclass(frozen=True)
class Result:
    """One resource's status under one check. A check leaves `check` out: the audit sets it
    to the check's id (its folder's name), so that no check states its name twice."""

    account: str
    region: str
    resource: str
    status: CheckStatus
    reason: str
    check: str = ""


Check = Callable[[Snapshot, str], list[Result]]  # a check.py's `check(snapshot, account)`
TrailTest = Callable[[dict[str, Any]], tuple[CheckStatus, str]]


def unavailable(account: str, region: str, call: str) -> Result:
    return Result(
        account, region, account, CheckStatus.NOT_AVAILABLE, f"the snapshot has no `{call}`"
    )


def trails_of(snap: Snapshot, account: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every trail once (multi-region trails appear in each region's describe-trails)."""
    seen: dict[str, dict[str, Any]] = {}
    have = False
    for region in snap.regions(account):
        found = snap.get(account, region, "cloudtrail describe-trails")
        if found is None:
            continue
        have = True
        for trail in found.get("trailList", []):
            seen.setdefault(trail.get("TrailARN") or trail["Name"], {**trail, "_region": region})
    return list(seen.values()), None if have else "cloudtrail describe-trails"


def trail_status(snap: Snapshot, account: str, trail: dict[str, Any]) -> dict[str, Any] | None:
    """The trail's `get-trail-status` answer, from whichever region has it."""
    for region in [trail.get("HomeRegion"), trail["_region"], *snap.regions(account)]:
        found = (snap.get(account, str(region), "cloudtrail get-trail-status") or {}).get(
            trail["Name"]
        )
        if found is not None:
            return dict(found)
    return None


def management_all(snap: Snapshot, account: str, trail: dict[str, Any]) -> bool | None:
    """Whether the trail records read and write management events (None: not collected)."""
    for region in [trail.get("HomeRegion"), trail["_region"]]:
        sel = (snap.get(account, str(region), "cloudtrail get-event-selectors") or {}).get(
            trail["Name"]
        )
        if sel is None:
            continue
        for s in sel.get("EventSelectors") or []:
            if s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") == "All":
                return True
        for s in sel.get("AdvancedEventSelectors") or []:
            fields = {f["Field"]: f for f in s.get("FieldSelectors", [])}
            if (
                fields.get("eventCategory", {}).get("Equals") == ["Management"]
                and "readOnly" not in fields
            ):
                return True
        return False
    return None


def per_trail(snap: Snapshot, account: str, test: TrailTest) -> list[Result]:
    """One result per trail, as `test` judges it; FAILED when the account has none."""
    trails, missing = trails_of(snap, account)
    if missing:
        return [unavailable(account, "-", missing)]
    if not trails:
        return [Result(account, "-", account, CheckStatus.FAILED, "no trail")]
    return [Result(account, t["_region"], t.get("TrailARN", t["Name"]), *test(t)) for t in trails]


DENIED: Final = ("AccessDenied", "UnauthorizedOperation", "UnrecognizedClient")


def service_enabled(
    snap: Snapshot,
    account: str,
    call: str,
    present: Callable[[Any, dict[str, Any]], bool],
    what: str,
) -> list[Result]:
    """A service on in every region. A refused call means "not enabled" (Security Hub answers
    so when it is off) unless AWS said the caller may not ask: then NOT_AVAILABLE."""
    results = []
    for region in snap.regions(account):
        calls = snap.accounts[account][region]
        found = calls.get(call)
        error = (calls.get("_errors") or {}).get(call)
        if found is None and (error is None or any(d in error for d in DENIED)):
            why = f"`{call}` was refused: {error}" if error else f"the snapshot has no `{call}`"
            results.append(Result(account, region, account, CheckStatus.NOT_AVAILABLE, why))
        elif found is not None and present(found, calls):
            results.append(Result(account, region, region, CheckStatus.PASSED, f"{what} enabled"))
        else:
            results.append(
                Result(account, region, region, CheckStatus.FAILED, f"{what} is not enabled")
            )
    return results
