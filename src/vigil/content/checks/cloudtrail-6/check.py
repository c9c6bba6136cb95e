"""The trails' buckets block every kind of public access (CloudTrail.6)."""

from __future__ import annotations

from typing import Any, Final

from vigil.model.severity import CheckStatus
from vigil.posture.buckets import bucket_check
from vigil.posture.checks import Result
from vigil.posture.snapshot import Snapshot

BLOCKS: Final = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return bucket_check(snapshot, account, "s3 get-public-access-block", _blocked)


def _blocked(value: Any) -> tuple[CheckStatus, str]:
    conf = (value or {}).get("PublicAccessBlockConfiguration") or {}
    if conf and all(conf.get(k) for k in BLOCKS):
        return CheckStatus.PASSED, "all four public access blocks on"
    return CheckStatus.FAILED, "public access is not fully blocked"
