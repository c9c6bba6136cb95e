"""Each flow log records the fields and the traffic the detections need."""

from __future__ import annotations

from typing import Final

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, unavailable
from vigil.posture.network import flow_logs_of
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


def check(snapshot: Snapshot, account: str) -> list[Result]:
    results = []
    for region in snapshot.regions(account):
        logs = flow_logs_of(snapshot, account, region)
        if logs is None:
            results.append(unavailable(account, region, "ec2 describe-flow-logs"))
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
            results.append(Result(account, region, f["FlowLogId"], *verdict))
    return results
