"""Log-bucket checks: settings of the buckets trails (and flow logs) deliver to, from the
account's own answers or the bucket owner's (an organization trail's bucket lives in the
log-archive account)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Check, Result, trails_of, unavailable
from vigil.posture.network import flow_logs_of
from vigil.posture.snapshot import GLOBAL, Snapshot


def _bucket(snap: Snapshot, account: str, call: str, bucket: str) -> tuple[bool, Any]:
    """A bucket's setting, from the account's own calls or the bucket owner's (an organization
    trail's bucket lives in the log-archive account)."""
    for owner in [account, *sorted(snap.accounts)]:
        calls = snap.accounts.get(owner, {}).get(GLOBAL, {})
        if call in calls and bucket in calls[call]:
            return True, calls[call][bucket]
    return False, None


def flow_log_buckets(snap: Snapshot, account: str) -> set[str]:
    """Buckets the account's flow logs deliver to (`arn:aws:s3:::bucket/prefix`)."""
    out = set()
    for region in snap.regions(account):
        for log in flow_logs_of(snap, account, region) or []:
            dest = str(log.get("LogDestination") or "")
            if log.get("LogDestinationType") == "s3" and dest.startswith("arn:aws:s3:::"):
                out.add(dest.removeprefix("arn:aws:s3:::").split("/")[0])
    return out


def bucket_check(
    check: str, call: str, test: Callable[[Any], tuple[CheckStatus, str]], flow_logs: bool = False
) -> Check:
    """Over the trails' buckets (and, with `flow_logs`, the flow logs' buckets too)."""

    def run(_: str, snap: Snapshot, account: str) -> list[Result]:
        trails, missing = trails_of(snap, account)
        if missing and not flow_logs:
            return [unavailable(check, account, "-", missing)]
        buckets = {t["S3BucketName"] for t in trails if t.get("S3BucketName")}
        if flow_logs:
            buckets |= flow_log_buckets(snap, account)
        results = []
        for bucket in sorted(buckets):
            have, value = _bucket(snap, account, call, bucket)
            if not have:
                results.append(
                    Result(
                        check,
                        account,
                        GLOBAL,
                        bucket,
                        CheckStatus.NOT_AVAILABLE,
                        f"the snapshot has no `{call}` for {bucket}",
                    )
                )
            else:
                results.append(Result(check, account, GLOBAL, bucket, *test(value)))
        return results

    return run


def public_blocked(value: Any) -> tuple[CheckStatus, str]:
    conf = (value or {}).get("PublicAccessBlockConfiguration") or {}
    if conf and all(
        conf.get(k)
        for k in (
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        )
    ):
        return CheckStatus.PASSED, "all four public access blocks on"
    return CheckStatus.FAILED, "public access is not fully blocked"


def kms_encrypted(value: Any) -> tuple[CheckStatus, str]:
    rules = ((value or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    algos = {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    if algos & {"aws:kms", "aws:kms:dsse"}:
        return CheckStatus.PASSED, "SSE-KMS"
    return CheckStatus.FAILED, f"encryption: {', '.join(a for a in algos if a) or 'none'} (not KMS)"
