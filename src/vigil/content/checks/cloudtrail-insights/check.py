"""Some trail records CloudTrail Insights events."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, trails_of, unavailable
from vigil.posture.snapshot import Snapshot

CALL = "cloudtrail get-insight-selectors"


def check(snapshot: Snapshot, account: str) -> list[Result]:
    trails, missing = trails_of(snapshot, account)
    if missing:
        return [unavailable(account, "-", missing)]
    known, types = False, set()
    for t in trails:
        for region in [t.get("HomeRegion"), t["_region"]]:
            found = (snapshot.get(account, str(region), CALL) or {}).get(t["Name"])
            if found is not None:
                known = True
                types |= {s.get("InsightType") for s in found.get("InsightSelectors") or []}
    if types:
        return [Result(account, "-", account, CheckStatus.PASSED, f"Insights: {sorted(types)}")]
    if not known:
        return [unavailable(account, "-", CALL)]
    why = "no trail records Insights events"
    return [Result(account, "-", account, CheckStatus.WARNING, why)]
