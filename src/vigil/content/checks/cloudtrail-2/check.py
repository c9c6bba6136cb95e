"""Each trail's log files are encrypted with a KMS key (CloudTrail.2)."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, per_trail
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return per_trail(snapshot, account, _kms)


def _kms(trail: dict[str, Any]) -> tuple[CheckStatus, str]:
    if trail.get("KmsKeyId"):
        return CheckStatus.PASSED, f"SSE-KMS with {trail['KmsKeyId']}"
    return CheckStatus.FAILED, "not encrypted with KMS"
