"""Configuration snapshots: what each account and region says about its logging set-up.

A snapshot maps account → region → API call → response, with the AWS CLI's names
(`cloudtrail describe-trails`); per-resource calls hold a mapping resource → response
(`cloudtrail get-trail-status` by trail name, `s3 get-bucket-logging` by bucket). It comes from
boto3 (`collect`) or from saved CLI output (`import`):
`<dir>/<account>/<region>/<service>-<op>.json`, and `<service>-<op>--<resource>.json` for
per-resource calls. What is missing stays missing, and
checks that need it say NOT_AVAILABLE. Snapshots are kept by time under `<home>/posture/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from vigil.config import Settings
from vigil.errors import SourceError

GLOBAL: Final = "global"  # IAM, S3 bucket settings: region-less calls
CALLS: Final = (
    "cloudtrail describe-trails",
    "cloudtrail get-trail-status",
    "cloudtrail get-event-selectors",
    "cloudtrail get-insight-selectors",
    "ec2 describe-vpcs",
    "ec2 describe-subnets",
    "ec2 describe-network-interfaces",
    "ec2 describe-instances",
    "ec2 describe-flow-logs",
    "ec2 describe-traffic-mirror-sessions",
    "logs describe-metric-filters",
    "logs describe-log-groups",
    "cloudwatch describe-alarms",
    "sns list-subscriptions",
    "guardduty list-detectors",
    "securityhub describe-hub",
    "s3 get-bucket-logging",
    "s3 get-bucket-encryption",
    "s3 get-public-access-block",
    "s3 get-bucket-lifecycle-configuration",
    "s3 get-bucket-policy-status",
)


@dataclass
class Snapshot:
    taken_at: str
    source: str
    accounts: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def get(self, account: str, region: str, call: str) -> Any:
        """The response, or None when the snapshot does not have it."""
        return self.accounts.get(account, {}).get(region, {}).get(call)

    def regions(self, account: str) -> list[str]:
        return sorted(r for r in self.accounts.get(account, {}) if r != GLOBAL)

    def to_json(self) -> dict[str, Any]:
        return {"taken_at": self.taken_at, "source": self.source, "accounts": self.accounts}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def import_dir(folder: Path) -> Snapshot:
    if not folder.is_dir():
        raise SourceError(
            f"{folder}: no such directory", hint="<dir>/<account>/<region>/<service>-<op>.json"
        )
    snap = Snapshot(_now(), f"import:{folder}")
    for path in sorted(folder.glob("*/*/*.json")):
        account, region = path.parent.parent.name, path.parent.name
        stem, _, resource = path.stem.partition("--")
        service, _, op = stem.partition("-")
        call = f"{service} {op}"
        try:
            value = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from exc
        calls = snap.accounts.setdefault(account, {}).setdefault(region, {})
        if resource:
            calls.setdefault(call, {})[resource] = value
        else:
            calls[call] = value
    if not snap.accounts:
        raise SourceError(
            f"{folder}: no <account>/<region>/*.json files", hint="save AWS CLI output there"
        )
    return snap


def snapshots_dir(settings: Settings) -> Path:
    return settings.home / "posture" / "snapshots"


def save(settings: Settings, snap: Snapshot) -> Path:
    folder = snapshots_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{snap.taken_at.replace(':', '')}.json"
    path.write_text(json.dumps(snap.to_json(), default=str))
    return path


def latest(settings: Settings) -> Snapshot:
    found = (
        sorted(snapshots_dir(settings).glob("*.json")) if snapshots_dir(settings).is_dir() else []
    )
    if not found:
        raise SourceError(
            "no configuration snapshot yet", hint="vigil posture collect, or posture import DIR"
        )
    doc = json.loads(found[-1].read_text())
    return Snapshot(doc["taken_at"], doc["source"], doc["accounts"])


def _ask(calls: dict[str, Any], call: str, client: Any, method: str) -> Any:
    try:
        calls[call] = getattr(client, method)()
        calls[call].pop("ResponseMetadata", None)
    except Exception as exc:
        calls[call] = None
        calls.setdefault("_errors", {})[call] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return calls[call]


def collect(
    regions: list[str] | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> Snapshot:
    """Read the configuration through boto3 (one account: the caller's)."""
    import boto3

    session = boto3.Session(profile_name=profile)
    sts = session.client(
        "sts", endpoint_url=endpoint_url, region_name=(regions or ["us-east-1"])[0]
    )
    account = str(sts.get_caller_identity()["Account"])
    if not regions:
        regions = session.get_available_regions("ec2")
    snap = Snapshot(_now(), "collect")
    per_region = snap.accounts.setdefault(account, {})
    buckets: set[str] = set()
    for region in regions:
        calls: dict[str, Any] = {}

        def ask(call: str, service: str, method: str, calls: dict[str, Any] = calls,
                region: str = region) -> Any:  # fmt: skip
            client = session.client(service, region_name=region, endpoint_url=endpoint_url)
            return _ask(calls, call, client, method)

        trails = ask("cloudtrail describe-trails", "cloudtrail", "describe_trails") or {}
        trail_client = session.client("cloudtrail", region_name=region, endpoint_url=endpoint_url)
        for trail in trails.get("trailList", []):
            name = trail["Name"]
            for call, method in (
                ("cloudtrail get-trail-status", "get_trail_status"),
                ("cloudtrail get-event-selectors", "get_event_selectors"),
            ):
                try:
                    arg = "Name" if "status" in method else "TrailName"
                    value = getattr(trail_client, method)(**{arg: name})
                    value.pop("ResponseMetadata", None)
                    calls.setdefault(call, {})[name] = value
                except Exception:
                    pass
            if trail.get("S3BucketName"):
                buckets.add(trail["S3BucketName"])
        for call, service, method in (
            ("ec2 describe-vpcs", "ec2", "describe_vpcs"),
            ("ec2 describe-subnets", "ec2", "describe_subnets"),
            ("ec2 describe-network-interfaces", "ec2", "describe_network_interfaces"),
            ("ec2 describe-instances", "ec2", "describe_instances"),
            ("ec2 describe-flow-logs", "ec2", "describe_flow_logs"),
            ("ec2 describe-traffic-mirror-sessions", "ec2", "describe_traffic_mirror_sessions"),
            ("logs describe-metric-filters", "logs", "describe_metric_filters"),
            ("logs describe-log-groups", "logs", "describe_log_groups"),
            ("cloudwatch describe-alarms", "cloudwatch", "describe_alarms"),
            ("sns list-subscriptions", "sns", "list_subscriptions"),
            ("guardduty list-detectors", "guardduty", "list_detectors"),
            ("securityhub describe-hub", "securityhub", "describe_hub"),
        ):
            ask(call, service, method)
        per_region[region] = calls
    s3 = session.client("s3", endpoint_url=endpoint_url, region_name=regions[0])
    global_calls: dict[str, Any] = {}
    for bucket in sorted(buckets):
        for call, method in (
            ("s3 get-bucket-logging", "get_bucket_logging"),
            ("s3 get-bucket-encryption", "get_bucket_encryption"),
            ("s3 get-public-access-block", "get_public_access_block"),
            ("s3 get-bucket-lifecycle-configuration", "get_bucket_lifecycle_configuration"),
            ("s3 get-bucket-policy-status", "get_bucket_policy_status"),
        ):
            try:
                value = getattr(s3, method)(Bucket=bucket)
                value.pop("ResponseMetadata", None)
            except Exception:
                value = None
            global_calls.setdefault(call, {})[bucket] = value
    per_region[GLOBAL] = global_calls
    return snap
