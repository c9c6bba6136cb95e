"""The trails' buckets log access to themselves (CloudTrail.7)."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.buckets import bucket_check
from vigil.posture.checks import Result
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return bucket_check(snapshot, account, "s3 get-bucket-logging", _logging)


def _logging(value: Any) -> tuple[CheckStatus, str]:
    if (value or {}).get("LoggingEnabled"):
        return CheckStatus.PASSED, f"access logs to {value['LoggingEnabled'].get('TargetBucket')}"
    return CheckStatus.FAILED, "server access logging is off"
