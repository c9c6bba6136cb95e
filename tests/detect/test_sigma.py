"""Sigma: SigmaHQ-style rules through pySigma; batch SQL and streaming Python agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import DATA, ct_record, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.demo import trail
from vigil.detect.sigma_import import import_rules
from vigil.detect.sigma_rules import SigmaRejected, load_file
from vigil.detect.streaming import StreamMatcher, rows_of
from vigil.detect.units import load_units
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.query.engine import open_engine

RUNNABLE = ["kali-agent.yml", "modifiers.yml", "root-and-errors.yml", "trail-changes.yml"]
REJECTED = {
    "keyword.yml": "keywords",
    "windows.yml": "log source",
    "unknown-field.yml": "eventColour",
    "placeholder.yml": "placeholder",
}


def corpus() -> list[dict]:  # type: ignore[type-arg]
    """The demo's background activity and attacks, plus edge cases for the modifiers."""
    import random
    from datetime import UTC, datetime

    from vigil.demo.attacks import attack_events

    trail.reseed(5)
    day = datetime(2024, 3, 1, tzinfo=UTC)
    records = (
        trail.background(random.Random(5), day, 1500) + attack_events(random.Random(5), day)[0]
    )
    records += [
        ct_record(eventID="kali", userAgent="Boto3/1.34 Linux/6.5.0-kali3-amd64"),
        ct_record(
            eventID="pct",
            eventName="Put%Tagging",
            userAgent="aws-cli/2 Linux",
            eventSource="s3.amazonaws.com",
        ),
        ct_record(
            eventID="nets",
            sourceIPAddress="203.0.113.99",
            requestParameters={"bucketName": "anycompany-app-assets"},
        ),
        ct_record(eventID="denied", errorCode="AccessDenied"),
        ct_record(eventID="case", userIdentity={"type": "ROOT"}),
    ]
    return records


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[dict]]:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("sigma")
    home = Settings.load(root / "home")
    records = corpus()
    write_gz(trail_key(root / "src"), trail_file(records))
    report = ingest(home, [str(root / "src")], IngestOptions())
    assert report.records["cloudtrail"] == len(records)
    return home, records


@pytest.mark.parametrize("name", RUNNABLE)
def test_batch_and_streaming_match_the_same_records(
    lake: tuple[Settings, list[dict]], name: str
) -> None:  # type: ignore[type-arg]
    home, records = lake
    logic = load_file(DATA / "sigma" / name)
    with open_engine(home) as con:
        batch = {
            r[0] for r in con.rows(f"SELECT eventid FROM cloudtrail WHERE {logic.condition_sql}")
        }
        rows = con.query("SELECT * FROM cloudtrail").to_pylist()
    streaming = {row["eventid"] for row in rows if logic.predicate(row)}
    assert batch == streaming
    assert batch, f"{name} matches nothing in the corpus; the comparison would prove little"
    assert len(batch) < len(records)


@pytest.mark.slow  # every rule over the whole generated corpus
def test_what_the_rules_match(lake: tuple[Settings, list[dict]]) -> None:  # type: ignore[type-arg]
    _, records = lake
    by_id = {r["eventID"]: r for r in records}
    matched = {
        name: {
            r["eventid"] for r in rows_of(records) if load_file(DATA / "sigma" / name).predicate(r)
        }
        for name in RUNNABLE
    }
    assert "kali" in matched["kali-agent.yml"]
    assert {"pct", "nets"} <= matched["modifiers.yml"]
    assert {"denied", "case"} <= matched["root-and-errors.yml"]  # Sigma strings ignore case
    assert {by_id[e]["eventName"] for e in matched["trail-changes.yml"]} == {"StopLogging"}


@pytest.mark.parametrize(("name", "reason"), REJECTED.items())
def test_rules_that_cannot_run_say_why(name: str, reason: str) -> None:
    with pytest.raises(SigmaRejected, match=reason):
        load_file(DATA / "sigma" / name)


