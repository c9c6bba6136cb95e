"""Imported findings update as AWS defines it: a later version (UpdatedAt, GuardDuty's updatedAt)
replaces the finding, an equal or older one arriving late changes nothing, nothing duplicates,
GuardDuty's count is a running total, first seen stays the first sighting's, and the user's
triage survives the provider's updates (§6.4, §13.2)."""

from __future__ import annotations

import copy
import json
from typing import Any

from hub_docs import ACCOUNT, DETECTOR, GD_ARN, PRODUCT, guardduty
from vigil.api import findings
from vigil.config import Settings
from vigil.findings.store import FindingStore
from vigil.model.finding import RecordState, Workflow


def test_a_later_guardduty_version_replaces_an_older_one_is_ignored(home: Settings) -> None:
    v1 = guardduty("2026-12-01T10:05:00.000Z", 3, 5.0, "2026-12-01T10:04:00.000Z")
    v2 = guardduty("2026-12-01T16:05:00.000Z", 40, 8.0, "2026-12-01T16:00:00.000Z")
    first = findings.import_guardduty(home, [v1])
    assert (first.success_count, first.created, first.updated) == (1, 1, 0)
    later = findings.import_guardduty(home, [v2])
    assert (later.success_count, later.updated, later.unchanged) == (1, 1, 0)
    late = findings.import_guardduty(home, [v1, copy.deepcopy(v2)])  # older, then equal
    assert (late.success_count, late.created, late.updated, late.unchanged) == (2, 0, 0, 2)

    [f] = findings.list_findings(home)
    assert f.count == 40  # the running total of the latest version, never 3 + 40
    assert f.severity == 8.0 and f.title.endswith("(40)")
    assert (f.first_seen, f.last_seen) == ("2026-12-01T09:58:00.000Z", "2026-12-01T16:00:00.000Z")
    kept = json.loads(f.sample_evidence[-1])
    assert kept["updatedAt"] == "2026-12-01T16:05:00.000Z"  # the kept document is the latest
    assert (f.product, f.product_name, f.product_severity) == ("guardduty", "GuardDuty", "8.0")
    assert (f.resource_type, f.resource_id) == ("AwsEc2Instance", "i-0abc1234def567890")
    assert len(findings.hits(home, f.id)) == 1


def test_first_seen_is_the_first_sightings(home: Settings) -> None:
    v1 = guardduty("2026-12-01T10:05:00.000Z", 3, 5.0, "2026-12-01T10:04:00.000Z")
    v2 = guardduty("2026-12-01T11:05:00.000Z", 5, 5.0, "2026-12-01T11:00:00.000Z")
    v2["service"]["eventFirstSeen"] = "2026-12-01T10:30:00.000Z"  # a window, not the start
    findings.import_guardduty(home, [v1, v2])
    [f] = findings.list_findings(home)
    assert (f.first_seen, f.count) == ("2026-12-01T09:58:00.000Z", 5)


def test_provider_updates_keep_the_users_triage(home: Settings) -> None:
    v1 = guardduty("2026-12-01T10:05:00.000Z", 3, 5.0, "2026-12-01T10:04:00.000Z")
    findings.import_guardduty(home, [v1])
    [f] = findings.list_findings(home)
    findings.update(home, f.id, Workflow.NOTIFIED, RecordState.ARCHIVED, "paged the owner")
    v2 = guardduty("2026-12-01T16:05:00.000Z", 9, 5.0, "2026-12-01T16:00:00.000Z")
    assert findings.import_guardduty(home, [v2]).updated == 1
    after = findings.get(home, f.id)
    assert (after.workflow, after.note) == (Workflow.NOTIFIED, "paged the owner")
    assert after.record_state is RecordState.ARCHIVED  # GuardDuty still says active: no change
    assert after.count == 9


def _asff(updated: str, label: str, title: str, **extra: Any) -> dict[str, Any]:
    doc = {
        "SchemaVersion": "2018-10-08", "Id": "scan/0001", "ProductArn": PRODUCT,
        "GeneratorId": "scanner/open-ports", "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2026-12-01T10:00:00Z", "UpdatedAt": updated,
        "Severity": {"Label": label, "Original": label.lower()}, "Title": title,
        "Description": "found by the scanner", "ProductName": "Scanner",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0abc1234def567890"}],
    }  # fmt: skip
    doc.update(extra)
    return doc


