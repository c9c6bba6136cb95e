"""Posture checks over a configuration snapshot. Each returns results per resource with a
status: PASSED, FAILED, WARNING or NOT_AVAILABLE (the snapshot lacks what the check needs: the
reason says which call). Metadata (controls, severity, remediation, cases) is content, in
`content/checks/<id>/check.yaml`; the logic is here (trails, services, log groups) and in
`network`, `buckets` and `cloudwatch`, keyed by the same id in `registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from vigil import clock
from vigil.model.severity import CheckStatus
from vigil.posture.snapshot import Snapshot


@dataclass(frozen=True)
class Result:
    check: str
    account: str
    region: str
    resource: str
    status: CheckStatus
    reason: str


Check = Callable[[str, Snapshot, str], list[Result]]


def unavailable(check: str, account: str, region: str, call: str) -> Result:
    return Result(
        check, account, region, account, CheckStatus.NOT_AVAILABLE, f"the snapshot has no `{call}`"
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


def _status(snap: Snapshot, account: str, trail: dict[str, Any]) -> dict[str, Any] | None:
    for region in [trail.get("HomeRegion"), trail["_region"], *snap.regions(account)]:
        found = (snap.get(account, str(region), "cloudtrail get-trail-status") or {}).get(
            trail["Name"]
        )
        if found is not None:
            return dict(found)
    return None


def _management_all(snap: Snapshot, account: str, trail: dict[str, Any]) -> bool | None:
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


def per_trail(check: str, test: Callable[[dict[str, Any]], tuple[CheckStatus, str]]) -> Check:
    def run(_: str, snap: Snapshot, account: str) -> list[Result]:
        trails, missing = trails_of(snap, account)
        if missing:
            return [unavailable(check, account, "-", missing)]
        if not trails:
            return [Result(check, account, "-", account, CheckStatus.FAILED, "no trail")]
        return [
            Result(check, account, t["_region"], t.get("TrailARN", t["Name"]), *test(t))
            for t in trails
        ]

    return run


def cloudtrail_1(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snap, account)
    if missing:
        return [unavailable(check, account, "-", missing)]
    multi = [t for t in trails if t.get("IsMultiRegionTrail")]
    good = [
        t["Name"]
        for t in multi
        if (_status(snap, account, t) or {}).get("IsLogging") and _management_all(snap, account, t)
    ]
    if good:
        why = f"multi-region trail {good[0]} logs read and write management events"
        return [Result(check, account, "-", account, CheckStatus.PASSED, why)]
    unknown = [
        t["Name"]
        for t in multi
        if _status(snap, account, t) is None or _management_all(snap, account, t) is None
    ]
    if unknown:  # it may be fine: the snapshot cannot tell
        calls = "cloudtrail get-trail-status / get-event-selectors"
        why = f"the snapshot has no `{calls}` for {', '.join(unknown)}"
        return [Result(check, account, "-", account, CheckStatus.NOT_AVAILABLE, why)]
    why = "no logging multi-region trail with read and write management events"
    return [Result(check, account, "-", account, CheckStatus.FAILED, why)]


def cloudtrail_3(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snap, account)
    if missing:
        return [unavailable(check, account, "-", missing)]
    statuses = {t["Name"]: _status(snap, account, t) for t in trails}
    on = [name for name, status in statuses.items() if (status or {}).get("IsLogging")]
    if on:
        return [
            Result(check, account, "-", account, CheckStatus.PASSED, f"logging: {', '.join(on)}")
        ]
    unknown = [name for name, status in statuses.items() if status is None]
    if unknown:
        why = f"the snapshot has no `cloudtrail get-trail-status` for {', '.join(unknown)}"
        return [Result(check, account, "-", account, CheckStatus.NOT_AVAILABLE, why)]
    return [Result(check, account, "-", account, CheckStatus.FAILED, "logging: none")]


def cloudtrail_5(check: str, snap: Snapshot, account: str) -> list[Result]:
    taken = clock.parse_iso(snap.taken_at)

    def test(t: dict[str, Any]) -> tuple[CheckStatus, str]:
        if not t.get("CloudWatchLogsLogGroupArn"):
            return CheckStatus.FAILED, "not delivered to CloudWatch Logs"
        last = (_status(snap, account, t) or {}).get("LatestCloudwatchLogsDeliveryTime")
        if last is None:
            return CheckStatus.WARNING, "delivery time unknown"
        when = clock.parse_iso(str(last))  # aware: a time without a zone is UTC
        if taken - when > timedelta(days=1):
            return CheckStatus.FAILED, f"last delivered to CloudWatch Logs {last}"
        return CheckStatus.PASSED, f"delivers to {t['CloudWatchLogsLogGroupArn']}"

    return per_trail(check, test)(check, snap, account)


def trails_per_region(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        found = snap.get(account, region, "cloudtrail describe-trails")
        if found is None:
            results.append(unavailable(check, account, region, "cloudtrail describe-trails"))
            continue
        n = len(found.get("trailList", []))
        status = CheckStatus.FAILED if n > 5 else CheckStatus.PASSED
        results.append(
            Result(
                check, account, region, region, status, f"{n} trail(s) count against the limit of 5"
            )
        )
    return results


DENIED: Final = ("AccessDenied", "UnauthorizedOperation", "UnrecognizedClient")


def service_enabled(call: str, present: Callable[[Any, dict[str, Any]], bool], what: str) -> Check:
    """A service on in every region. A refused call means "not enabled" (Security Hub answers
    so when it is off) unless AWS said the caller may not ask: then NOT_AVAILABLE."""

    def run(check: str, snap: Snapshot, account: str) -> list[Result]:
        results = []
        for region in snap.regions(account):
            calls = snap.accounts[account][region]
            found = calls.get(call)
            error = (calls.get("_errors") or {}).get(call)
            if found is None and (error is None or any(d in error for d in DENIED)):
                why = f"`{call}` was refused: {error}" if error else f"the snapshot has no `{call}`"
                results.append(
                    Result(check, account, region, account, CheckStatus.NOT_AVAILABLE, why)
                )
            elif found is not None and present(found, calls):
                results.append(
                    Result(check, account, region, region, CheckStatus.PASSED, f"{what} enabled")
                )
            else:
                results.append(
                    Result(
                        check, account, region, region, CheckStatus.FAILED, f"{what} is not enabled"
                    )
                )
        return results

    return run


def log_group_retention(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        groups = snap.get(account, region, "logs describe-log-groups")
        if groups is None:
            results.append(unavailable(check, account, region, "logs describe-log-groups"))
            continue
        for g in groups.get("logGroups", []):
            days = g.get("retentionInDays")
            results.append(
                Result(
                    check,
                    account,
                    region,
                    g["logGroupName"],
                    CheckStatus.PASSED if days else CheckStatus.WARNING,
                    f"kept {days} days" if days else "never expires: set a retention",
                )
            )
    return results


def org_trails(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snap, account)
    if missing:
        return [unavailable(check, account, "-", missing)]
    org = [t["Name"] for t in trails if t.get("IsOrganizationTrail")]
    status = CheckStatus.WARNING if len(org) > 1 else CheckStatus.PASSED
    return [
        Result(
            check, account, "-", account, status, f"organization trails: {', '.join(org) or 'none'}"
        )
    ]


def cloudtrail_insights(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snap, account)
    if missing:
        return [unavailable(check, account, "-", missing)]
    call = "cloudtrail get-insight-selectors"
    known, types = False, set()
    for t in trails:
        for region in [t.get("HomeRegion"), t["_region"]]:
            found = (snap.get(account, str(region), call) or {}).get(t["Name"])
            if found is not None:
                known = True
                types |= {s.get("InsightType") for s in found.get("InsightSelectors") or []}
    if types:
        return [
            Result(check, account, "-", account, CheckStatus.PASSED, f"Insights: {sorted(types)}")
        ]
    if not known:
        return [unavailable(check, account, "-", call)]
    return [
        Result(
            check, account, "-", account, CheckStatus.WARNING, "no trail records Insights events"
        )
    ]
