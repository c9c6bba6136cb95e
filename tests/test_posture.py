"""Posture checks: every unit's cases, NOT_AVAILABLE instead of crashes, scores and report."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from vigil.posture.audit import audit, load_checks, report_rows, scores
from vigil.posture.snapshot import Snapshot

UNITS = load_checks()
CASES = [(u, c) for u in UNITS for c in u.cases]


def test_every_check_has_metadata_and_cases() -> None:
    ids = {u.id for u in UNITS}
    assert {f"cloudtrail-{i}" for i in range(1, 8)} <= ids
    assert {f"cloudwatch-{i}" for i in range(1, 15)} <= ids and "ec2-6" in ids
    for unit in UNITS:
        assert unit.cases and unit.remediation["console"] and unit.remediation["cli"], unit.id
        assert unit.severity in ("LOW", "MEDIUM", "HIGH", "CRITICAL") and unit.nist_csf, unit.id


@pytest.mark.parametrize(("unit", "case"), CASES, ids=[f"{u.id}: {c['name']}" for u, c in CASES])
def test_case(unit, case) -> None:  # type: ignore[no-untyped-def]
    snap = Snapshot("2026-11-26T12:30:00Z", "test", case["snapshot"])
    results = audit(snap, [unit])
    assert Counter(r.status for r in results) == Counter(case["expect"]), [
        r.reason for r in results
    ]


def test_an_empty_snapshot_is_not_available_everywhere() -> None:
    results = audit(Snapshot("2026-11-26T12:30:00Z", "test", {"111122223333": {"us-east-1": {}}}))
    assert results and {r.status for r in results} <= {"NOT_AVAILABLE", "FAILED"}
    assert all("snapshot has no" in r.reason for r in results if r.status == "NOT_AVAILABLE")


def test_scores_and_failed_first() -> None:
    unit = next(u for u in UNITS if u.id == "flowlog-coverage")
    case = unit.cases[0]
    results = audit(Snapshot("2026-11-26T12:30:00Z", "t", case["snapshot"]), [unit])
    rows = report_rows([unit], results)
    assert rows[0]["status"] == "FAILED" and "A2" in rows[0]["resources"][1]["reason"]
    board = scores([unit], results)
    assert board["NIST CSF 2.0 Detect"] == {"passed": 0, "total": 1, "score": 0}


def test_collect_from_moto_then_audit(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    from test_cli import run
    from vigil.posture.snapshot import collect

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="trail-logs")
        trail = boto3.client("cloudtrail", endpoint_url=endpoint, region_name="us-east-1")
        trail.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
        trail.start_logging(Name="main")
        ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        ec2.create_network_interface(SubnetId=subnet)
        snap = collect(["us-east-1"], None, endpoint)
        [account] = snap.accounts
        trails = snap.get(account, "us-east-1", "cloudtrail describe-trails")["trailList"]
        assert "main" in [t["Name"] for t in trails]  # moto's state is shared within the process
        assert "main" in snap.get(account, "us-east-1", "cloudtrail get-trail-status")
        results = {(r.check, r.status) for r in audit(snap) if r.region in ("us-east-1", "-")}
        assert ("cloudtrail-3", "PASSED") in results  # logging
        assert ("cloudtrail-4", "FAILED") in results  # validation off
        assert ("ec2-6", "FAILED") in results  # the new VPC has no flow log
        # the CLI keeps the snapshot and reports on it
        home = tmp_path / "home"
        done = run(home, "posture", "collect", "--regions", "us-east-1", "--endpoint-url", endpoint)
        assert done.returncode == 0, done.stderr
        report = json.loads(run(home, "posture", "report", "--format", "json").stdout)
        assert report["checks"][0]["status"] == "FAILED" and report["scores"]
        page = run(home, "posture", "report", "--format", "html").stdout
        assert page.startswith("<html>") and "cloudtrail-4" in page
    finally:
        server.stop()


def test_results_become_compliance_findings_with_resets(home) -> None:  # type: ignore[no-untyped-def]
    from vigil.findings.export import asff
    from vigil.findings.store import FindingStore
    from vigil.model.finding import Workflow
    from vigil.posture.findings import record

    unit = next(u for u in UNITS if u.id == "cloudtrail-4")
    failing, passing = unit.cases[1]["snapshot"], unit.cases[0]["snapshot"]
    record(
        home,
        [unit],
        audit(Snapshot("2026-11-25T00:00:00Z", "t", failing), [unit]),
        "2026-11-25T00:00:00Z",
    )
    store = FindingStore(home.state_db)
    [finding] = store.find()
    exported = asff(finding)
    assert (
        exported["Compliance"] == {"Status": "FAILED"} and exported["Workflow"]["Status"] == "NEW"
    )
    assert exported["Types"] == [
        "Software and Configuration Checks/Industry and Regulatory Standards/CloudTrail.4"
    ]
    # fixed: Security Hub resolves the control finding
    record(
        home,
        [unit],
        audit(Snapshot("2026-11-26T00:00:00Z", "t", passing), [unit]),
        "2026-11-26T00:00:00Z",
    )
    resolved = store.get(finding.id)
    assert (
        resolved.workflow is Workflow.RESOLVED
        and asff(resolved)["Compliance"]["Status"] == "PASSED"
    )
    # broken again: NEW again
    record(
        home,
        [unit],
        audit(Snapshot("2026-11-27T00:00:00Z", "t", failing), [unit]),
        "2026-11-27T00:00:00Z",
    )
    assert store.get(finding.id).workflow is Workflow.NEW
    store.close()