def test_import_keeps_runnable_rules_and_detect_runs_them(home: Settings, tmp_path: Path) -> None:
    results = import_rules([DATA / "sigma"], home.home / "sigma")
    status = {Path(r.path).name: r.status for r in results}
    assert {n for n, s in status.items() if s == "imported"} == set(RUNNABLE)
    assert all(r.reason for r in results if r.status == "rejected")
    stop = ct_record(
        eventName="StopLogging",
        eventSource="cloudtrail.amazonaws.com",
        requestParameters={"name": "t"},
    )
    write_gz(trail_key(tmp_path / "src"), trail_file([stop]))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    from vigil.detect.runner import detect
    from vigil.findings.store import FindingStore

    with FindingStore(home.state_db) as store:
        report = detect(home, store, ids=["sigma-trail-changes"])
    assert report.errors == [] and report.findings == {"sigma-trail-changes": 1}


def test_streaming_entry_point_uses_the_content_rules() -> None:
    units, _ = load_units()
    matcher = StreamMatcher(units)
    assert matcher.rules
    policy = ct_record(eventName="DeleteAccountPasswordPolicy", eventSource="iam.amazonaws.com")
    assert matcher.match_records([policy, ct_record()]) == [
        ["stealth-iamuser-passwordpolicychange"],
        [],
    ]
    assert json.dumps(policy)  # records stay plain JSON for the caller


BASE = """title: Denied call
name: denied_call
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    errorCode|contains: Denied
  condition: sel
---
"""


def test_correlations_count_over_sliding_windows_and_temporal_loads() -> None:
    from vigil.detect.sigma_rules import load_rule
    from vigil.detect.sigma_sql import batch_sql

    counted = load_rule(BASE + "title: Many denials\ncorrelation:\n  type: event_count\n  rules: [denied_call]\n"
                        "  group-by: [userIdentity.arn]\n  timespan: 5m\n  condition: {gte: 10}\nlevel: high\n", "c")  # fmt: skip
    assert counted.correlation is not None and counted.correlation.kind == "event_count"
    assert counted.correlation.seconds == 300 and counted.correlation.group_by == (
        "userIdentity.arn",
    )
    sql = batch_sql(counted, ("sourceIPAddress",), "Many denials")
    assert "HAVING max(_n) >= 10" in sql and "AS useridentity_arn" in sql
    assert "RANGE BETWEEN INTERVAL 300 SECOND PRECEDING" in sql  # slides, no fixed blocks
    assert counted.predicate(
        rows_of([ct_record(errorCode="AccessDenied")])[0]
    )  # its base rule streams
    with pytest.raises(SigmaRejected, match="two rules or more"):
        load_rule(BASE + "title: Order\ncorrelation:\n  type: temporal\n  rules: [denied_call]\n"
                  "  group-by: [userIdentity.arn]\n  timespan: 5m\nlevel: high\n", "t")  # fmt: skip
    with pytest.raises(SigmaRejected, match="names nope_rule, a rule that is neither"):
        load_rule(BASE + "title: Order\ncorrelation:\n  type: temporal\n  rules: [denied_call, nope_rule]\n"
                  "  group-by: [userIdentity.arn]\n  timespan: 5m\nlevel: high\n", "t")  # fmt: skip


def test_streaming_correlation_fires_once_per_window_like_batch() -> None:
    units, _ = load_units(ids=["unauthorizedaccess-iamuser-consoleloginspray"])
    unit = units[0]
    spray = [r for case in unit.cases if case.expect for r in case.data["cloudtrail"]]
    single = next(c for c in unit.cases if not c.expect).data["cloudtrail"][0]
    from vigil.detect.harness import _expand_record

    matcher = StreamMatcher(units)
    fired = [hits for hits in matcher.match_records(spray + _expand_record(single))]
    assert sum(1 for hits in fired if hits) == 1  # the fourth distinct target, once
    assert fired[3] == [unit.id]


FALLING = (
    BASE
    + """title: Few or exact denials
correlation:
  type: event_count
  rules: [denied_call]
  group-by: [userIdentity.arn]
  timespan: 5m
  condition: {OP: N}
level: low
"""
)


