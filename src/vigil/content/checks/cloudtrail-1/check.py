"""A logging multi-Region trail that records read and write management events (CloudTrail.1,
CIS 3.1)."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, management_all, trail_status, trails_of, unavailable
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snapshot, account)
    if missing:
        return [unavailable(account, "-", missing)]
    multi = [t for t in trails if t.get("IsMultiRegionTrail")]
    good = [
        t["Name"]
        for t in multi
        if (trail_status(snapshot, account, t) or {}).get("IsLogging")
        and management_all(snapshot, account, t)
    ]
    if good:
        why = f"multi-region trail {good[0]} logs read and write management events"
        return [Result(account, "-", account, CheckStatus.PASSED, why)]
    unknown = [
        t["Name"]
        for t in multi
        if trail_status(snapshot, account, t) is None
        or management_all(snapshot, account, t) is None
    ]
    if unknown:  # it may be fine: the snapshot cannot tell
        calls = "cloudtrail get-trail-status / get-event-selectors"
        why = f"the snapshot has no `{calls}` for {', '.join(unknown)}"
        return [Result(account, "-", account, CheckStatus.NOT_AVAILABLE, why)]
    why = "no logging multi-region trail with read and write management events"
    return [Result(account, "-", account, CheckStatus.FAILED, why)]
