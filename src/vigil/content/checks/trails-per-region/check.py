"""No region holds more trails than the limit of 5."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, unavailable
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snapshot.regions(account):
        found = snapshot.get(account, region, "cloudtrail describe-trails")
        if found is None:
            results.append(unavailable(account, region, "cloudtrail describe-trails"))
            continue
        n = len(found.get("trailList", []))
        status = CheckStatus.FAILED if n > 5 else CheckStatus.PASSED
        why = f"{n} trail(s) count against the limit of 5"
        results.append(Result(account, region, region, status, why))
    return results
