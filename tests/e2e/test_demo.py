"""The AnyCompany demo: its files follow AWS's layouts and its attacks are in the lake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vigil.api import access
from vigil.config import Settings
from vigil.demo import scenario as sc
from vigil.demo.run import DemoResult, run_demo
from vigil.detect.units import load_units
from vigil.query.engine import run_query

pytestmark = pytest.mark.slow


def q(home: Settings, sql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = run_query(home.lake_dir, sql).to_pylist()
    return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, DemoResult]:
    """One demo run for the module: its result, then a second run over the same home."""
    home = Settings.load(tmp_path_factory.mktemp("demo") / "home")
    home.ensure()
    return home, run_demo(home, "small", "2026-11-24")


def test_demo_end_to_end(demo: tuple[Settings, DemoResult]) -> None:
    home, result = demo
    assert all(r.clean for r in result.reports)
    gen = result.generated
    truth = json.loads(gen.ground_truth.read_text())
    assert len(truth["attacks"]) == 13
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
    # Route 53 Resolver query logs: every instance of the three VPCs (A2 too, which no flow
    # log covers), account and Region as the records say; all of them ingested.
    records = {t: sum(r.records[t] for r in result.reports) for t in result.reports[0].records}
    assert records["dns_logs"] == gen.dns_queries > 20_000
    assert records["s3_access_logs"] == gen.access_log_records > 3_000
    asking = q(home, "SELECT DISTINCT srcids.instance AS i, account_id, region FROM dns_logs")
    assert {(r["i"], r["account_id"], r["region"]) for r in asking} == {
        (i.instance_id, n.account, n.region) for n in sc.NETWORKS for i in n.instances
    }
    exfil = q(
        home,
        "SELECT count(DISTINCT query_name) AS n, min(length(split_part(query_name, '.', 1))) AS "
        "label FROM dns_logs WHERE registered_domain = 'cdn-statsync.example'",
    )
    assert exfil == [{"n": 240, "label": 56}]
    dga = q(
        home,
        "SELECT count(DISTINCT query_name) AS n, count(*) FILTER (WHERE rcode <> 'NXDOMAIN') AS ok "
        f"FROM dns_logs WHERE srcids.instance = '{sc.instance('B2').instance_id}' "
        "AND regexp_full_match(query_name, '[a-z]{12,18}[.](com|net|info|biz|org)[.]')",
    )
    assert dga == [{"n": 80, "ok": 0}]
    c2 = q(
        home,
        "SELECT DISTINCT srcids.instance AS i, a.Rdata AS answer FROM dns_logs, "
        "unnest(answers) AS t(a) WHERE query_name = 'api.telemetry-sync.example.'",
    )
    assert c2 == [{"i": sc.instance("A1").instance_id, "answer": sc.KNOWN_BAD}]
    # S3 server access logs: account and Region from the partitioned key; the stolen
    # credentials' 600 reads share their request ids with the trail's, so s3_requests has each
    # once (as the access log has it), and the listing only the access log sees.
    where = q(home, "SELECT DISTINCT aws_account, aws_region, bucket_name FROM s3_access_logs")
    assert where == [
        {"aws_account": sc.PRODUCTION, "aws_region": "us-east-1", "bucket_name": sc.CUSTOMER_BUCKET}
    ]
    stolen_reads = q(
        home,
        "SELECT action, source, count(*) AS n FROM s3_requests "
        f"WHERE remote_ip = '{sc.STOLEN_CREDS_IP}' GROUP BY ALL ORDER BY action",
    )
    assert stolen_reads == [
        {"action": "GetObject", "source": "access_log", "n": 600},
        {"action": "ListObjects", "source": "access_log", "n": 1},
    ]
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
    # The query logs and access logs raise the four planted findings, once each, and nothing
    # else: their ordinary background (AWS endpoints, mirrors, CDN names, typos, the app's
    # reads and uploads) is quiet.
    new = {
        "dns-dga-bot": "Trojan:EC2/DGADomainRequest.B",
        "dns-exfiltration": "Trojan:EC2/DNSDataExfiltration",
        "dns-c2-domain": "Backdoor:EC2/C&CActivity.B!DNS",
        "s3-mass-object-read": "Exfiltration:S3/MassObjectRead",
    }
    found = {a["id"]: a for a in result.attacks if a["id"] in new}
    assert {i: a["finding_type"] for i, a in found.items()} == new
    assert all(a["found_by"] for a in found.values())
    units, _ = load_units(cases=False)
    over_new_logs = {u.id for u in units if u.source in ("dns_logs", "s3_requests")}
    dns_or_s3 = sorted(f.type for f in detections if f.unit in over_new_logs)
    assert dns_or_s3 == sorted(new.values())
    by_type = {f.type: f for f in detections}
    assert by_type["Trojan:EC2/DNSDataExfiltration"].resource_id == sc.instance("B3").instance_id
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


def test_demo_rerun_adds_nothing(demo: tuple[Settings, DemoResult]) -> None:
    home, first = demo
    counts = (
        "SELECT (SELECT count(*) FROM flow_logs) AS f, (SELECT count(*) FROM cloudtrail) AS c, "
        "(SELECT count(*) FROM dns_logs) AS d, (SELECT count(*) FROM s3_access_logs) AS s"
    )
    before = q(home, counts)
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
    assert q(home, counts) == before
