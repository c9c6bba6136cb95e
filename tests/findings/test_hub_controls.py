"""One finding per problem: a Security Hub control failing on one resource is one hub finding
whichever standards it came under (per-standard forms and the consolidated one), with its
standards listed and given back in ASFF; Vigil's own posture findings list theirs the same way."""

from __future__ import annotations

from typing import Any

import pytest

from hub_docs import ACCOUNT
from vigil.api import findings
from vigil.config import Settings
from vigil.findings import compliance
from vigil.findings.export import asff
from vigil.findings.standards import CIS_1_2, CIS_1_4, CIS_3_0, FSBP, control_of
from vigil.posture.audit import load_checks
from vigil.posture.checks import Result

HUB = "arn:aws:securityhub:us-east-1::product/aws/securityhub"
NIST = "standards/nist-800-53/v/5.0.0"
PCI = "standards/pci-dss/v/3.2.1"
ACCOUNT_RESOURCE = f"AWS::::Account:{ACCOUNT}"


def _control(ident: str, generator: str, updated: str = "2026-12-01T10:00:00Z",
             resource: str = ACCOUNT_RESOURCE, **extra: Any) -> dict[str, Any]:  # fmt: skip
    """A control finding as Security Hub writes it (ASFF, product aws/securityhub)."""
    doc = {
        "SchemaVersion": "2018-10-08", "Id": ident, "ProductArn": HUB,
        "GeneratorId": generator, "AwsAccountId": ACCOUNT, "Region": "us-east-1",
        "ProductName": "Security Hub", "CompanyName": "AWS",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-12-01T09:00:00Z", "UpdatedAt": updated,
        "Severity": {"Label": "HIGH", "Original": "HIGH"},
        "Title": "CloudTrail should be enabled and configured with at least one multi-Region trail",
        "Description": "This control checks for a multi-Region trail.",
        "Resources": [{"Type": "AwsAccount", "Id": resource}],
        "Compliance": {"Status": "FAILED"},
    }  # fmt: skip
    doc.update(extra)
    return doc


def _arn(path: str) -> str:
    return f"arn:aws:securityhub:us-east-1:{ACCOUNT}:{path}/finding/0b7c5a1e-5a4d-4c7f-a9b2"


CIS_DOC = _control(_arn("subscription/cis-aws-foundations-benchmark/v/1.2.0/2.1"),
                   f"arn:aws:securityhub:::{CIS_1_2}/rule/2.1",
                   ProductFields={"StandardsGuideArn": f"arn:aws:securityhub:::{CIS_1_2}",
                                  "RuleId": "2.1"})  # fmt: skip
FSBP_DOC = _control(_arn("subscription/aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1"),
                    "aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1",
                    ProductFields={"StandardsArn": f"arn:aws:securityhub:::{FSBP}",
                                   "ControlId": "CloudTrail.1"})  # fmt: skip
CONSOLIDATED = _control(_arn("security-control/CloudTrail.1"), "security-control/CloudTrail.1",
                        Compliance={"Status": "FAILED", "SecurityControlId": "CloudTrail.1",
                                    "AssociatedStandards": [{"StandardsId": NIST}]})  # fmt: skip


@pytest.mark.parametrize(("doc", "control", "standard"), [
    (CIS_DOC, "CloudTrail.1", CIS_1_2),
    (FSBP_DOC, "CloudTrail.1", FSBP),
    (CONSOLIDATED, "CloudTrail.1", ""),
    (_control("x", f"{CIS_1_4.removeprefix('standards/')}/4.3"), "CloudWatch.1", CIS_1_4),
    (_control("y", "pci-dss/v/3.2.1/PCI.CloudTrail.2"), "", PCI),  # not in the table
    (_control("z", "pci-dss/v/3.2.1/PCI.CloudTrail.2",
              Compliance={"Status": "FAILED", "SecurityControlId": "CloudTrail.2"}),
     "CloudTrail.2", PCI),
])  # fmt: skip
def test_the_control_a_document_is_about(doc: dict[str, Any], control: str, standard: str) -> None:
    ref = control_of(doc)
    assert ref is not None and (ref.control, ref.standard) == (control, standard)


def test_not_a_control_finding() -> None:
    doc = _control("q", "scanner/open-ports")
    del doc["Compliance"]
    assert control_of(doc) is None


def test_one_finding_for_a_control_under_every_standard(home: Settings) -> None:
    pci_untabled = _control(_arn("subscription/pci-dss/v/3.2.1/PCI.CloudTrail.2"),
                            "pci-dss/v/3.2.1/PCI.CloudTrail.2")  # fmt: skip
    result = findings.import_asff(home, [CIS_DOC, FSBP_DOC, CONSOLIDATED, pci_untabled])
    assert (result.success_count, result.created) == (4, 2)
    control, other = sorted(findings.list_findings(home), key=lambda f: len(f.standards))[::-1]
    assert control.standards == sorted([CIS_1_2, FSBP, NIST])
    assert (control.key["SecurityControlId"], control.resource_id) == ("CloudTrail.1",
                                                                       ACCOUNT_RESOURCE)  # fmt: skip
    assert other.standards == [PCI]  # PCI's own id, no SecurityControlId: stays per standard
    docs = {d["Id"]: d for d in findings.find_asff(home, None)}
    assert len(docs) == 2
    [given] = [d for d in docs.values() if d["Compliance"].get("SecurityControlId")]
    associated = [s["StandardsId"] for s in given["Compliance"]["AssociatedStandards"]]
    assert sorted(associated) == sorted([CIS_1_2, FSBP, NIST])
    # every form's identity reaches the one finding (BatchUpdateFindings)
    for doc in (CIS_DOC, FSBP_DOC, CONSOLIDATED):
        assert findings.hub_id(home, doc["Id"], HUB) == control.id


def test_an_older_per_standard_copy_only_adds_its_standard(home: Settings) -> None:
    newer = {**CONSOLIDATED, "UpdatedAt": "2026-12-02T10:00:00Z", "Title": "newest"}
    findings.import_asff(home, [newer])
    result = findings.import_asff(home, [CIS_DOC])  # older, but from another standard
    assert result.updated == 1
    [f] = findings.list_findings(home)
    assert (f.title, f.standards) == ("newest", sorted([CIS_1_2, NIST]))
    assert findings.import_asff(home, [CIS_DOC]).unchanged == 1


def test_vigil_posture_findings_list_their_standards_and_link(home: Settings) -> None:
    units = [u for u in load_checks() if u.id == "cloudtrail-1"]
    failed = Result(ACCOUNT, "us-east-1", ACCOUNT, "FAILED", "no multi-Region trail",
                    "cloudtrail-1")  # fmt: skip
    compliance.record(home, units, [failed], "2026-12-01T10:00:00Z")
    compliance.record(home, units, [failed], "2026-12-02T10:00:00Z")  # the same finding again
    [ours] = findings.list_findings(home, product="vigil")
    assert ours.standards == [CIS_1_4, CIS_3_0]
    exported = asff(ours)["Compliance"]
    assert exported["SecurityControlId"] == "CloudTrail.1"
    assert [s["StandardsId"] for s in exported["AssociatedStandards"]] == [CIS_1_4, CIS_3_0]
    findings.import_asff(home, [CONSOLIDATED])
    [theirs] = findings.list_findings(home, product="securityhub")
    assert [r.id for r in findings.related(home, ours.id)] == [theirs.id]
    assert [r.id for r in findings.related(home, theirs.id)] == [ours.id]
