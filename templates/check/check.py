"""A posture check's logic: `check(snapshot, account)` returns one Result per resource it
judged, each PASSED, FAILED, WARNING or NOT_AVAILABLE (the snapshot lacks the call it needs).
It is pure: it reads the snapshot (`snapshot.get(account, region, "service operation")`, the
AWS CLI's answer) and makes no AWS call. It may import the standard library and, of Vigil,
`vigil.posture`, `vigil.model` and `vigil.clock`: the helpers checks share are in
`vigil.posture.checks` (trails, per_trail, service_enabled), `.buckets` and `.cloudwatch`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from vigil import clock
from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, per_trail, trail_status
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    taken = clock.parse_iso(snapshot.taken_at)

    def delivers(trail: dict[str, Any]) -> tuple[CheckStatus, str]:
        if not trail.get("CloudWatchLogsLogGroupArn"):
            return CheckStatus.FAILED, "not delivered to CloudWatch Logs"
        status = trail_status(snapshot, account, trail) or {}
        last = status.get("LatestCloudwatchLogsDeliveryTime")
        if last is None:
            return CheckStatus.WARNING, "delivery time unknown"
        if taken - clock.parse_iso(str(last)) > timedelta(days=1):
            return CheckStatus.FAILED, f"last delivered to CloudWatch Logs {last}"
        return CheckStatus.PASSED, f"delivers to {trail['CloudWatchLogsLogGroupArn']}"

    # one result per trail (FAILED when there is none; NOT_AVAILABLE without describe-trails)
    return per_trail(snapshot, account, delivers)