def test_asff_upsert_rule_and_customer_fields(home: Settings) -> None:
    customer = {"VerificationState": "TRUE_POSITIVE", "UserDefinedFields": {"ticket": "SEC-1"}}
    made = findings.import_asff(home, [_asff("2026-12-01T10:00:00Z", "LOW", "v1", **customer)])
    assert made.created == 1
    provider = {"VerificationState": "FALSE_POSITIVE", "UserDefinedFields": {"ticket": "x"},
                "Workflow": {"Status": "SUPPRESSED"}, "Note": {"Text": "n", "UpdatedBy": "p"}}  # fmt: skip
    v2 = _asff("2026-12-01T12:00:00Z", "HIGH", "v2", **provider)
    older = _asff("2026-12-01T11:00:00Z", "CRITICAL", "older")
    result = findings.import_asff(home, [v2, older, _asff("2026-12-01T12:00:00Z", "LOW", "same")])
    assert (result.success_count, result.updated, result.unchanged) == (3, 1, 2)
    [f] = findings.list_findings(home, product="securityhub")
    assert (f.title, f.severity_label, f.product_severity) == ("v2", "HIGH", "high")
    assert (f.workflow, f.note, f.product_name) == (Workflow.NEW, None, "Scanner")
    [doc] = findings.find_asff(home, None)
    assert (doc["Title"], doc["VerificationState"]) == ("v2", "TRUE_POSITIVE")
    assert doc["UserDefinedFields"] == {"ticket": "SEC-1"} and doc["Workflow"]["Status"] == "NEW"


def test_asff_record_state_and_compliance_resets(home: Settings) -> None:
    findings.import_asff(home, [_asff("2026-12-01T10:00:00Z", "LOW", "a",
                                      Compliance={"Status": "PASSED"})])  # fmt: skip
    [f] = findings.list_findings(home)
    findings.update(home, f.id, Workflow.RESOLVED, None, None)
    findings.import_asff(home, [_asff("2026-12-01T11:00:00Z", "LOW", "b",
                                      Compliance={"Status": "FAILED"})])  # fmt: skip
    assert findings.get(home, f.id).workflow is Workflow.NEW  # PASSED → FAILED resets (§6.3)
    findings.update(home, f.id, Workflow.NOTIFIED, None, None)
    findings.import_asff(home, [_asff("2026-12-01T12:00:00Z", "LOW", "c", RecordState="ARCHIVED",
                                      Compliance={"Status": "FAILED"})])  # fmt: skip
    archived = findings.get(home, f.id)
    assert (archived.record_state, archived.workflow) == (RecordState.ARCHIVED, Workflow.NOTIFIED)
    findings.import_asff(home, [_asff("2026-12-01T13:00:00Z", "LOW", "d", RecordState="ACTIVE",
                                      Compliance={"Status": "FAILED"})])  # fmt: skip
    back = findings.get(home, f.id)
    assert (back.record_state, back.workflow) == (RecordState.ACTIVE, Workflow.NEW)


def test_guardduty_sent_as_asff_is_the_same_finding(home: Settings) -> None:
    findings.import_guardduty(home, [guardduty("2026-12-01T10:05:00.000Z", 3, 8.0,
                                               "2026-12-01T10:04:00.000Z")])  # fmt: skip
    as_asff = {
        "SchemaVersion": "2018-10-08", "Id": GD_ARN,
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
        "GeneratorId": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/{DETECTOR}",
        "AwsAccountId": ACCOUNT, "ProductName": "GuardDuty", "CompanyName": "Amazon",
        "Types": ["TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"],
        "CreatedAt": "2026-12-01T10:00:00.000Z", "UpdatedAt": "2026-12-01T10:05:00.000Z",
        "Severity": {"Label": "HIGH", "Normalized": 70, "Original": "8"},
        "Title": "SSH brute force", "Description": "198.51.100.9 is performing SSH brute force.",
        "Resources": [{"Type": "AwsEc2Instance",
                       "Id": f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc1234def567890"}],
    }  # fmt: skip
    assert findings.import_asff(home, [as_asff]).unchanged == 1  # the same version, again
    newer = {**as_asff, "UpdatedAt": "2026-12-01T11:05:00.000Z", "Title": "SSH brute force 2"}
    assert findings.import_asff(home, [newer]).updated == 1
    [f] = findings.list_findings(home, product="guardduty")
    assert (f.type, f.title) == ("UnauthorizedAccess:EC2/SSHBruteForce", "SSH brute force 2")
    ident = findings.hub_id(home, GD_ARN, as_asff["ProductArn"])
    assert ident == f.id
    with FindingStore(home.state_db) as store:
        assert store.db.execute("SELECT count(*) FROM findings").fetchone()[0] == 1
