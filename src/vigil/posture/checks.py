"""Posture checks over a configuration snapshot. Each returns results per resource with a
status: PASSED, FAILED, WARNING or NOT_AVAILABLE (the snapshot lacks what the check needs: the
reason says which call). Metadata (controls, severity, remediation, cases) is content, in
`content/checks/<id>/check.yaml`; the logic is here, keyed by the same id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from vigil.logs.pattern import parse
from vigil.posture.snapshot import GLOBAL, Snapshot

FLOW_FIELDS_NEEDED: Final = (
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
)


@dataclass(frozen=True)
class Result:
    check: str
    account: str
    region: str
    resource: str
    status: str  # PASSED | FAILED | WARNING | NOT_AVAILABLE
    reason: str


Check = Callable[[str, Snapshot, str], list[Result]]


def _na(check: str, account: str, region: str, call: str) -> Result:
    return Result(check, account, region, account, "NOT_AVAILABLE", f"the snapshot has no `{call}`")


def _trails(snap: Snapshot, account: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every trail once (multi-region trails appear in each region's describe-trails)."""
    seen: dict[str, dict[str, Any]] = {}
    have = False
    for region in snap.regions(account):
        found = snap.get(account, region, "cloudtrail describe-trails")
        if found is None:
            continue
        have = True
        for trail in found.get("trailList", []):
            seen.setdefault(trail.get("TrailARN") or trail["Name"], {**trail, "_region": region})
    return list(seen.values()), None if have else "cloudtrail describe-trails"


def _status(snap: Snapshot, account: str, trail: dict[str, Any]) -> dict[str, Any] | None:
    for region in [trail.get("HomeRegion"), trail["_region"], *snap.regions(account)]:
        found = (snap.get(account, str(region), "cloudtrail get-trail-status") or {}).get(
            trail["Name"]
        )
        if found is not None:
            return dict(found)
    return None


def _management_all(snap: Snapshot, account: str, trail: dict[str, Any]) -> bool | None:
    for region in [trail.get("HomeRegion"), trail["_region"]]:
        sel = (snap.get(account, str(region), "cloudtrail get-event-selectors") or {}).get(
            trail["Name"]
        )
        if sel is None:
            continue
        for s in sel.get("EventSelectors") or []:
            if s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") == "All":
                return True
        for s in sel.get("AdvancedEventSelectors") or []:
            fields = {f["Field"]: f for f in s.get("FieldSelectors", [])}
            if (
                fields.get("eventCategory", {}).get("Equals") == ["Management"]
                and "readOnly" not in fields
            ):
                return True
        return False
    return None


def per_trail(check: str, test: Callable[[dict[str, Any]], tuple[str, str]]) -> Check:
    def run(_: str, snap: Snapshot, account: str) -> list[Result]:
        trails, missing = _trails(snap, account)
        if missing:
            return [_na(check, account, "-", missing)]
        if not trails:
            return [Result(check, account, "-", account, "FAILED", "no trail")]
        return [
            Result(check, account, t["_region"], t.get("TrailARN", t["Name"]), *test(t))
            for t in trails
        ]

    return run


