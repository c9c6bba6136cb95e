"""Each VPC has a flow log that records rejected traffic (EC2.6, CIS 3.9)."""

from __future__ import annotations

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, unavailable
from vigil.posture.network import flow_logs_of
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snapshot.regions(account):
        vpcs = snapshot.get(account, region, "ec2 describe-vpcs")
        logs = flow_logs_of(snapshot, account, region)
        if vpcs is None or logs is None:
            results.append(unavailable(account, region, "ec2 describe-vpcs / describe-flow-logs"))
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
            results.append(Result(account, region, vpc["VpcId"], status, reason))
    return results
