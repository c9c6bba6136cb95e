"""Each network interface is covered by an active flow log (its own, its subnet's or its
VPC's)."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, unavailable
from vigil.posture.network import flow_logs_of
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snapshot.regions(account):
        enis = snapshot.get(account, region, "ec2 describe-network-interfaces")
        logs = flow_logs_of(snapshot, account, region)
        if enis is None or logs is None:
            calls = "ec2 describe-network-interfaces / describe-flow-logs"
            results.append(unavailable(account, region, calls))
            continue
        names = _names(snapshot, account, region)
        covered = {
            f.get("ResourceId") for f in logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
        }
        for eni in enis.get("NetworkInterfaces", []):
            ident = eni["NetworkInterfaceId"]
            instance = (eni.get("Attachment") or {}).get("InstanceId")
            label = f"{ident} ({names.get(instance, instance)})" if instance else ident
            if covered & {ident, eni.get("SubnetId"), eni.get("VpcId")}:
                why = f"{label} is covered"
                results.append(Result(account, region, ident, CheckStatus.PASSED, why))
            else:
                why = f"no flow log covers {label}: its traffic is invisible"
                results.append(Result(account, region, ident, CheckStatus.FAILED, why))
    return results


def _names(snapshot: Snapshot, account: str, region: str) -> dict[str, str]:
    """Instance id → its Name tag (or its id), to say whose interface is not covered."""
    found = snapshot.get(account, region, "ec2 describe-instances") or {}
    out = {}
    for res in found.get("Reservations", []):
        for inst in res.get("Instances", []):
            tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
            out[inst["InstanceId"]] = tags.get("Name", inst["InstanceId"])
    return out