def cloudtrail_1(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = _trails(snap, account)
    if missing:
        return [_na(check, account, "-", missing)]
    good = [
        t["Name"]
        for t in trails
        if t.get("IsMultiRegionTrail")
        and (_status(snap, account, t) or {}).get("IsLogging")
        and _management_all(snap, account, t)
    ]
    if good:
        return [
            Result(
                check,
                account,
                "-",
                account,
                "PASSED",
                f"multi-region trail {good[0]} logs read and write management events",
            )
        ]
    return [
        Result(
            check,
            account,
            "-",
            account,
            "FAILED",
            "no logging multi-region trail with read and write management events",
        )
    ]


def cloudtrail_3(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = _trails(snap, account)
    if missing:
        return [_na(check, account, "-", missing)]
    on = [t["Name"] for t in trails if (_status(snap, account, t) or {}).get("IsLogging")]
    status = "PASSED" if on else "FAILED"
    return [Result(check, account, "-", account, status, f"logging: {', '.join(on) or 'none'}")]


def cloudtrail_5(check: str, snap: Snapshot, account: str) -> list[Result]:
    taken = datetime.fromisoformat(snap.taken_at.replace("Z", "+00:00"))

    def test(t: dict[str, Any]) -> tuple[str, str]:
        if not t.get("CloudWatchLogsLogGroupArn"):
            return "FAILED", "not delivered to CloudWatch Logs"
        last = (_status(snap, account, t) or {}).get("LatestCloudwatchLogsDeliveryTime")
        if last is None:
            return "WARNING", "delivery time unknown"
        when = datetime.fromisoformat(str(last).replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=taken.tzinfo)
        if taken - when > timedelta(days=1):
            return "FAILED", f"last delivered to CloudWatch Logs {last}"
        return "PASSED", f"delivers to {t['CloudWatchLogsLogGroupArn']}"

    return per_trail(check, test)(check, snap, account)


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
        for log in _flow_logs(snap, account, region) or []:
            dest = str(log.get("LogDestination") or "")
            if log.get("LogDestinationType") == "s3" and dest.startswith("arn:aws:s3:::"):
                out.add(dest.removeprefix("arn:aws:s3:::").split("/")[0])
    return out


def bucket_check(
    check: str, call: str, test: Callable[[Any], tuple[str, str]], flow_logs: bool = False
) -> Check:
    """Over the trails' buckets (and, with `flow_logs`, the flow logs' buckets too)."""

    def run(_: str, snap: Snapshot, account: str) -> list[Result]:
        trails, missing = _trails(snap, account)
        if missing and not flow_logs:
            return [_na(check, account, "-", missing)]
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
                        "NOT_AVAILABLE",
                        f"the snapshot has no `{call}` for {bucket}",
                    )
                )
            else:
                results.append(Result(check, account, GLOBAL, bucket, *test(value)))
        return results

    return run


def _public(value: Any) -> tuple[str, str]:
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
        return "PASSED", "all four public access blocks on"
    return "FAILED", "public access is not fully blocked"


