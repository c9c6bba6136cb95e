"""Each log group has a retention period."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, unavailable
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snapshot.regions(account):
        groups = snapshot.get(account, region, "logs describe-log-groups")
        if groups is None:
            results.append(unavailable(account, region, "logs describe-log-groups"))
            continue
        for g in groups.get("logGroups", []):
            days = g.get("retentionInDays")
            results.append(
                Result(
                    account,
                    region,
                    g["logGroupName"],
                    CheckStatus.PASSED if days else CheckStatus.WARNING,
                    f"kept {days} days" if days else "never expires: set a retention",
                )
            )
    return results
