"""At most one organization trail (each more records, and bills, every event again)."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, trails_of, unavailable
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snapshot, account)
    if missing:
        return [unavailable(account, "-", missing)]
    org = [t["Name"] for t in trails if t.get("IsOrganizationTrail")]
    status = CheckStatus.WARNING if len(org) > 1 else CheckStatus.PASSED
    why = f"organization trails: {', '.join(org) or 'none'}"
    return [Result(account, "-", account, status, why)]