def _kms(value: Any) -> tuple[str, str]:
    rules = ((value or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    algos = {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    if algos & {"aws:kms", "aws:kms:dsse"}:
        return "PASSED", "SSE-KMS"
    return "FAILED", f"encryption: {', '.join(a for a in algos if a) or 'none'} (not KMS)"


# -- CloudWatch.1-14: metric filter + alarm + subscribed topic ----------------------------------
def cloudwatch(number: int, patterns: dict[int, list[str]]) -> Check:
    def run(check: str, snap: Snapshot, account: str) -> list[Result]:
        trails, missing = _trails(snap, account)
        if missing:
            return [_na(check, account, "-", missing)]
        wanted = [parse(p) for p in patterns.get(number, [])]
        candidates = [
            t for t in trails if t.get("IsMultiRegionTrail") and t.get("CloudWatchLogsLogGroupArn")
        ]
        if not candidates:
            return [
                Result(
                    check,
                    account,
                    "-",
                    account,
                    "FAILED",
                    "no multi-region trail delivers to CloudWatch Logs",
                )
            ]
        reasons = []
        for trail in candidates:
            arn = str(trail["CloudWatchLogsLogGroupArn"])
            group = arn.split(":log-group:", 1)[-1].removesuffix(":*")
            owner = arn.split(":")[4] if arn.count(":") >= 5 else account  # the group's account
            region = str(trail.get("HomeRegion") or trail["_region"])
            filters = snap.get(owner, region, "logs describe-metric-filters")
            alarms = snap.get(owner, region, "cloudwatch describe-alarms")
            subs = snap.get(owner, region, "sns list-subscriptions")
            if filters is None or alarms is None or subs is None:
                return [
                    _na(
                        check,
                        account,
                        region,
                        "logs describe-metric-filters, cloudwatch describe-alarms, "
                        "sns list-subscriptions",
                    )
                ]
            for f in filters.get("metricFilters", []):
                if f.get("logGroupName") != group or not _same_pattern(
                    f.get("filterPattern", ""), wanted
                ):
                    continue
                for tr in f.get("metricTransformations", []):
                    for alarm in alarms.get("MetricAlarms", []):
                        if (alarm.get("MetricName"), alarm.get("Namespace")) != (
                            tr.get("metricName"),
                            tr.get("metricNamespace"),
                        ):
                            continue
                        topics = [a for a in alarm.get("AlarmActions", []) if ":sns:" in a]
                        subscribed = [
                            s
                            for s in subs.get("Subscriptions", [])
                            if s.get("TopicArn") in topics
                            and s.get("SubscriptionArn", "").startswith("arn:")
                        ]
                        if subscribed:
                            return [
                                Result(
                                    check,
                                    account,
                                    region,
                                    group,
                                    "PASSED",
                                    f"filter {f['filterName']} → alarm {alarm['AlarmName']} → "
                                    f"{subscribed[0]['TopicArn']}",
                                )
                            ]
                        reasons.append(f"alarm {alarm['AlarmName']} has no subscribed SNS topic")
                reasons.append(f"filter {f['filterName']} has no alarm with a subscribed topic")
            reasons.append(f"no metric filter with the control's pattern on {group}")
        return [
            Result(
                check, account, "-", account, "FAILED", reasons[0] if reasons else "not configured"
            )
        ]

    return run


def _same_pattern(text: str, wanted: list[Any]) -> bool:
    try:
        return parse(text) in wanted
    except Exception:
        return False


# -- networks -------------------------------------------------------------------------------
def _flow_logs(snap: Snapshot, account: str, region: str) -> list[dict[str, Any]] | None:
    found = snap.get(account, region, "ec2 describe-flow-logs")
    return None if found is None else list(found.get("FlowLogs", []))


def ec2_6(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        vpcs, logs = (
            snap.get(account, region, "ec2 describe-vpcs"),
            _flow_logs(snap, account, region),
        )
        if vpcs is None or logs is None:
            results.append(_na(check, account, region, "ec2 describe-vpcs / describe-flow-logs"))
            continue
        for vpc in vpcs.get("Vpcs", []):
            covering = [
                f
                for f in logs
                if f.get("ResourceId") == vpc["VpcId"] and f.get("TrafficType") in ("ALL", "REJECT")
            ]
            status = "PASSED" if covering else "FAILED"
            reason = (
                f"flow log {covering[0]['FlowLogId']}"
                if covering
                else "no flow log on the VPC capturing rejected traffic"
            )
            results.append(Result(check, account, region, vpc["VpcId"], status, reason))
    return results


def _names(snap: Snapshot, account: str, region: str) -> dict[str, str]:
    found = snap.get(account, region, "ec2 describe-instances") or {}
    out = {}
    for res in found.get("Reservations", []):
        for inst in res.get("Instances", []):
            tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
            out[inst["InstanceId"]] = tags.get("Name", inst["InstanceId"])
    return out


def flowlog_coverage(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        enis, logs = (
            snap.get(account, region, "ec2 describe-network-interfaces"),
            _flow_logs(snap, account, region),
        )
        if enis is None or logs is None:
            results.append(
                _na(check, account, region, "ec2 describe-network-interfaces / describe-flow-logs")
            )
            continue
        names = _names(snap, account, region)
        covered = {
            f.get("ResourceId") for f in logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
        }
        for eni in enis.get("NetworkInterfaces", []):
            ident = eni["NetworkInterfaceId"]
            instance = (eni.get("Attachment") or {}).get("InstanceId")
            label = f"{ident} ({names.get(instance, instance)})" if instance else ident
            if covered & {ident, eni.get("SubnetId"), eni.get("VpcId")}:
                results.append(
                    Result(check, account, region, ident, "PASSED", f"{label} is covered")
                )
            else:
                results.append(
                    Result(
                        check,
                        account,
                        region,
                        ident,
                        "FAILED",
                        f"no flow log covers {label}: its traffic is invisible",
                    )
                )
    return results


def flowlog_format(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        logs = _flow_logs(snap, account, region)
        if logs is None:
            results.append(_na(check, account, region, "ec2 describe-flow-logs"))
            continue
        for f in logs:
            fmt = str(f.get("LogFormat") or "")
            fields = (
                {p.strip("${}").replace("-", "_") for p in fmt.split()}
                if fmt
                else set(FLOW_FIELDS_NEEDED)
            )
            lacking = [x for x in FLOW_FIELDS_NEEDED if x not in fields]
            if lacking:
                verdict = ("FAILED", f"the format lacks {', '.join(lacking)}")
            elif f.get("TrafficType") == "ACCEPT":
                verdict = ("WARNING", "ACCEPT only: rejected probes and scans are not recorded")
            else:
                verdict = ("PASSED", f"{f.get('TrafficType')} traffic, fields present")
            results.append(Result(check, account, region, f["FlowLogId"], *verdict))
    return results


def trails_per_region(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        found = snap.get(account, region, "cloudtrail describe-trails")
        if found is None:
            results.append(_na(check, account, region, "cloudtrail describe-trails"))
            continue
        n = len(found.get("trailList", []))
        status = "FAILED" if n > 5 else "PASSED"
        results.append(
            Result(
                check, account, region, region, status, f"{n} trail(s) count against the limit of 5"
            )
        )
    return results


DENIED: Final = ("AccessDenied", "UnauthorizedOperation", "UnrecognizedClient")


def service_enabled(call: str, present: Callable[[Any, dict[str, Any]], bool], what: str) -> Check:
    """A service on in every region. A refused call means "not enabled" (Security Hub answers
    so when it is off) unless AWS said the caller may not ask: then NOT_AVAILABLE."""

    def run(check: str, snap: Snapshot, account: str) -> list[Result]:
        results = []
        for region in snap.regions(account):
            calls = snap.accounts[account][region]
            found = calls.get(call)
            error = (calls.get("_errors") or {}).get(call)
            if found is None and (error is None or any(d in error for d in DENIED)):
                why = f"`{call}` was refused: {error}" if error else f"the snapshot has no `{call}`"
                results.append(Result(check, account, region, account, "NOT_AVAILABLE", why))
            elif found is not None and present(found, calls):
                results.append(Result(check, account, region, region, "PASSED", f"{what} enabled"))
            else:
                results.append(
                    Result(check, account, region, region, "FAILED", f"{what} is not enabled")
                )
        return results

    return run


def log_group_retention(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        groups = snap.get(account, region, "logs describe-log-groups")
        if groups is None:
            results.append(_na(check, account, region, "logs describe-log-groups"))
            continue
        for g in groups.get("logGroups", []):
            days = g.get("retentionInDays")
            results.append(
                Result(
                    check,
                    account,
                    region,
                    g["logGroupName"],
                    "PASSED" if days else "WARNING",
                    f"kept {days} days" if days else "never expires: set a retention",
                )
            )
    return results


def _org_trails(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = _trails(snap, account)
    if missing:
        return [_na(check, account, "-", missing)]
    org = [t["Name"] for t in trails if t.get("IsOrganizationTrail")]
    status = "WARNING" if len(org) > 1 else "PASSED"
    return [
        Result(
            check, account, "-", account, status, f"organization trails: {', '.join(org) or 'none'}"
        )
    ]


def cloudtrail_insights(check: str, snap: Snapshot, account: str) -> list[Result]:
    trails, missing = _trails(snap, account)
    if missing:
        return [_na(check, account, "-", missing)]
    call = "cloudtrail get-insight-selectors"
    known, types = False, set()
    for t in trails:
        for region in [t.get("HomeRegion"), t["_region"]]:
            found = (snap.get(account, str(region), call) or {}).get(t["Name"])
            if found is not None:
                known = True
                types |= {s.get("InsightType") for s in found.get("InsightSelectors") or []}
    if types:
        return [Result(check, account, "-", account, "PASSED", f"Insights: {sorted(types)}")]
    if not known:
        return [_na(check, account, "-", call)]
    return [Result(check, account, "-", account, "WARNING", "no trail records Insights events")]
