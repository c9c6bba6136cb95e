"""CloudWatch.14, VPC changes: a multi-Region trail's log group has the CIS pack's filter for this
control (`metric_filters/cis/cloudwatch-14-vpc-changes`), an alarm on its metric and a
subscribed topic."""

from __future__ import annotations

from vigil.posture.checks import Result
from vigil.posture.cloudwatch import alarmed
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return alarmed(snapshot, account, "CloudWatch.14")
