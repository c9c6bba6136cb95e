"""Collecting a snapshot through boto3: every call the checks read, per account and region,
paginated to the end, with the AWS CLI's names. A call that is refused (no permission, service
not enabled) leaves its answer out and records the error under `_errors`, so the checks say
NOT_AVAILABLE (or FAILED for "not enabled") with the reason. Answers that mean "not configured"
(no lifecycle, no public-access block, Insights off) are kept as such, not as errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from vigil.posture.snapshot import GLOBAL, Snapshot, now

# (snapshot call, boto3 service, boto3 method), asked once per region
REGIONAL: Final = (
    ("cloudtrail describe-trails", "cloudtrail", "describe_trails"),
    ("ec2 describe-vpcs", "ec2", "describe_vpcs"),
    ("ec2 describe-subnets", "ec2", "describe_subnets"),
    ("ec2 describe-network-interfaces", "ec2", "describe_network_interfaces"),
    ("ec2 describe-instances", "ec2", "describe_instances"),
    ("ec2 describe-nat-gateways", "ec2", "describe_nat_gateways"),
    ("ec2 describe-flow-logs", "ec2", "describe_flow_logs"),
    ("ec2 describe-traffic-mirror-sessions", "ec2", "describe_traffic_mirror_sessions"),
    ("ec2 describe-traffic-mirror-filters", "ec2", "describe_traffic_mirror_filters"),
    ("ec2 describe-traffic-mirror-targets", "ec2", "describe_traffic_mirror_targets"),
    ("logs describe-metric-filters", "logs", "describe_metric_filters"),
    ("logs describe-log-groups", "logs", "describe_log_groups"),
    ("cloudwatch describe-alarms", "cloudwatch", "describe_alarms"),
    ("sns list-topics", "sns", "list_topics"),
    ("sns list-subscriptions", "sns", "list_subscriptions"),
    ("guardduty list-detectors", "guardduty", "list_detectors"),
    ("securityhub describe-hub", "securityhub", "describe_hub"),
)
# per trail (keyed by trail name), asked in the trail's home region
PER_TRAIL: Final = (
    ("cloudtrail get-trail-status", "get_trail_status", "Name"),
    ("cloudtrail get-event-selectors", "get_event_selectors", "TrailName"),
    ("cloudtrail get-insight-selectors", "get_insight_selectors", "TrailName"),
)
# per log bucket (trail buckets and flow-log buckets), region-less
PER_BUCKET: Final = (
    ("s3 get-bucket-logging", "get_bucket_logging"),
    ("s3 get-bucket-encryption", "get_bucket_encryption"),
    ("s3 get-public-access-block", "get_public_access_block"),
    ("s3 get-bucket-lifecycle-configuration", "get_bucket_lifecycle_configuration"),
    ("s3 get-bucket-policy-status", "get_bucket_policy_status"),
    ("s3 get-bucket-policy", "get_bucket_policy"),
)
# error codes that answer the question: the setting is simply not there
NOT_CONFIGURED: Final[dict[str, Any]] = {
    "NoSuchLifecycleConfiguration": None,
    "ServerSideEncryptionConfigurationNotFoundError": None,
    "NoSuchPublicAccessBlockConfiguration": None,
    "NoSuchBucketPolicy": None,
    "InsightNotEnabledException": {"InsightSelectors": []},
}

Progress = Callable[[str], None]
WORKERS: Final = 8  # regions asked at once: the calls are network-bound


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__)


def _call(client: Any, method: str, **kwargs: Any) -> Any:
    """The whole answer: every page merged (lists joined), the paging tokens dropped."""
    if client.can_paginate(method):
        value = client.get_paginator(method).paginate(**kwargs).build_full_result()
    else:
        value = getattr(client, method)(**kwargs)
    value.pop("ResponseMetadata", None)
    for token in ("NextToken", "nextToken", "NextMarker", "Marker"):
        value.pop(token, None)
    return value


class _Asker:
    """Asks one account's calls, keeping answers and errors in a region's call map."""

    def __init__(self, session: Any, endpoint_url: str | None) -> None:
        self.session, self.endpoint_url = session, endpoint_url
        self.clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self.clients:
            self.clients[key] = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url
            )
        return self.clients[key]

    def ask(
        self,
        calls: dict[str, Any],
        call: str,
        client: Any,
        method: str,
        resource: str | None = None,
        **kwargs: Any,
    ) -> Any:
        try:
            value = _call(client, method, **kwargs)
        except Exception as exc:
            code = _code(exc)
            if code not in NOT_CONFIGURED:
                label = f"{call} {resource}" if resource else call
                calls.setdefault("_errors", {})[label] = f"{code}: {str(exc)[:200]}"
                return None
            value = NOT_CONFIGURED[code]
        if resource is None:
            calls[call] = value
        else:
            calls.setdefault(call, {})[resource] = value
        return value


def _regions(session: Any, asker: _Asker, first: str) -> list[str]:
    """The regions enabled for the account (opt-in regions that are off are left out)."""
    try:
        found = asker.client("ec2", first).describe_regions()["Regions"]
        return sorted(r["RegionName"] for r in found)
    except Exception:
        return sorted(session.get_available_regions("ec2"))


def _flow_log_buckets(answer: Any) -> set[str]:
    out = set()
    for log in (answer or {}).get("FlowLogs", []):
        dest = str(log.get("LogDestination") or "")
        if log.get("LogDestinationType") == "s3" and dest.startswith("arn:aws:s3:::"):
            out.add(dest.removeprefix("arn:aws:s3:::").split("/")[0])
    return out


def _region(asker: _Asker, region: str) -> tuple[dict[str, Any], set[str]]:
    """One region's answers, and the log buckets they name."""
    calls: dict[str, Any] = {}
    buckets: set[str] = set()
    for call, service, method in REGIONAL:
        asker.ask(calls, call, asker.client(service, region), method)
    trail_client = asker.client("cloudtrail", region)
    for trail in (calls.get("cloudtrail describe-trails") or {}).get("trailList", []):
        if trail.get("S3BucketName"):
            buckets.add(trail["S3BucketName"])
        if trail.get("HomeRegion", region) != region:
            continue  # a multi-region trail's shadow: asked in its home region
        for call, method, arg in PER_TRAIL:
            kwargs = {arg: trail.get("TrailARN") or trail["Name"]}
            asker.ask(calls, call, trail_client, method, trail["Name"], **kwargs)
    guardduty = asker.client("guardduty", region)
    for detector in (calls.get("guardduty list-detectors") or {}).get("DetectorIds", []):
        call = "guardduty get-detector"
        asker.ask(calls, call, guardduty, "get_detector", detector, DetectorId=detector)
    return calls, buckets | _flow_log_buckets(calls.get("ec2 describe-flow-logs"))


