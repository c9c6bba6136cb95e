"""The log buckets (trails' and flow logs') are encrypted with KMS by default."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.buckets import bucket_check
from vigil.posture.checks import Result
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return bucket_check(snapshot, account, "s3 get-bucket-encryption", _kms, flow_logs=True)


def _kms(value: Any) -> tuple[CheckStatus, str]:
    rules = ((value or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    algos = {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    if algos & {"aws:kms", "aws:kms:dsse"}:
        return CheckStatus.PASSED, "SSE-KMS"
    return CheckStatus.FAILED, f"encryption: {', '.join(a for a in algos if a) or 'none'} (not KMS)"
