"""Posture checks: every unit's cases, NOT_AVAILABLE instead of crashes, scores and report."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from vigil.posture.audit import Score, audit, check_reports, load_checks, scores
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
    snap = Snapshot("2026-11-26T12:30:00Z", "test", case["input"])
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
    results = audit(Snapshot("2026-11-26T12:30:00Z", "t", case["input"]), [unit])
    rows = check_reports([unit], results)
    assert rows[0].status == "FAILED" and "A2" in rows[0].resources[1].reason
    board = scores([unit], results)
    assert board["NIST CSF 2.0 Detect"] == Score(passed=0, total=1, score=0)


def test_collect_from_moto_then_audit(tmp_path, aws) -> None:  # type: ignore[no-untyped-def]
    import boto3

    from helpers import run
    from vigil.posture.collect import collect

    endpoint = aws
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="trail-logs")
    trail = boto3.client("cloudtrail", endpoint_url=endpoint, region_name="us-east-1")
    trail.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    trail.start_logging(Name="main")
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
    trail.put_insight_selectors(
        TrailName="main", InsightSelectors=[{"InsightType": "ApiCallRateInsight"}]
    )
    s3.create_bucket(Bucket="flow-logs")
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs",  # moto takes no prefix
    )
    target = ec2.create_traffic_mirror_target(NetworkInterfaceId=eni["NetworkInterfaceId"])[
        "TrafficMirrorTarget"
    ]["TrafficMirrorTargetId"]
    mirror_filter = ec2.create_traffic_mirror_filter()["TrafficMirrorFilter"]
    assert target and mirror_filter
    boto3.client("guardduty", endpoint_url=endpoint, region_name="us-east-1").create_detector(
        Enable=True
    )
    logs = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1")
    for n in range(60):  # more than one page (50)
        logs.create_log_group(logGroupName=f"/app/g{n:02d}")
    seen = []
    snap = collect(["us-east-1"], None, endpoint, seen.append)
    assert seen[0].endswith("us-east-1") and any(w.endswith("s3://flow-logs") for w in seen)
    [account] = snap.accounts
    region = snap.accounts[account]["us-east-1"]
    names = [g["logGroupName"] for g in region["logs describe-log-groups"]["logGroups"]]
    assert len({n for n in names if n.startswith("/app/g")}) == 60  # every page
    insights = region["cloudtrail get-insight-selectors"]["main"]["InsightSelectors"]
    assert insights == [{"InsightType": "ApiCallRateInsight"}]
    assert region["ec2 describe-traffic-mirror-targets"]["TrafficMirrorTargets"]
    assert region["ec2 describe-traffic-mirror-filters"]["TrafficMirrorFilters"]
    detector = region["guardduty list-detectors"]["DetectorIds"][0]
    assert region["guardduty get-detector"][detector]["Status"] == "ENABLED"
    buckets = snap.accounts[account]["global"]
    assert {"trail-logs", "flow-logs"} <= set(buckets["s3 get-bucket-logging"])
    # no lifecycle is an answer ("not set"), not a refused call
    assert buckets["s3 get-bucket-lifecycle-configuration"]["flow-logs"] is None
    assert "global s3 get-bucket-lifecycle-configuration" not in " ".join(snap.errors())
    trails = snap.get(account, "us-east-1", "cloudtrail describe-trails")["trailList"]
    assert "main" in [t["Name"] for t in trails]  # moto's state is shared within the process
    assert "main" in snap.get(account, "us-east-1", "cloudtrail get-trail-status")
    results = {(r.check, r.status) for r in audit(snap) if r.region in ("us-east-1", "-")}
    assert ("cloudtrail-3", "PASSED") in results  # logging
    assert ("cloudtrail-4", "FAILED") in results  # validation off
    assert ("guardduty-enabled", "PASSED") in results
    # the CLI keeps the snapshot and reports on it
    home = tmp_path / "home"
    done = run(home, "posture", "collect", "--regions", "us-east-1", "--endpoint-url", endpoint)
    assert done.returncode == 0, done.stderr
    report = json.loads(run(home, "posture", "report", "--format", "json").stdout)
    assert report["checks"][0]["status"] == "FAILED" and report["scores"]
    assert report["proven"] == []  # no CloudTrail in this lake yet: nothing to replay
    page = run(home, "posture", "report", "--format", "html").stdout
    assert page.startswith("<html>") and "cloudtrail-4" in page


def test_results_become_compliance_findings_with_resets(home) -> None:  # type: ignore[no-untyped-def]
    from vigil.findings.compliance import record
    from vigil.findings.export import asff
    from vigil.findings.store import FindingStore
    from vigil.model.finding import Workflow

    unit = next(u for u in UNITS if u.id == "cloudtrail-4")
    failing, passing = unit.cases[1]["input"], unit.cases[0]["input"]
    record(
        home,
        [unit],
        audit(Snapshot("2026-11-25T00:00:00Z", "t", failing), [unit]),
        "2026-11-25T00:00:00Z",
    )
    store = FindingStore(home.state_db)
    [finding] = store.find()
    exported = asff(finding)
    standards = [{"StandardsId": "standards/cis-aws-foundations-benchmark/v/1.4.0"},
                 {"StandardsId": "standards/cis-aws-foundations-benchmark/v/3.0.0"}]  # fmt: skip
    assert exported["Compliance"] == {
        "Status": "FAILED", "SecurityControlId": "CloudTrail.4", "AssociatedStandards": standards
    }  # fmt: skip
    assert exported["Workflow"]["Status"] == "NEW"
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


def _save_cli_output(root, account: str, calls: dict) -> None:  # type: ignore[no-untyped-def]
    for region, answers in calls.items():
        folder = root / account / region
        folder.mkdir(parents=True, exist_ok=True)
        for name, value in answers.items():
            (folder / f"{name}.json").write_text(
                value if isinstance(value, str) else json.dumps(value)
            )


def test_import_history_and_diff(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers import run

    trail = {
        "Name": "main",
        "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
        "HomeRegion": "us-east-1",
        "IsMultiRegionTrail": True,
        "LogFileValidationEnabled": False,
        "S3BucketName": "logs",
    }
    before, after = tmp_path / "before", tmp_path / "after"
    _save_cli_output(
        before,
        "111122223333",
        {
            "us-east-1": {
                "cloudtrail-describe-trails": {"trailList": [trail]},
                "guardduty-list-detectors": {"DetectorIds": ["d1"]},
                "ec2-describe-flowlogs": {"FlowLogs": []},  # a misspelt call: kept, warned
                "cloudwatch-describe-alarms": "{not json",  # left out, warned, NOT_AVAILABLE
            }
        },
    )
    _save_cli_output(
        after,
        "111122223333",
        {
            "us-east-1": {
                "cloudtrail-describe-trails": {
                    "trailList": [{**trail, "LogFileValidationEnabled": True}]
                },
                "guardduty-list-detectors": {"DetectorIds": []},
            },
            "global": {"s3api-get-bucket-logging--logs": {}},  # `aws s3api` names S3's calls
        },
    )
    home = tmp_path / "home"
    first = run(home, "posture", "import", str(before), "--json")
    assert first.returncode == 0, first.stderr
    warnings = json.loads(first.stdout)["warnings"]
    assert any("ec2-describe-flowlogs.json" in w and "not a call" in w for w in warnings)
    assert any("cloudwatch-describe-alarms.json:1:2" in w for w in warnings)
    assert run(home, "posture", "import", str(after)).returncode == 0
    snapshots = json.loads(run(home, "posture", "history", "--json").stdout)["snapshots"]
    assert len(snapshots) == 2 and snapshots[0]["source"].endswith("before")
    diff = json.loads(run(home, "posture", "diff", "--json").stdout)
    changes = {(c["kind"], c["check"], c["resource"]) for c in diff["changes"]}
    assert ("fixed", "cloudtrail-4", trail["TrailARN"]) in changes
    assert ("newly failing", "guardduty-enabled", "us-east-1") in changes
    assert ("newly failing", "cloudtrail-7", "logs") in changes  # access logging now known: off
    assert diff["changes"][0]["kind"] == "newly failing"  # worst first
    older = run(home, "posture", "report", "--snapshot", "previous", "--format", "json")
    statuses = {r["check"]: r["status"] for r in json.loads(older.stdout)["checks"]}
    assert statuses["cloudtrail-4"] == "FAILED" and statuses["guardduty-enabled"] == "PASSED"
    missing = run(home, "posture", "report", "--snapshot", "1999-01-01")
    assert missing.returncode != 0 and "no snapshot" in missing.stderr


def test_snapshots_keep_their_order_and_a_rerun_adds_none(home) -> None:  # type: ignore[no-untyped-def]
    from vigil.posture import snapshot as snaps

    first = Snapshot("2026-11-26T12:30:00Z", "a", {"1": {"us-east-1": {}}})
    second = Snapshot("2026-11-26T12:30:00Z", "b", {"1": {"us-east-1": {}}})
    later = Snapshot("2026-11-26T12:30:01Z", "c", {"1": {"us-east-1": {}}})
    paths = [snaps.save(home, s) for s in (first, second, later, first, second)]
    assert paths[3] == paths[0] and paths[4] == paths[1]  # the same snapshot again: kept once
    assert [snaps.load(p).source for p in snaps.history(home)] == ["a", "b", "c"]
    assert snaps.find(home).source == "c" and snaps.find(home, "previous").source == "b"
    assert snaps.find(home, "2026-11-26T12:30:00Z").source == "b"  # the last of that second


def _demo_snapshot(tmp_path) -> Snapshot:  # type: ignore[no-untyped-def]
    from vigil.demo import config
    from vigil.posture.snapshot import import_dir

    return import_dir(config.write(tmp_path, "2026-11-24"))


def test_missing_pieces_are_not_available_never_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import given, settings
    from hypothesis import strategies as st

    base = _demo_snapshot(tmp_path)
    places = [
        (a, r, c) for a, regions in base.accounts.items() for r, calls in regions.items()
        for c in calls
    ]  # fmt: skip

    @settings(max_examples=60, deadline=None)
    @given(st.sets(st.sampled_from(places), max_size=len(places)))
    def drop(gone: set) -> None:  # type: ignore[type-arg]
        import copy

        snap = copy.deepcopy(base)
        for a, r, c in gone:
            del snap.accounts[a][r][c]
        results = audit(snap, UNITS)
        assert results and all(r.status in ("PASSED", "FAILED", "WARNING", "NOT_AVAILABLE")
                               for r in results)  # fmt: skip
        odd = [r.reason for r in results if "unexpected shape" in r.reason]
        assert not odd, odd  # missing answers are handled by each check, not by the safety net

    drop()


def test_an_answer_of_the_wrong_shape_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = _demo_snapshot(tmp_path)
    snap.accounts["222222222222"]["us-east-1"]["ec2 describe-flow-logs"] = ["not", "a", "dict"]
    results = audit(snap, UNITS)
    odd = [r for r in results if "unexpected shape" in r.reason]
    assert odd and {r.status for r in odd} == {"NOT_AVAILABLE"}
    assert {r.account for r in odd} == {"222222222222"}


def test_collect_without_credentials_says_so(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from helpers import run

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    done = run(tmp_path / "home", "posture", "collect", "--regions", "us-east-1")
    assert done.returncode == 1 and "internal error" not in done.stderr
    assert "Unable to locate credentials" in done.stderr and "hint: give credentials" in done.stderr
    missing = run(tmp_path / "home", "posture", "collect", "--profile", "nosuch")
    assert missing.returncode == 1 and "profile (nosuch) could not be found" in missing.stderr


def test_control_findings_go_on_the_bus_as_security_hub_imports(home) -> None:  # type: ignore[no-untyped-def]
    from vigil.api.posture import audit_and_record
    from vigil.events.bus import EventStore
    from vigil.events.pattern import matches

    unit = next(u for u in UNITS if u.id == "cloudtrail-4")
    failing, passing = unit.cases[1]["input"], unit.cases[0]["input"]
    counts = audit_and_record(home, Snapshot("2026-11-25T00:00:00Z", "t", failing))
    assert counts.recorded >= 1 and counts.events >= 1
    with EventStore(home) as store:
        events = [e.document for e in store.recent(1000)]
    assert events and {e["source"] for e in events} == {"aws.securityhub"}  # no GuardDuty shape
    failed = {"source": ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"],
              "detail": {"findings": {"Compliance": {"Status": ["FAILED"]},
                                      "Types": [{"prefix": "Software and Configuration Checks"}]}}}  # fmt: skip
    assert any(matches(failed, e) for e in events)
    # an account-wide control (no trail at all): a real region, not "-"
    no_trail = {"111122223333": {"eu-west-1": {"cloudtrail describe-trails": {"trailList": []}}}}
    audit_and_record(home, Snapshot("2026-11-25T01:00:00Z", "t", no_trail))
    with EventStore(home) as store:
        wide = [e.document for e in store.recent(1000)
                if "CloudTrail.1" in e.document["detail"]["findings"][0]["Types"][0]]  # fmt: skip
    assert wide and wide[0]["region"] == "us-east-1"
    assert ":securityhub:us-east-1:" in wide[0]["detail"]["findings"][0]["ProductArn"]
    # the same snapshot again: nothing new on the bus
    assert audit_and_record(home, Snapshot("2026-11-25T00:00:00Z", "t", failing)).events == 0
    # fixed: the resolution is an event too
    audit_and_record(home, Snapshot("2026-11-26T00:00:00Z", "t", passing))
    with EventStore(home) as store:
        later = [e.document for e in store.recent(1000)]
    resolved = {"detail": {"findings": {"Compliance": {"Status": ["PASSED"]},
                                        "Workflow": {"Status": ["RESOLVED"]}}}}  # fmt: skip
    assert any(matches(resolved, e) for e in later)


def test_flow_volume_projects_interfaces_without_flow_logs() -> None:
    from vigil.posture.volume import project

    measured = {"eni-1": ("vpc-a", "subnet-1", 100.0), "eni-2": ("vpc-a", "subnet-1", 300.0),
                "eni-3": ("vpc-a", "subnet-2", 1000.0), "eni-9": ("vpc-b", "subnet-9", 50.0)}  # fmt: skip
    places = {"eni-4": ("vpc-a", "subnet-1"), "eni-5": ("vpc-a", "subnet-3"),
              "eni-6": ("vpc-c", "subnet-6")}  # fmt: skip
    rows = {(r.level, r.id): r for r in project(measured, places)}
    assert rows[("interface", "eni-4")].records_per_day == 200  # median of its subnet
    assert "subnet subnet-1" in rows[("interface", "eni-4")].basis
    assert rows[("interface", "eni-5")].records_per_day == 300  # its VPC: 100, 300, 1000
    assert rows[("interface", "eni-6")].records_per_day == 200  # everything: 50…1000
    assert rows[("vpc", "vpc-a")].records_per_day == 100 + 300 + 1000 + 200 + 300
    assert rows[("vpc", "vpc-b")].basis == "measured"
    levels = [r.level for r in project(measured, places)]
    assert levels == sorted(levels, key=("vpc", "subnet", "interface").index)


def test_collect_across_an_organization_by_assuming_a_role(tmp_path, aws) -> None:  # type: ignore[no-untyped-def]
    import boto3

    from helpers import run

    org = boto3.client("organizations", endpoint_url=aws, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="m@example.com", AccountName="member")
    account = member["CreateAccountStatus"]["AccountId"]
    creds = boto3.client("sts", endpoint_url=aws, region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/VigilAudit", RoleSessionName="setup"
    )["Credentials"]
    as_member = {"aws_access_key_id": creds["AccessKeyId"], "aws_session_token": creds["SessionToken"],
                 "aws_secret_access_key": creds["SecretAccessKey"], "endpoint_url": aws,
                 "region_name": "us-east-1"}  # fmt: skip
    boto3.client("s3", **as_member).create_bucket(Bucket="member-trail-logs")
    boto3.client("cloudtrail", **as_member).create_trail(
        Name="member-trail", S3BucketName="member-trail-logs"
    )
    home = tmp_path / "home"
    done = run(home, "posture", "collect", "--regions", "us-east-1", "--role", "VigilAudit",
               "--accounts", "all", "--endpoint-url", aws, "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert account in json.loads(done.stdout)["accounts"]
    report = json.loads(run(home, "posture", "report", "--format", "json").stdout)
    trails = {r["resource"] for c in report["checks"] if c["check"] == "cloudtrail-4"
              for r in c["resources"] if r["account"] == account}  # fmt: skip
    assert trails == {f"arn:aws:cloudtrail:us-east-1:{account}:trail/member-trail"}


def test_controls_proven_by_the_events_in_the_lake(home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers import ct_record, trail_file, trail_key, write_gz
    from vigil.api import lake as lake_api
    from vigil.posture.proven import prove

    root = {"type": "Root", "principalId": "111122223333", "accountId": "111122223333",
            "arn": "arn:aws:iam::111122223333:root"}  # fmt: skip
    records = [
        ct_record(eventID="root-login", userIdentity=root),
        ct_record(eventID="stop", eventName="StopLogging", eventSource="cloudtrail.amazonaws.com"),
        ct_record(
            eventID="update", eventName="UpdateTrail", eventSource="cloudtrail.amazonaws.com"
        ),
    ]
    write_gz(trail_key(tmp_path / "src"), trail_file(records))
    lake_api.ingest(home, [str(tmp_path / "src")])

    def metric_filter(name: str, pattern: str) -> dict:  # type: ignore[type-arg]
        return {"filterName": name, "filterPattern": pattern, "logGroupName": "trail",
                "metricTransformations": [{"metricName": name, "metricNamespace": "LogMetrics",
                                           "metricValue": "1"}]}  # fmt: skip

    old_trail_pattern = (
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail)}"
    )
    snap = Snapshot("2026-11-26T00:00:00Z", "t", {"111122223333": {"us-east-1": {
        "logs describe-metric-filters": {"metricFilters": [
            # the account's own metric name for the root filter: found by the events it counts
            metric_filter("RootUse", '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}'),
            metric_filter("CloudTrailChanges", old_trail_pattern),
        ]}}}})  # fmt: skip
    rows = {p.control: p for p in prove(home, snap)}
    assert rows["CloudWatch.1"].verdict == "effective" and rows["CloudWatch.1"].metric == "RootUse"
    assert rows["CloudWatch.5"].verdict == "ineffective" and rows["CloudWatch.5"].missed == ["stop"]
    assert rows["CloudWatch.4"].verdict in ("untested", "not configured")
    own = {p.control: p.verdict for p in prove(home, None, own=True)}
    assert own["CloudWatch.5"] == "effective" and own["CloudWatch.1"] == "effective"
