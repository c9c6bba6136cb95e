"""The log buckets (trails' and flow logs') have a lifecycle rule."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.buckets import bucket_check
from vigil.posture.checks import Result
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    call = "s3 get-bucket-lifecycle-configuration"
    return bucket_check(snapshot, account, call, _lifecycle, flow_logs=True)


def _lifecycle(value: Any) -> tuple[CheckStatus, str]:
    rules = (value or {}).get("Rules") or []
    if any(r.get("Status") == "Enabled" for r in rules):
        return CheckStatus.PASSED, f"{len(rules)} lifecycle rule(s)"
    return CheckStatus.WARNING, "no lifecycle rule: logs are kept (and paid for) forever"
