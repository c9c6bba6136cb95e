"""Findings about the same thing from different products are linked, both ways: the same
account, the same resource (by any name it goes by) and the same behaviour (GuardDuty's type
without its detection-mechanism and artifact suffixes); looked up through an index."""

from __future__ import annotations

import pytest

from hub_docs import ACCOUNT, guardduty
from vigil.api import findings
from vigil.config import Settings
from vigil.findings.links import behaviour, names
from vigil.findings.store import FindingStore
from vigil.model.finding import Finding, Hit, finding_id


def _vigil(kind: str, resource: str, account: str = ACCOUNT) -> Finding:
    key = {"resource": resource}
    return Finding(
        id=finding_id("unit", kind, account, key), unit="unit", type=kind, title=f"vigil {kind}",
        description="d", severity=5.0, account=account, region="us-east-1",
        resource_type="Instance", resource_id=resource, key=key, first_seen="", last_seen="",
        count=0, actor=None, summary=None, evidence_query="", sample_evidence=[],
    )  # fmt: skip


def _record(home: Settings, f: Finding) -> str:
    with FindingStore(home.state_db) as store:
        store.record(f, [Hit(f.id, "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z",
                             "2026-12-01T10:05:00Z", 4)])  # fmt: skip
    return f.id


@pytest.mark.parametrize(("one", "other"), [
    ("Trojan:EC2/DNSDataExfiltration", "Trojan:EC2/DNSDataExfiltration!DNS"),
    ("Backdoor:EC2/C&CActivity.B", "Backdoor:EC2/C&CActivity.B!DNS"),
    ("UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
     "UnauthorizedAccess:IAMUser/MaliciousIPCaller"),
])  # fmt: skip
def test_the_same_behaviour_despite_suffixes(one: str, other: str) -> None:
    assert behaviour(_vigil(one, "i-1")) == behaviour(_vigil(other, "i-1"))


def test_different_behaviours_stay_apart() -> None:
    assert behaviour(_vigil("Recon:EC2/Portscan", "i-1")) != behaviour(
        _vigil("Recon:EC2/PortProbeUnprotectedPort", "i-1")
    )
    assert behaviour(_vigil("Trojan:EC2/DNSDataExfiltration", "i-1")) != behaviour(
        _vigil("Trojan:Runtime/DNSDataExfiltration", "i-1")
    )


def test_the_names_a_resource_goes_by() -> None:
    assert names(f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc") >= {"i-0abc"}
    assert names("arn:aws:s3:::logs") >= {"logs"}
    assert names(f"arn:aws:iam::{ACCOUNT}:user/dev/ana") >= {"ana"}
    assert names(f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/ana-session") >= {"Admin"}
    assert names("AWS::IAM::AccessKey:AKIAIOSFODNN7EXAMPLE") >= {"AKIAIOSFODNN7EXAMPLE"}
    assert names("") == set()


def test_vigil_and_guardduty_findings_on_one_resource_link_both_ways(home: Settings) -> None:
    # Vigil's flow-log detection names the interface; GuardDuty's finding names the instance
    # and its interfaces
    ours = _record(home, _vigil("UnauthorizedAccess:EC2/SSHBruteForce", "eni-0abc1234def567890"))
    scan = _record(home, _vigil("Recon:EC2/Portscan", "eni-0abc1234def567890"))
    elsewhere = _record(home, _vigil("UnauthorizedAccess:EC2/SSHBruteForce", "eni-0abc1234def567890",
                                     account="444455556666"))  # fmt: skip
    findings.import_guardduty(home, [guardduty("2026-12-01T10:05:00.000Z", 3, 8.0,
                                               "2026-12-01T10:04:00.000Z")])  # fmt: skip
    [theirs] = findings.list_findings(home, product="guardduty")
    [related] = findings.related(home, ours)
    assert (related.id, related.product, related.type) == (
        theirs.id,
        "guardduty",
        "UnauthorizedAccess:EC2/SSHBruteForce",
    )
    assert related.severity_label == "HIGH"
    assert [r.id for r in findings.related(home, theirs.id)] == [ours]  # and back
    assert findings.related(home, scan) == [] and findings.related(home, elsewhere) == []


def test_a_later_version_on_another_resource_drops_the_link(home: Settings) -> None:
    ours = _record(home, _vigil("UnauthorizedAccess:EC2/SSHBruteForce", "i-0abc1234def567890"))
    findings.import_guardduty(home, [guardduty("2026-12-01T10:05:00.000Z", 3, 8.0,
                                               "2026-12-01T10:04:00.000Z")])  # fmt: skip
    assert len(findings.related(home, ours)) == 1
    moved = guardduty("2026-12-01T11:05:00.000Z", 4, 8.0, "2026-12-01T11:04:00.000Z")
    moved["resource"] = {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "userName": "ana",
            "userType": "IAMUser",
        },
    }
    findings.import_guardduty(home, [moved])
    assert findings.related(home, ours) == []
    [f] = findings.list_findings(home, product="guardduty")
    assert (f.resource_type, f.resource_id) == ("AwsIamAccessKey", "ASIAIOSFODNN7EXAMPLE")


def test_the_lookup_uses_the_index(home: Settings) -> None:
    from vigil.findings.links import _RELATED

    with FindingStore(home.state_db) as store:
        plan = " ".join(str(r[-1]) for r in store.db.execute("EXPLAIN QUERY PLAN " + _RELATED,
                                                               ("x", "x")))  # fmt: skip
    assert "finding_links_lookup" in plan and "SCAN o" not in plan