def _worker_session(session: Any) -> Any:
    """A session of its own for a thread (sessions are not thread-safe; clients are), with the
    same credentials."""
    import boto3

    creds = session.get_credentials()
    if creds is None:
        return boto3.Session(region_name=session.region_name)
    frozen = creds.get_frozen_credentials()
    return boto3.Session(
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
        region_name=session.region_name,
    )


def collect_account(
    snap: Snapshot,
    session: Any,
    regions: list[str] | None,
    endpoint_url: str | None,
    progress: Progress | None = None,
    workers: int = WORKERS,
) -> str:
    """Add one account's answers (the session's credentials) to the snapshot; its id. Regions
    are asked `workers` at a time."""
    asker = _Asker(session, endpoint_url)
    first = (regions or [session.region_name or "us-east-1"])[0]
    account = str(asker.client("sts", first).get_caller_identity()["Account"])
    per_region = snap.accounts.setdefault(account, {})
    chosen = regions or _regions(session, asker, first)
    local = threading.local()  # a session per worker thread

    def one(region: str) -> tuple[str, dict[str, Any], set[str]]:
        if progress:
            progress(f"{account} {region}")
        if not hasattr(local, "session"):
            local.session = _worker_session(session)
        return (region, *_region(_Asker(local.session, endpoint_url), region))

    buckets: set[str] = set()
    with ThreadPoolExecutor(max(1, min(workers, len(chosen)))) as pool:
        for region, calls, found in pool.map(one, chosen):
            per_region[region] = calls
            buckets |= found
    global_calls: dict[str, Any] = per_region.setdefault(GLOBAL, {})
    s3 = asker.client("s3", first)
    for bucket in sorted(buckets):
        if progress:
            progress(f"{account} s3://{bucket}")
        for call, method in PER_BUCKET:
            asker.ask(global_calls, call, s3, method, bucket, Bucket=bucket)
    return account


def member_sessions(
    base: Any, role: str, accounts: list[str], endpoint_url: str | None
) -> list[tuple[str, Any]]:
    """A session per member account, by assuming `role` there from the base credentials (as
    Prowler and Security Hub's administrator do); `all` lists the organization's active
    accounts. An account whose role cannot be assumed is left out with the reason."""
    import boto3

    region = base.region_name or "us-east-1"
    if accounts == ["all"]:
        org = base.client("organizations", region_name=region, endpoint_url=endpoint_url)
        pages = org.get_paginator("list_accounts").paginate()
        accounts = [a["Id"] for page in pages for a in page["Accounts"] if a["Status"] == "ACTIVE"]
    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url)
    out: list[tuple[str, Any]] = []
    for account in accounts:
        arn = f"arn:aws:iam::{account}:role/{role}"
        try:
            creds = sts.assume_role(RoleArn=arn, RoleSessionName="vigil-posture")["Credentials"]
        except Exception as exc:
            out.append((account, f"{_code(exc)}: cannot assume {arn}"))
            continue
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
        out.append((account, session))
    return out


def collect(
    regions: list[str] | None = None,
    profiles: list[str] | None = None,
    endpoint_url: str | None = None,
    progress: Progress | None = None,
    role: str | None = None,
    accounts: list[str] | None = None,
    workers: int = WORKERS,
) -> Snapshot:
    """One snapshot over the accounts behind the profiles (the default chain when none), or,
    with `role`, over `accounts` reached by assuming that role from them."""
    import boto3

    snap = Snapshot(now(), "collect")
    chosen: list[str | None] = list(profiles) if profiles else [None]
    for profile in chosen:
        session = boto3.Session(profile_name=profile)
        if not role:
            collect_account(snap, session, regions, endpoint_url, progress, workers)
            continue
        for account, member in member_sessions(session, role, accounts or ["all"], endpoint_url):
            if isinstance(member, str):  # not reachable: say so in the snapshot
                snap.accounts.setdefault(account, {}).setdefault(GLOBAL, {}).setdefault(
                    "_errors", {}
                )["sts assume-role"] = member
                continue
            collect_account(snap, member, regions, endpoint_url, progress, workers)
    return snap