@pytest.mark.parametrize(("op", "n"), [("lte", 2), ("lt", 2), ("eq", 5), ("gte", 5)])
def test_streaming_decides_falling_correlations_when_windows_close(
    home: Settings, tmp_path: Path, op: str, n: int
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from vigil.detect.runner import detection_connection
    from vigil.detect.sigma_rules import load_rule
    from vigil.detect.sigma_sql import batch_sql, evidence_sql
    from vigil.detect.sql import run_unit

    def denied(user: str, minute: int, second: int) -> dict:  # type: ignore[type-arg]
        return ct_record(
            eventID=f"{user}-{minute}-{second}", errorCode="AccessDenied",
            eventTime=f"2024-03-01T09:{minute:02d}:{second:02d}Z",
            userIdentity={"type": "IAMUser", "arn": f"arn:aws:iam::111122223333:user/{user}"},
        )  # fmt: skip

    records = [denied("a", 1, 0), denied("a", 2, 0)]  # a: 2 in 09:00-09:05
    records += [denied("b", 3, s) for s in range(5)]  # b: 5 in 09:00-09:05
    records += [denied("a", 7, 0)]  # a: 1 in 09:05-09:10
    records += [ct_record(eventID="ok", eventTime="2024-03-01T09:01:00Z")]  # not a denial
    write_gz(trail_key(tmp_path / "src"), trail_file(records))
    ingest(home, [str(tmp_path / "src")], IngestOptions())

    logic = load_rule(FALLING.replace("OP", op).replace("N", str(n)), "falling")
    template = load_units(ids=["unauthorizedaccess-iamuser-consoleloginspray"])[0][0]
    unit = replace(template, id="falling", sigma=logic, group_by=("useridentity_arn",),
                   query=batch_sql(logic, ("userIdentity.arn",), "falling"),
                   evidence=evidence_sql(logic, ("userIdentity.arn",)))  # fmt: skip
    con = detection_connection(home.lake_dir, None)
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    batch = {
        (hit.window_start, finding.key["useridentity_arn"])
        for finding, hit in run_unit(con, unit, start, start + timedelta(hours=1))
    }
    con.close()

    matcher = StreamMatcher([unit])
    fired = matcher.match_records(records)
    early = matcher.close(datetime(2024, 3, 1, 9, 5, tzinfo=UTC))  # only the first window ended
    late = matcher.close(datetime(2024, 3, 1, 10, tzinfo=UTC))
    if op == "gte":  # rising: decided on the event that completes it, once per burst
        started = {
            r["userIdentity"]["arn"]: rows_of([r])[0]["event_ts"]
            for r in reversed(records)
            if r.get("errorCode")
        }  # each burst's first record (one burst per user here)
        streamed = {(started[r["userIdentity"]["arn"]], r["userIdentity"]["arn"])
                    for r, hits in zip(records, fired, strict=True) if hits}  # fmt: skip
        assert sum(1 for hits in fired if hits) == len(streamed) == 1
        assert early == [] and late == []
    else:
        assert not any(fired)
        assert all(d.window_start.minute == 0 for d in early)
        streamed = {(d.window_start, d.key[-1]) for d in early + late}
    assert {(w.isoformat().replace("+00:00", "Z"), a) for w, a in streamed} == batch
    assert batch, "the case would prove nothing"
    assert matcher.state == {}  # closed windows hold nothing


def test_not_matches_a_record_without_the_field_in_both_engines(
    home: Settings, tmp_path: Path
) -> None:
    """Sigma's `not` of a selection on a field the record lacks is true; SQL's NOT of a
    comparison with NULL is NULL (the record would vanish from the batch path)."""
    from vigil.detect.runner import detection_connection
    from vigil.detect.sigma_rules import load_rule

    logic = load_rule("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n"
                      "  sel: {eventName: GetCallerIdentity}\n  console: {additionalEventData.sessionCredentialFromConsole: 'true'}\n"
                      "  condition: sel and not console\n", "t")  # fmt: skip
    records = [ct_record(eventID="plain", eventName="GetCallerIdentity"),
               ct_record(eventID="console", eventName="GetCallerIdentity",
                         additionalEventData={"sessionCredentialFromConsole": "true"})]  # fmt: skip
    write_gz(trail_key(tmp_path / "src"), trail_file(records))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    con = detection_connection(home.lake_dir, None)
    try:
        batch = {
            r[0] for r in con.rows(f"SELECT eventid FROM cloudtrail WHERE {logic.condition_sql}")
        }
    finally:
        con.close()
    streamed = {r["eventid"] for r in rows_of(records) if logic.predicate(r)}
    assert batch == streamed == {"plain"}
