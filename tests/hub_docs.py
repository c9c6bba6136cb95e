"""Findings as GuardDuty and Security Hub send them (§6, §7, §13), for the hub's tests:
written from AWS's documented shapes."""

from __future__ import annotations

from typing import Any

ACCOUNT = "111122223333"
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
GD_ID = "5ab1c9d0e1f2a3b4c5d6e7f8091a2b3c"
GD_ARN = f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/{DETECTOR}/finding/{GD_ID}"
PRODUCT = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"


def guardduty(updated: str, count: int, severity: float, last: str, **extra: Any) -> dict[str, Any]:
    """A GuardDuty finding as GetFindings, EventBridge and the S3 export carry it (§7.1)."""
    doc = {
        "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1", "partition": "aws",
        "id": GD_ID, "arn": GD_ARN, "type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "severity": severity, "createdAt": "2026-12-01T10:00:00.000Z", "updatedAt": updated,
        "title": f"SSH brute force against i-0abc1234def567890 ({count})",
        "description": "198.51.100.9 is performing SSH brute force attacks.",
        "resource": {"resourceType": "Instance", "instanceDetails": {
            "instanceId": "i-0abc1234def567890", "networkInterfaces": [
                {"networkInterfaceId": "eni-0abc1234def567890",
                 "privateIpAddress": "10.0.0.12"}]}},
        "service": {"serviceName": "guardduty", "detectorId": DETECTOR, "archived": False,
                    "count": count, "eventFirstSeen": "2026-12-01T09:58:00.000Z",
                    "eventLastSeen": last, "resourceRole": "TARGET"},
    }  # fmt: skip
    doc.update(extra)
    return doc
