"""Each trail writes digest files: log file validation is on (CloudTrail.4)."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, per_trail
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return per_trail(snapshot, account, _validation)


def _validation(trail: dict[str, Any]) -> tuple[CheckStatus, str]:
    if trail.get("LogFileValidationEnabled"):
        return CheckStatus.PASSED, "digest files are written"
    return CheckStatus.FAILED, "log file validation is off: tampering would go unnoticed"
