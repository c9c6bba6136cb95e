"""Network checks: VPC flow logging (EC2.6), flow-log coverage per interface and the format
and traffic type detections need."""

from __future__ import annotations

from typing import Any, Final

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, unavailable
from vigil.posture.snapshot import Snapshot

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


def flow_logs_of(snap: Snapshot, account: str, region: str) -> list[dict[str, Any]] | None:
    found = snap.get(account, region, "ec2 describe-flow-logs")
    return None if found is None else list(found.get("FlowLogs", []))


def ec2_6(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        vpcs, logs = (
            snap.get(account, region, "ec2 describe-vpcs"),
            flow_logs_of(snap, account, region),
        )
        if vpcs is None or logs is None:
            results.append(
                unavailable(check, account, region, "ec2 describe-vpcs / describe-flow-logs")
            )
            continue
        for vpc in vpcs.get("Vpcs", []):
            covering = [
                f
                for f in logs
                if f.get("ResourceId") == vpc["VpcId"] and f.get("TrafficType") in ("ALL", "REJECT")
            ]
            status = CheckStatus.PASSED if covering else CheckStatus.FAILED
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
            flow_logs_of(snap, account, region),
        )
        if enis is None or logs is None:
            results.append(
                unavailable(
                    check, account, region, "ec2 describe-network-interfaces / describe-flow-logs"
                )
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
                    Result(check, account, region, ident, CheckStatus.PASSED, f"{label} is covered")
                )
            else:
                results.append(
                    Result(
                        check,
                        account,
                        region,
                        ident,
                        CheckStatus.FAILED,
                        f"no flow log covers {label}: its traffic is invisible",
                    )
                )
    return results


def flowlog_format(check: str, snap: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snap.regions(account):
        logs = flow_logs_of(snap, account, region)
        if logs is None:
            results.append(unavailable(check, account, region, "ec2 describe-flow-logs"))
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
                verdict = (CheckStatus.FAILED, f"the format lacks {', '.join(lacking)}")
            elif f.get("TrafficType") == "ACCEPT":
                verdict = (
                    CheckStatus.WARNING,
                    "ACCEPT only: rejected probes and scans are not recorded",
                )
            else:
                verdict = (CheckStatus.PASSED, f"{f.get('TrafficType')} traffic, fields present")
            results.append(Result(check, account, region, f["FlowLogId"], *verdict))
    return results
