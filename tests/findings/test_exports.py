"""Exports: ASFF with every required field, OCSF Detection Finding, GuardDuty JSON; and
suppression rules."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from helpers import hit, meta
from vigil.errors import ConfigError
from vigil.findings.export import asff, guardduty, ocsf
from vigil.findings.store import Filter, FindingStore
from vigil.findings.suppression import parse_criteria
from vigil.model.finding import Finding, RecordState, Workflow

NAMESPACES = {
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture
def finding(tmp_path: Path) -> Finding:
    store = FindingStore(tmp_path / "state.db")
    m = meta()
    store.record(m, [hit(m.id, "2024-03-01T09:00:00Z", 40, "2024-03-01T09:09:00Z")])
    store.update(m.id, note="looked at it")
    return store.get(m.id)


def test_asff_has_every_required_attribute(finding: Finding) -> None:
    doc = asff(finding)
    for field in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
                  "UpdatedAt", "Severity", "Title", "Description", "Resources"):  # fmt: skip
        assert doc[field], field
    assert doc["SchemaVersion"] == "2018-10-08"
    assert re.match(
        r"^arn:aws:securityhub:us-east-1:\d{12}:product/\d{12}/default$", doc["ProductArn"]
    )
    assert re.match(r"^\d{12}$", doc["AwsAccountId"])
    for t in doc["Types"]:
        namespace, category, classifier = t.split("/", 2)
        assert namespace in NAMESPACES and category and "/" not in classifier
    for stamp in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        assert RFC3339.match(doc[stamp]), stamp
    assert doc["Severity"] == {"Label": "MEDIUM", "Normalized": 40, "Original": "5.0"}
    assert all(r["Type"] and r["Id"] for r in doc["Resources"])
    assert doc["Workflow"] == {"Status": "NEW"} and doc["RecordState"] == "ACTIVE"
    assert doc["Note"]["Text"] == "looked at it"


def test_ocsf_detection_finding(finding: Finding) -> None:
    doc = ocsf(finding)
    assert (doc["class_uid"], doc["category_uid"]) == (2004, 2)
    assert doc["type_uid"] == 2004 * 100 + doc["activity_id"]
    assert doc["severity_id"] == 3 and doc["status_id"] == 1
    assert doc["metadata"]["product"]["name"] == "Vigil" and doc["metadata"]["version"]
    info = doc["finding_info"]
    assert info["uid"] == finding.id and info["title"] and info["types"] == ["Recon:EC2/Portscan"]
    assert info["first_seen_time"] == int(
        datetime.fromisoformat("2024-03-01T09:00:00+00:00").timestamp() * 1000
    )
    assert isinstance(doc["time"], int) and doc["count"] == 40


def test_guardduty_shape(finding: Finding) -> None:
    doc = guardduty(finding)
    assert doc["type"] == "Recon:EC2/Portscan" and doc["severity"] == 5.0
    assert (
        doc["service"]["count"] == 40
        and doc["service"]["eventLastSeen"] == "2024-03-01T09:09:00.000Z"
    )
    assert doc["arn"].endswith(f"/finding/{finding.id}")


def test_suppression_archives_matching_findings_now_and_later(tmp_path: Path) -> None:
    store = FindingStore(tmp_path / "state.db")
    scan, other = meta(), meta("198.51.100.9")
    store.record(scan, [hit(scan.id, "2024-03-01T09:00:00Z", 5)])
    assert (
        store.suppress("known scanner", parse_criteria(["type=Recon:*", "key.srcaddr=192.0.2.45"]))
        == 1
    )
    store.record(other, [hit(other.id, "2024-03-01T09:00:00Z", 5)])
    assert [f.key["srcaddr"] for f in store.find()] == ["198.51.100.9"]
    kept = store.find(Filter(record_state="ARCHIVED"))
    assert [(f.workflow, f.record_state) for f in kept] == [
        (Workflow.SUPPRESSED, RecordState.ARCHIVED)
    ]
    store.record(scan, [hit(scan.id, "2024-03-02T09:00:00Z", 3)])  # still counted, still archived
    assert store.get(scan.id).count == 8 and store.get(scan.id).record_state is RecordState.ARCHIVED
    third = meta("192.0.2.45", 9.0)
    assert third.id == scan.id  # same type and key: the same finding


@pytest.mark.parametrize("bad", [["type"], ["colour=blue"], []])
def test_bad_suppression_filters(bad: list[str]) -> None:
    with pytest.raises(ConfigError):
        parse_criteria(bad)
