"""For log-bucket checks: settings of the buckets trails (and flow logs) deliver to, from the
account's own answers or the bucket owner's (an organization trail's bucket lives in the
log-archive account)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, trails_of, unavailable
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
    snap: Snapshot,
    account: str,
    call: str,
    test: Callable[[Any], tuple[CheckStatus, str]],
    flow_logs: bool = False,
) -> list[Result]:
    """`test` over each of the trails' buckets' `call` answer (and, with `flow_logs`, over the
    flow logs' buckets' too)."""
    trails, missing = trails_of(snap, account)
    if missing and not flow_logs:
        return [unavailable(account, "-", missing)]
    buckets = {t["S3BucketName"] for t in trails if t.get("S3BucketName")}
    if flow_logs:
        buckets |= flow_log_buckets(snap, account)
    results = []
    for bucket in sorted(buckets):
        have, value = _bucket(snap, account, call, bucket)
        if not have:
            why = f"the snapshot has no `{call}` for {bucket}"
            results.append(Result(account, GLOBAL, bucket, CheckStatus.NOT_AVAILABLE, why))
        else:
            results.append(Result(account, GLOBAL, bucket, *test(value)))
    return results
