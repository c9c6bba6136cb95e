"""The findings hub as the one place to triage GuardDuty's, Security Hub's and Vigil's findings,
on a real `vigil serve`: Security Hub's API (boto3) takes later versions and ignores older
ones without losing the user's triage, keeps a control as one finding across standards; an
EventBridge push brings GuardDuty's findings; the CLI, the native API and the console filter
by product, show the product's own severity and the linked findings both ways."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import vigil
from hub_docs import ACCOUNT, guardduty
from serving import Server, serving, sign_in
from vigil.findings.store import FindingStore
from vigil.model.finding import Finding, Hit, finding_id

PASSWORD = "correct horse battery staple 7"
SCANNER = f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"
HUB = "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
CIS = "ruleset/cis-aws-foundations-benchmark/v/1.2.0"
FSBP = "standards/aws-foundational-security-best-practices/v/1.0.0"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("hub-triage") / "home") as running:
        made = vigil(running.home, "users", "create", "ada", "--role", "admin",
                     "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
        assert made.returncode == 0, made.stderr
        yield running


def _scan(updated: str, title: str) -> dict[str, Any]:
    return {"SchemaVersion": "2018-10-08", "Id": "scan/42", "ProductArn": SCANNER,
            "GeneratorId": "scanner/tls", "AwsAccountId": ACCOUNT,
            "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
            "CreatedAt": "2026-12-01T10:00:00Z", "UpdatedAt": updated,
            "Severity": {"Label": "MEDIUM", "Original": "6.1"}, "Title": title,
            "Description": "an old TLS library", "ProductName": "Scanner",
            "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0fed"}]}  # fmt: skip


def _control(path: str, generator: str, **fields: Any) -> dict[str, Any]:
    return {"SchemaVersion": "2018-10-08", "ProductArn": HUB, "GeneratorId": generator,
            "Id": f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:{path}/finding/1f2e3d4c",
            "AwsAccountId": ACCOUNT, "Region": "eu-west-1", "ProductName": "Security Hub",
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "CreatedAt": "2026-12-01T09:00:00Z", "UpdatedAt": "2026-12-01T09:00:00Z",
            "Severity": {"Label": "MEDIUM"}, "Title": "VPC flow logging should be enabled",
            "Description": "This control checks whether VPC flow logs are enabled.",
            "Resources": [{"Type": "AwsEc2Vpc", "Id": "arn:aws:ec2:eu-west-1:"
                           f"{ACCOUNT}:vpc/vpc-0a1b"}],
            "Compliance": {"Status": "FAILED"}, **fields}  # fmt: skip


def _ids(hub: Any, product: str) -> list[dict[str, Any]]:
    found = hub.get_findings(Filters={"ProductArn": [{"Value": product,
                                                      "Comparison": "EQUALS"}]})  # fmt: skip
    return list(found["Findings"])


def test_batch_import_takes_later_versions_only_and_keeps_triage(server: Server) -> None:
    hub = server.client("securityhub")
    assert hub.batch_import_findings(Findings=[_scan("2026-12-01T10:00:00Z", "v1")])[
        "SuccessCount"] == 1  # fmt: skip
    done = hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "scan/42", "ProductArn": SCANNER}],
        Workflow={"Status": "NOTIFIED"}, Note={"Text": "ticket SEC-9", "UpdatedBy": "ana"})  # fmt: skip
    assert len(done["ProcessedFindings"]) == 1
    later = _scan("2026-12-01T12:00:00Z", "v2")
    older = _scan("2026-12-01T11:00:00Z", "stale")
    reply = hub.batch_import_findings(Findings=[later, older])
    assert (reply["SuccessCount"], reply["FailedCount"]) == (2, 0)  # the stale one: silently
    [doc] = _ids(hub, SCANNER)
    assert (doc["Title"], doc["Workflow"]["Status"], doc["Note"]["Text"]) == (
        "v2",
        "NOTIFIED",
        "ticket SEC-9",
    )
    shown = json.loads(vigil(server.home, "findings", "list", "--product", "securityhub",
                             "--json").stdout)  # fmt: skip
    assert [(f["title"], f["product_name"], f["product_severity"]) for f in shown] == [
        ("v2", "Scanner", "6.1")
    ]


def _controls() -> tuple[dict[str, Any], dict[str, Any]]:
    """EC2.6 failing on one VPC, as CIS 1.2.0 and as FSBP report it."""
    cis = _control("subscription/cis-aws-foundations-benchmark/v/1.2.0/2.9",
                   f"arn:aws:securityhub:::{CIS}/rule/2.9")  # fmt: skip
    fsbp = _control("subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.6",
                    "aws-foundational-security-best-practices/v/1.0.0/EC2.6",
                    ProductFields={"StandardsArn": f"arn:aws:securityhub:::{FSBP}",
                                   "ControlId": "EC2.6"})  # fmt: skip
    return cis, fsbp


def test_a_control_under_several_standards_is_one_finding(server: Server) -> None:
    hub = server.client("securityhub")
    cis, fsbp = _controls()
    assert hub.batch_import_findings(Findings=[cis, fsbp])["SuccessCount"] == 2
    [doc] = _ids(hub, HUB)
    assert doc["Compliance"]["SecurityControlId"] == "EC2.6"
    assert sorted(s["StandardsId"] for s in doc["Compliance"]["AssociatedStandards"]) == [CIS, FSBP]
    done = hub.batch_update_findings(FindingIdentifiers=[{"Id": cis["Id"], "ProductArn": HUB}],
                                     Workflow={"Status": "RESOLVED"})  # fmt: skip
    assert done["UnprocessedFindings"] == []
    assert _ids(hub, HUB)[0]["Workflow"]["Status"] == "RESOLVED"
    table = vigil(server.home, "findings", "list", "--product", "securityhub").stdout
    assert "CIS 1.2.0, FSBP 1.0.0" in table


def _vigil_finding(home: Any) -> str:
    kind, key = "UnauthorizedAccess:EC2/SSHBruteForce", {"interface_id": "eni-0abc1234def567890"}
    fid = finding_id("ssh-brute-force", kind, ACCOUNT, key)
    f = Finding(id=fid, unit="ssh-brute-force", type=kind, title="SSH brute force (Vigil)",
                description="many failed SSH connections", severity=5.0, account=ACCOUNT,
                region="us-east-1", resource_type="Instance", resource_id="eni-0abc1234def567890",
                key=key, first_seen="", last_seen="", count=0, actor=None, summary=None,
                evidence_query="", sample_evidence=[])  # fmt: skip
    with FindingStore(home / "state.db") as store:
        store.record(f, [Hit(fid, "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z",
                             "2026-12-01T10:04:00Z", 12)])  # fmt: skip
    return fid


def test_guardduty_pushed_linked_and_shown_everywhere(server: Server) -> None:
    ours = _vigil_finding(server.home)
    event = {"version": "0", "id": "cd2d702e-ab31-411b-9344-793ce56b1bc7",
             "detail-type": "GuardDuty Finding", "source": "aws.guardduty", "account": ACCOUNT,
             "time": "2026-12-01T10:06:00Z", "region": "us-east-1", "resources": [],
             "detail": guardduty("2026-12-01T10:05:00.000Z", 3, 8, "2026-12-01T10:04:00.000Z")}  # fmt: skip
    token = {"Authorization": f"Bearer {server.admin_token}"}
    pushed = httpx.post(server.url + "/ingest/eventbridge", json=event, headers=token)
    assert pushed.status_code == 200, pushed.text
    # the CLI: the product filter, the product's severity, the links both ways
    listed = json.loads(vigil(server.home, "findings", "list", "--product", "guardduty",
                              "--json").stdout)  # fmt: skip
    [gd] = listed
    assert (gd["product"], gd["product_severity"], gd["resource_id"]) == (
        "guardduty",
        "8",
        "i-0abc1234def567890",
    )
    shown = json.loads(vigil(server.home, "findings", "show", ours, "--json").stdout)
    assert [(r["id"], r["product"], r["type"]) for r in shown["related"]] == [
        (gd["id"], "guardduty", "UnauthorizedAccess:EC2/SSHBruteForce")
    ]
    back = json.loads(vigil(server.home, "findings", "show", gd["id"], "--json").stdout)
    assert [r["id"] for r in back["related"]] == [ours]
    text = vigil(server.home, "findings", "show", gd["id"]).stdout
    assert "related findings" in text and ours[:8] in text
    refused = vigil(server.home, "findings", "list", "--product", "inspector")
    assert refused.returncode != 0 and "vigil, guardduty, securityhub" in refused.stderr
    # the native API
    api = server.url + "/api/v1/findings"
    page = httpx.get(api, params={"product": "vigil"}, headers=token).json()
    assert [f["id"] for f in page["findings"]] == [ours]
    one = httpx.get(f"{api}/{gd['id']}", headers=token).json()
    assert [r["id"] for r in one["related"]] == [ours] and one["product_severity"] == "8"
    # the console: the filter, the product's own severity, the related finding (the scan and
    # the controls imported here too, so this test does not lean on the others having run:
    # importing them again changes nothing)
    hub = server.client("securityhub")
    assert hub.batch_import_findings(Findings=[_scan("2026-12-01T12:00:00Z", "v2"),
                                               *_controls()])["SuccessCount"] == 3  # fmt: skip
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        assert sign_in(client, "ada", PASSWORD).status_code == 200
        listing = client.get("/findings", params={"product": "guardduty", "workflow": "ANY"})
        assert gd["id"] in listing.text and ours not in listing.text
        assert '<option value="guardduty" selected>' in listing.text
        controls = client.get("/findings", params={"product": "securityhub", "workflow": "ANY"})
        assert "CIS 1.2.0, FSBP 1.0.0" in controls.text and "v2" in controls.text
        page_html = client.get(f"/findings/{ours}").text
        assert f'href="/findings/{gd["id"]}"' in page_html and "Related findings" in page_html
        theirs = client.get(f"/findings/{gd['id']}").text
        assert f'href="/findings/{ours}"' in theirs
        assert 'class="product-severity">8<' in theirs and "GuardDuty" in theirs
