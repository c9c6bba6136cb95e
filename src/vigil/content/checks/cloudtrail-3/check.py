"""At least one trail is logging (CloudTrail.3)."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, trail_status, trails_of, unavailable
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snapshot, account)
    if missing:
        return [unavailable(account, "-", missing)]
    statuses = {t["Name"]: trail_status(snapshot, account, t) for t in trails}
    on = [name for name, status in statuses.items() if (status or {}).get("IsLogging")]
    if on:
        return [Result(account, "-", account, CheckStatus.PASSED, f"logging: {', '.join(on)}")]
    unknown = [name for name, status in statuses.items() if status is None]
    if unknown:
        why = f"the snapshot has no `cloudtrail get-trail-status` for {', '.join(unknown)}"
        return [Result(account, "-", account, CheckStatus.NOT_AVAILABLE, why)]
    return [Result(account, "-", account, CheckStatus.FAILED, "logging: none")]
