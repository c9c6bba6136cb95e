"""Each trail delivers to CloudWatch Logs, and has within a day of the snapshot
(CloudTrail.5)."""

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
        last = (trail_status(snapshot, account, trail) or {}).get(
            "LatestCloudwatchLogsDeliveryTime"
        )
        if last is None:
            return CheckStatus.WARNING, "delivery time unknown"
        when = clock.parse_iso(str(last))  # aware: a time without a zone is UTC
        if taken - when > timedelta(days=1):
            return CheckStatus.FAILED, f"last delivered to CloudWatch Logs {last}"
        return CheckStatus.PASSED, f"delivers to {trail['CloudWatchLogsLogGroupArn']}"

    return per_trail(snapshot, account, delivers)
