"""Tuning a unit without copying it (`<home>/tuning.yaml`): exceptions by principal, address,
user agent and account make no finding at all; parameters and `enabled` are set; a bad file is
one error with file, line and column while the last good tuning stays in force; `content
show` says where each setting comes from; a backtest shows the noise and records nothing;
every finding explains itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import ct_record, trail_file, trail_key, vigil, write_gz
from vigil.api import clock, detect, findings, tuning
from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.ingest.pipeline import IngestOptions, ingest

ACCOUNT = "111122223333"
STOP = "stealth-iamuser-cloudtrailloggingdisabled"
BRUTE = "unauthorizedaccess-iamuser-consoleloginbruteforce"


def _stop(ident: str, trail: str, who: dict[str, Any], source: str, agent: str,
          account: str = ACCOUNT) -> dict[str, Any]:  # fmt: skip
    return ct_record(eventID=ident, eventSource="cloudtrail.amazonaws.com", eventName="StopLogging",
                     requestParameters={"name": trail}, sourceIPAddress=source, userAgent=agent,
                     recipientAccountId=account, userIdentity=who)  # fmt: skip


def _role(name: str, session: str) -> dict[str, Any]:
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}",
            "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {
                "type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "userName": name}}}  # fmt: skip


USER = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory", "accountId": ACCOUNT}
RECORDS = [
    _stop("by-scanner", "t-scanner", _role("ci-scanner", "run-17"), "198.51.100.7", "aws-cli/2.15"),
    _stop("from-office", "t-office", USER, "203.0.113.45", "aws-cli/2.15"),
    _stop("by-tool", "t-tool", USER, "192.0.2.9", "Prowler/3.11 botocore/1.34"),
    _stop("other-account", "t-other", USER, "192.0.2.9", "aws-cli/2.15", "444455556666"),
    _stop("attack", "t-attack", USER, "192.0.2.66", "aws-cli/2.15"),
]
TUNING = f"""units:
  {STOP}:
    exceptions:
      principals: ["arn:aws:iam::*:role/ci-*"]
      addresses: [203.0.113.0/24]
      user_agents: ["*prowler*"]
      accounts: ["444455556666"]
