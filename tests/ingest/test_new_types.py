"""The types added beside flow logs and CloudTrail, told apart by content alone (no AWS key
layout) and by `--type`: Route 53 Resolver query logs, S3 server access logs, GuardDuty findings
(the S3 export's JSON Lines, GetFindings output, EventBridge events) and Security Hub ASFF
(BatchImportFindings' body, a list). Findings go to the hub, once each however often read;
bad lines are quarantined with their line or position."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from helpers import vigil

QUERY = {
    "version": "1.100000", "account_id": "111122223333", "region": "eu-west-1",
    "vpc_id": "vpc-0aa11bb22cc33dd44", "query_timestamp": "2024-05-02T11:51:55.120Z",
    "query_name": "api.Example.COM.", "query_type": "AAAA", "query_class": "IN",
    "rcode": "NOERROR", "answers": [{"Rdata": "2001:db8::10", "Type": "AAAA", "Class": "IN"}],
    "srcaddr": "10.1.2.3", "srcport": 53001, "transport": "TCP",
    "srcids": {"resolver_endpoint": "rslvr-in-0123456789abcdef0",
               "resolver_network_interface": "rni-0123456789abcdef0"},
}  # fmt: skip
ACCESS = (
    "3f1c2a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a "
    "media-uploads [02/May/2024:11:52:01 +0000] 203.0.113.40 - 0A1B2C3D4E5F6071 REST.GET.OBJECT "
    'clips/launch%20video.mp4 "GET /media-uploads/clips/launch%20video.mp4 HTTP/1.1" 403 '
    'AccessDenied 243 - 9 - "-" "python-requests/2.31.0" - '
    "dGhpcyBpcyBhIGhvc3QgaWQ= SigV4 TLS_AES_128_GCM_SHA256 - "
    "media-uploads.s3.eu-west-1.amazonaws.com TLSv1.3 - -"
)


def finding(ident: str, updated: str, count: int, severity: float = 5.0) -> dict[str, Any]:
    return {
        "schemaVersion": "2.0", "accountId": "111122223333", "region": "eu-west-1",
        "partition": "aws", "id": ident, "severity": severity,
        "arn": f"arn:aws:guardduty:eu-west-1:111122223333:detector/9f8e/finding/{ident}",
        "type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "createdAt": "2024-05-02T10:00:00.000Z", "updatedAt": updated,
        "title": "i-0feedfacecafe0001 is being SSH brute forced.",
        "resource": {"resourceType": "Instance",
                     "instanceDetails": {"instanceId": "i-0feedfacecafe0001"}},
        "service": {"serviceName": "guardduty", "detectorId": "9f8e", "count": count,
                    "archived": False, "eventFirstSeen": "2024-05-02T10:00:00.000Z",
                    "eventLastSeen": updated, "resourceRole": "TARGET"},
    }  # fmt: skip


def asff(ident: str) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08", "Id": ident,
        "ProductArn": "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default",
        "GeneratorId": "scanner-7", "AwsAccountId": "111122223333",
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2024-05-02T10:00:00Z", "UpdatedAt": "2024-05-02T10:00:00Z",
        "Severity": {"Label": "HIGH", "Original": "8.1"}, "Title": "CVE-2024-0001 in openssl",
        "Description": "A package with a known vulnerability.",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0feedfacecafe0001"}],
    }  # fmt: skip


def ingest(home: Path, *args: str) -> dict[str, Any]:
    done = vigil(home, "ingest", *args, "--json")
    assert done.returncode in (0, 1), done.stderr
    return dict(json.loads(done.stdout))


def hub(home: Path) -> list[dict[str, Any]]:
    listed = json.loads(vigil(home, "findings", "list", "--json").stdout)
    return list(listed["findings"] if isinstance(listed, dict) else listed)


def test_each_type_is_told_by_its_content(tmp_path: Path) -> None:
    src = tmp_path / "inbox"  # files as someone copied them: no AWS key layout
    src.mkdir()
    (src / "resolver.json").write_text(json.dumps(QUERY) + "\n")
    (src / "access.txt").write_text(ACCESS + "\n")
    export = "\n".join(json.dumps(finding(f"gd{i}", "2024-05-02T11:00:00.000Z", 4)) for i in (1, 2))
    (src / "export.jsonl.gz").write_bytes(gzip.compress(export.encode()))
    (src / "hub.json").write_text(
        json.dumps({"Findings": [asff("cve-1"), asff("cve-2")]}, indent=2)
    )
    event = {"version": "0", "id": "e1", "detail-type": "GuardDuty Finding",
             "source": "aws.guardduty", "account": "111122223333", "region": "eu-west-1",
             "time": "2024-05-02T12:00:00Z", "resources": [],
             "detail": finding("gd3", "2024-05-02T12:00:00.000Z", 1)}  # fmt: skip
    (src / "events.json").write_text(json.dumps([event], indent=1))
    home = tmp_path / "home"
    report = ingest(home, str(src), "--account", "111122223333", "--region", "eu-west-1")
    assert report["ingested"] == 5 and report["rejected"] == 0, report["problems"]
    assert report["records"]["dns_logs"] == 1 and report["records"]["s3_access_logs"] == 1
    assert report["findings"] == {"guardduty": 3, "securityhub": 2}
    assert {f["type"] for f in hub(home)} == {
        "UnauthorizedAccess:EC2/SSHBruteForce", "Software and Configuration Checks/Vulnerabilities/CVE"}  # fmt: skip
    assert len(hub(home)) == 5
    rows = json.loads(vigil(home, "query", "SELECT aws_account, aws_region, key, key_decoded, "
                                          "requester, httpstatus FROM s3_access_logs",
                            "--format", "json").stdout)  # fmt: skip
    row = rows[0] if isinstance(rows, list) else rows["rows"][0]
    assert row == {"aws_account": "111122223333", "aws_region": "eu-west-1",
                   "key": "clips/launch%20video.mp4", "key_decoded": "clips/launch video.mp4",
                   "requester": None, "httpstatus": 403}  # fmt: skip
    again = ingest(home, str(src))
    assert again["already_seen"] == 5 and len(hub(home)) == 5


def test_findings_files_by_type_with_updates_and_bad_lines(tmp_path: Path) -> None:
    src = tmp_path / "findings"
    src.mkdir()
    lines = [json.dumps(finding("gd9", "2024-05-02T11:00:00.000Z", 4)), "{not json",
             json.dumps({"id": "gd-broken", "type": "Recon:EC2/Portscan"}),
             json.dumps(finding("gd9", "2024-05-02T12:00:00.000Z", 11))]  # fmt: skip
    (src / "batch-1.jsonl").write_text("\n".join(lines) + "\n")
    home = tmp_path / "home"
    report = ingest(home, str(src / "batch-1.jsonl"), "--type", "guardduty")
    assert report["findings"] == {"guardduty": 2} and report["rejected"] == 2
    said = "\n".join(report["problems"])
    assert "batch-1.jsonl:2: not JSON" in said
    assert "batch-1.jsonl:3: the GuardDuty finding lacks severity, accountId, region" in said
    [held] = hub(home)
    assert held["count"] == 11  # the newest version's running total
    (src / "late.jsonl").write_text(json.dumps(finding("gd9", "2024-05-02T11:30:00.000Z", 7)))
    assert ingest(home, str(src / "late.jsonl"), "--type", "guardduty")["findings"] == {
        "guardduty": 1}  # fmt: skip
    [still] = hub(home)
    assert still["count"] == 11  # an older version arriving late changes nothing
    getfindings = {"findings": [finding("gd10", "2024-05-02T11:00:00.000Z", 1)]}
    (src / "get-findings.json").write_text(json.dumps(getfindings, indent=2))
    assert ingest(home, str(src / "get-findings.json"), "--type", "guardduty")["findings"] == {
        "guardduty": 1}  # fmt: skip
    listed = json.loads(vigil(home, "quarantine", "list", "--json").stdout)
    assert [e["uri"].rsplit("/", 1)[-1] for e in listed] == ["batch-1.jsonl"]
