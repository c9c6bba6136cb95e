"""The AnyCompany demo: its files follow AWS's layouts and its attacks are in the lake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigil.api import access
from vigil.config import Settings
from vigil.demo import scenario as sc
from vigil.demo.run import run_demo
from vigil.query.engine import run_query

pytestmark = pytest.mark.slow


def q(home: Settings, sql: str) -> list[dict]:  # type: ignore[type-arg]
    return run_query(home.lake_dir, sql).to_pylist()


def test_demo_end_to_end(home: Settings) -> None:
    result = run_demo(home, "small", "2026-11-24")
    assert all(r.clean for r in result.reports)
    gen = result.generated
    truth = json.loads(gen.ground_truth.read_text())
    assert len(truth["attacks"]) == 9
    accounts = {r["aws_account"] for r in q(home, "SELECT DISTINCT aws_account FROM cloudtrail")}
    assert accounts == {sc.SECURITY, sc.PRODUCTION, sc.DEVELOPMENT}
    regions = {r["aws_region"] for r in q(home, "SELECT DISTINCT aws_region FROM flow_logs")}
    assert regions == set(sc.REGIONS)
    # Instance A2 has no flow log; A1's is ACCEPT-only.
    assert (
        q(
            home,
            f"SELECT count(*) AS n FROM flow_logs WHERE interface_id = '{sc.instance('A2').eni}'",
        )[0]["n"]
        == 0
    )
    a1 = q(
        home,
        f"SELECT DISTINCT action FROM flow_logs WHERE interface_id = '{sc.instance('A1').eni}' AND log_status = 'OK'",
    )
    assert a1 == [{"action": "ACCEPT"}]
    # The port scan: 1024 distinct ports from one address, all rejected.
    scan = q(
        home,
        f"SELECT count(DISTINCT dstport) AS ports FROM flow_logs WHERE srcaddr = '{sc.SCANNER}' AND action = 'REJECT'",
    )
    assert scan[0]["ports"] == 1024
    # SSH brute force in the v5 custom format, with tcp-flags.
    ssh = q(
        home,
        f"SELECT count(*) AS n, min(tcp_flags & 2) AS syn FROM flow_logs WHERE srcaddr = '{sc.ATTACKER_SSH}' AND dstport = 22",
    )
    assert ssh[0]["n"] == 300 and ssh[0]["syn"] == 2
    # CloudTrail attacks.
    stop = q(
        home, "SELECT useridentity.username AS who FROM cloudtrail WHERE eventname = 'StopLogging'"
    )
    assert stop == [{"who": "mallory"}]
    root = q(
        home,
        "SELECT count(*) AS n FROM cloudtrail WHERE eventname = 'ConsoleLogin' AND useridentity.type = 'Root' "
        "AND json_extract_string(additionaleventdata, '$.MFAUsed') = 'No'",
    )
    assert root[0]["n"] == 1
    stolen = q(
        home,
        f"SELECT count(*) AS n FROM cloudtrail WHERE sourceipaddress = '{sc.STOLEN_CREDS_IP}' AND eventname = 'GetObject'",
    )
    assert stolen[0]["n"] == 600
    world = q(
        home,
        "SELECT count(*) AS n FROM cloudtrail WHERE eventname = 'AuthorizeSecurityGroupIngress' "
        "AND requestparameters LIKE '%0.0.0.0/0%'",
    )
    assert world[0]["n"] == 1
    # The showcase queries answer the story's questions.
    titles = {title: table.to_pylist() for title, _, table in result.results}
    assert titles["Top rejected talkers"][0]["srcaddr"] == sc.SCANNER
    assert titles["Who stopped or deleted a trail"][0]["eventname"] == "StopLogging"
    rdp = next(rows for title, rows in titles.items() if title.startswith("Accepted RDP"))
    assert rdp[0]["srcaddr"] == sc.ATTACKER_RDP
    # Detection: every planted attack is found, and the background raises (almost) nothing.
    missed = [a["id"] for a in result.attacks if not a["found_by"]]
    assert missed == []
    # Every finding links to its evidence: a query that returns its rows.
    from vigil.api.findings import evidence_query

    detections = [f for f in result.findings if not f.unit.startswith("posture/")]
    for finding in detections:
        evidence = run_query(home.lake_dir, evidence_query(finding))
        assert evidence.num_rows >= 1, finding.type
    planted = {a["finding_type"] for a in result.attacks}
    extra = [f.type for f in detections if f.type not in planted]
    assert extra == ["Policy:IAMUser/ConsoleLoginWithoutMFA"]  # the root login, seen twice over
    # Automated response: high findings reached the demo's webhook; StopLogging got a dry-run plan.
    received = result.response["received"]
    assert received and all(r["severity"] >= 7 for r in received)
    assert "Stealth:IAMUser/CloudTrailLoggingDisabled" in {r["finding_type"] for r in received}
    [plan] = result.response["plans"]
    assert plan["playbook"] == "reenable-cloudtrail" and plan["applied"] is False
    assert plan["steps"][0]["operation"] == "start_logging"
    # Integrity: every digest verifies; the one log file edited after delivery does not.
    truth = json.loads(Path(result.generated.ground_truth).read_text())
    assert [Path(i["file"]).name for i in result.integrity["invalid"]] == [
        Path(p).name for p in truth["tampered_log_files"]
    ]
    assert "144/144 digest files valid" in result.integrity["summary"]
    # Posture: the snapshot's deliberate gaps, and the CloudWatch.5 filter proven ineffective.
    failed = {r["check"]: r for r in result.posture["failed"]}
    coverage = [
        r["reason"] for r in failed["flowlog-coverage"]["resources"] if r["status"] == "FAILED"
    ]
    assert coverage == ["no flow log covers eni-0a2000000000000a2 (A2): its traffic is invisible"]
    assert {"cloudtrail-4", "cloudwatch-8", "cloudwatch-5", "single-region-trails"} <= set(failed)
    # compared with the week before: two controls broke since, nothing else moved
    changes = {(c["kind"], c["check"], c["account"]) for c in result.posture["changes"]}
    assert changes == {
        ("newly failing", "cloudtrail-4", "333333333333"),
        ("newly failing", "guardduty-enabled", "333333333333"),
    }
    from vigil.posture.volume import estimate

    volume = estimate(home)
    vpcs = {r.id: r for r in volume if r.level == "vpc"}
    assert "vpc-0a11ce0000000001" in vpcs and vpcs["vpc-0a11ce0000000001"].records_per_day > 0
    assert sum(r.records_per_day for r in volume if r.level == "interface") == sum(
        r.records_per_day for r in vpcs.values()
    )
    a2 = next(r for r in volume if r.id == "eni-0a2000000000000a2")  # no flow log: projected
    assert a2.records_per_day > 0 and a2.basis.startswith("projected")
    from helpers import run

    page = run(home.home, "posture", "report", "--format", "html").stdout
    assert "Proven by the lake" in page and "ineffective" in page
    proofs = {p["control"]: p for p in result.posture["proven"]}
    assert (
        proofs["CloudWatch.5"]["verdict"] == "ineffective"
        and proofs["CloudWatch.1"]["verdict"] == "effective"
    )
    # The CIS pack on the trail's log group: the root login and the StopLogging alarm.
    fired = {a["alarm"]: a for a in result.alarms}
    assert {"CIS-RootAccountUsage", "CIS-CloudTrailChanges"} <= set(fired)
    root_login = next(
        a for a in result.attacks if a["finding_type"] == "Policy:IAMUser/RootCredentialUsage"
    )
    assert root_login["start"] <= fired["CIS-RootAccountUsage"]["at"]
    assert fired["CIS-RootAccountUsage"]["reason"].startswith(
        "Threshold Crossed: 1 out of the last 1"
    )


def test_demo_rerun_adds_nothing(home: Settings) -> None:
    first = run_demo(home, "small", "2026-11-24")
    before = q(
        home, "SELECT (SELECT count(*) FROM flow_logs) AS f, (SELECT count(*) FROM cloudtrail) AS c"
    )
    logs = q(home, "SELECT count(*) AS n FROM log_events")
    again = run_demo(home, "small", "2026-11-24")
    # each run prints a fresh sign-in for the console: the new password works, the old does not
    gate = access.Gate(home)
    assert gate.password("demo", again.console["password"]).role == "admin"
    with pytest.raises(access.AuthError):
        gate.password("demo", first.console["password"])
    assert sum(r.ingested for r in again.reports) == 0
    assert q(home, "SELECT count(*) AS n FROM log_events") == logs  # nothing delivered twice
    assert again.response["received"] == []  # the findings' events went out the first time
    assert (
        q(
            home,
            "SELECT (SELECT count(*) FROM flow_logs) AS f, (SELECT count(*) FROM cloudtrail) AS c",
        )
        == before
    )
