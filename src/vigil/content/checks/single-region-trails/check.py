"""Each trail records every region."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, per_trail
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return per_trail(snapshot, account, _multi_region)


def _multi_region(trail: dict[str, Any]) -> tuple[CheckStatus, str]:
    if trail.get("IsMultiRegionTrail"):
        return CheckStatus.PASSED, "multi-region"
    return CheckStatus.WARNING, f"records {trail.get('HomeRegion') or trail['_region']} only"