"""


def _lake(home: Settings, tmp_path: Path, records: list[dict[str, Any]]) -> None:
    write_gz(trail_key(tmp_path / "src"), trail_file(records))
    ingest(home, [str(tmp_path / "src")], IngestOptions())


def _trails(home: Settings) -> set[str]:
    return {f.key["trail"] for f in findings.list_findings(home) if f.unit == STOP}


def test_exceptions_make_no_finding_at_all(home: Settings, tmp_path: Path) -> None:
    _lake(home, tmp_path, RECORDS)
    (home.home / "tuning.yaml").write_text(TUNING)
    report = detect.run(home, ids=[STOP])
    assert report.errors == []
    assert _trails(home) == {"t-attack"}  # the scanner role (any session), the office range,
    # the tool's user agent (any case) and the other account are excepted


def test_parameters_and_enabled_and_where_they_come_from(home: Settings, tmp_path: Path) -> None:
    failures = [ct_record(eventID=f"f{i}", eventSource="signin.amazonaws.com", eventName="ConsoleLogin",
                          eventTime=f"2024-03-01T10:{i:02d}:00Z", sourceIPAddress="198.51.100.66",
                          responseElements={"ConsoleLogin": "Failure"}, userIdentity=USER)
                for i in range(12)]  # fmt: skip
    _lake(home, tmp_path, failures)
    assert detect.run(home, ids=[BRUTE]).findings == {BRUTE: 1}  # 12 >= 10, as shipped
    (home.home / "tuning.yaml").write_text(
        f"units:\n  {BRUTE}:\n    parameters: {{min_failures: 20}}\n"
    )
    view = tuning.show(home, BRUTE)
    sources = {p.name: (p.value, p.source) for p in view.parameters}
    assert sources["min_failures"] == (20, "tuning")
    assert sources["window_minutes"] == (60, "built-in")
    assert view.enabled.source == "built-in"
    store_before = {f.id: f.count for f in findings.list_findings(home)}
    rerun = detect.run(home, ids=[BRUTE], since=clock.parse_iso("2024-03-01"))
    assert rerun.findings == {BRUTE: 0}
    assert store_before  # (the earlier finding stays; tuning changes what is found from now)
    (home.home / "tuning.yaml").write_text(f"units:\n  {STOP}:\n    enabled: false\n")
    assert tuning.show(home, STOP).enabled.value is False
    assert STOP not in detect.run(home).findings


def test_a_bad_file_keeps_the_last_good_tuning(home: Settings, tmp_path: Path) -> None:
    _lake(home, tmp_path, RECORDS)
    path = home.home / "tuning.yaml"
    path.write_text(TUNING)
    detect.run(home, ids=[STOP])
    path.write_text(TUNING.replace('accounts: ["444455556666"]', "acounts: [1]"))
    report = detect.run(home, ids=[STOP], since=clock.parse_iso("2024-01-01"))
    assert any("tuning.yaml:7:7" in e and "acounts" in e for e in report.errors), report.errors
    assert _trails(home) == {"t-attack"}  # the last good exceptions still applied
    path.write_text(
        f"units:\n  {STOP}:\n    parameters: {{nope: 1}}\n  no-such-unit: {{enabled: false}}\n"
    )
    shown = tuning.show(home, STOP).problems
    assert any("nope is not a parameter" in p for p in shown)
    assert any("no-such-unit: no such unit" in p for p in shown)


def test_set_a_units_tuning_checked_before_it_is_written(home: Settings) -> None:
    view = tuning.set_unit(home, STOP, {"exceptions": {"addresses": ["10.1.0.0/16"]}})
    assert view.exceptions["addresses"] == ["10.1.0.0/16"]
    with pytest.raises(ConfigError, match="not an IP address or CIDR"):
        tuning.set_unit(home, STOP, {"exceptions": {"addresses": ["the office"]}})
    with pytest.raises(ConfigError, match="not a parameter"):
        tuning.set_unit(home, BRUTE, {"parameters": {"min_failurez": 3}})
    assert "10.1.0.0/16" in (home.home / "tuning.yaml").read_text()  # the bad ones not written


def test_backtest_shows_the_noise_and_records_nothing(home: Settings, tmp_path: Path) -> None:
    _lake(home, tmp_path, RECORDS)
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(TUNING)
    since = clock.parse_iso("2024-01-01")
    plain = tuning.backtest(home, STOP, since=since)
    tuned = tuning.backtest(home, STOP, since=since, tuning_file=candidate)
    assert (plain.findings, tuned.findings) == (5, 1)
    assert sum(plain.by_day.values()) == 5 and all(len(d) == 10 for d in plain.by_day)
    assert tuned.top[0].key == {"trail": "t-attack"} and tuned.top[0].sample == ["attack"]
    assert findings.list_findings(home) == []  # nothing recorded
    done = vigil(home.home, "content", "backtest", STOP, "--since", "2024-01-01", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["findings"] == 5


def test_a_finding_explains_itself(home: Settings, tmp_path: Path) -> None:
    _lake(home, tmp_path, RECORDS[-1:])
    detect.run(home, ids=[STOP])
    [found] = findings.list_findings(home)
    assert found.parameters == {"window_minutes": 60} and found.tactics == ["defense-impairment"]
    [hit] = findings.hits(home, found.id)
    assert hit.evidence == ["attack"]
    shown = vigil(home.home, "findings", "show", found.id, "--json")
    doc = json.loads(shown.stdout)
    assert doc["unit"] == STOP and doc["parameters"] == {"window_minutes": 60}
    assert doc["hits"][0]["evidence"] == ["attack"]
    text = vigil(home.home, "findings", "show", found.id).stdout
    assert "records that made" in text and "attack" in text


def test_a_renamed_type_is_found_and_suppressed_by_its_old_name(home: Settings) -> None:
    from vigil.findings.store import FindingStore
    from vigil.model.finding import Finding, Hit

    f = Finding(id="f1", unit="exfiltration-s3-anomalousbehavior",
                type="Exfiltration:S3/AnomalousBehavior", title="t", description="d", severity=6.0,
                account=ACCOUNT, region="us-east-1", resource_type="AwsS3Bucket",
                resource_id="b", key={"bucket": "b"}, first_seen="", last_seen="", count=0,
                actor=None, summary=None, evidence_query="", sample_evidence=[])  # fmt: skip
    with FindingStore(home.state_db) as store:
        store.record(f, [Hit("f1", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z",
                             "2024-03-01T10:05:00Z", 3)])  # fmt: skip
    [found] = findings.list_findings(home, type_="Exfiltration:S3/ObjectRead.Unusual")
    assert found.type == "Exfiltration:S3/AnomalousBehavior"
    assert findings.suppress(home, "old-name", ["type=Exfiltration:S3/ObjectRead.Unusual"]) == 1


def test_a_tag_exception_takes_out_tagged_instances(home: Settings, tmp_path: Path) -> None:
    from vigil.detect.resource_tags import resource_tags
    from vigil.posture import snapshot

    def instance(ident: str, role: str, eni: str) -> dict[str, Any]:
        return {"InstanceId": ident, "Tags": [{"Key": "Role", "Value": role},
                                              {"Key": "Team", "Value": "security"}],
                "NetworkInterfaces": [{"NetworkInterfaceId": eni}]}  # fmt: skip

    scanner, web = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"
    calls = {"ec2 describe-instances": {"Reservations": [{"Instances": [
        instance(scanner, "scanner-blue", "eni-0aaa0000000000001"),
        instance(web, "web", "eni-0aaa0000000000002")]}]}}  # fmt: skip
    accounts = {ACCOUNT: {"us-east-1": calls}}
    rows = resource_tags(accounts)
    assert ("eni-0aaa0000000000001", "Role", "scanner-blue") in rows  # interfaces inherit
    snapshot.save(home, snapshot.Snapshot(snapshot.now(), "test", accounts))
    _lake(home, tmp_path, [
        _stop("from-scanner", "t-scanner", _role("Ec2Role", scanner), "198.51.100.7", "aws-cli/2"),
        _stop("from-web", "t-web", _role("Ec2Role", web), "198.51.100.8", "aws-cli/2"),
    ])  # fmt: skip
    (home.home / "tuning.yaml").write_text(
        f"units:\n  {STOP}:\n    exceptions:\n      tags: {{Role: 'scanner*', Team: security}}\n"
    )
    assert detect.run(home, ids=[STOP]).errors == []
    assert _trails(home) == {"t-web"}  # the scanner instance's role is excepted, the web one's not
    (home.home / "tuning.yaml").write_text(
        f"units:\n  {STOP}:\n    exceptions:\n      tags: {{Role: 'scanner*', Team: red}}\n"
    )
    since = clock.parse_iso("2024-01-01")
    assert tuning.backtest(home, STOP, since).findings == 2  # every tag must match


@pytest.mark.slow  # a server process
def test_the_native_api_shows_tunes_and_backtests_a_unit(tmp_path: Path) -> None:
    import httpx

    from serving import serving

    home = tmp_path / "home"
    with serving(home) as server:
        _lake(Settings.load(home), tmp_path, RECORDS)

        def call(method: str, path: str, token: str, **kw: Any) -> httpx.Response:
            return httpx.request(method, f"{server.url}/api/v1{path}", timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}, **kw)  # fmt: skip

        shown = call("GET", f"/content/{STOP}", server.viewer_token).json()
        assert shown["enabled"] == {"name": "enabled", "value": True, "source": "built-in"}
        whole = call("POST", f"/content/{STOP}/backtest", server.viewer_token,
                     json={"since": "2024-01-01T00:00:00Z"}).json()  # fmt: skip
        assert whole["findings"] == 5
        candidate = {"exceptions": {"principals": ["arn:aws:iam::*:role/ci-*"],
                                    "accounts": ["444455556666"]}}  # fmt: skip
        tried = call("POST", f"/content/{STOP}/backtest", server.viewer_token,
                     json={"since": "2024-01-01T00:00:00Z", "tuning": candidate}).json()  # fmt: skip
        assert tried["findings"] == 3 and "candidate" in tried["tuning"]
        assert not (home / "tuning.yaml").exists()  # trying a candidate writes nothing
        refused = call("PUT", f"/content/{STOP}/tuning", server.viewer_token, json=candidate)
        assert refused.status_code == 403
        wrong = call("PUT", f"/content/{STOP}/tuning", server.admin_token,
                     json={"exceptions": {"addresses": ["the office"]}})  # fmt: skip
        assert wrong.status_code == 400 and "not an IP address" in wrong.json()["detail"]["message"]
        saved = call("PUT", f"/content/{STOP}/tuning", server.admin_token, json=candidate).json()
        assert saved["exceptions"]["accounts"] == ["444455556666"]
        audit = call("GET", "/audit", server.admin_token).json()
        assert any(e["action"] == "content.tune" and e["target"] == STOP
                   for e in audit["entries"])  # fmt: skip
        missing = call("GET", "/content/no-such-unit", server.viewer_token)
        assert missing.status_code == 404 and missing.json()["detail"]["code"] == "ConfigError"
