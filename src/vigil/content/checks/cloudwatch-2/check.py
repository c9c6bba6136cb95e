"""CloudWatch.2, Unauthorized API calls: a multi-Region trail's log group has the CIS pack's filter
for this control (`metric_filters/cis/cloudwatch-2-unauthorized-api-calls`), an alarm on its
metric and a subscribed topic."""

from __future__ import annotations

from typing import Final

from vigil.posture.checks import Result
from vigil.posture.cloudwatch import alarmed
from vigil.posture.snapshot import Snapshot

# The pattern as CIS first gave it, before it left out S3 log delivery and HeadBucket: an
# account set up by it has the control too.
EARLIER: Final = ('{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',)


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return alarmed(snapshot, account, "CloudWatch.2", also=EARLIER)
