"""The CIS pack: Security Hub CloudWatch.1-14 metric filters, their cases in both engines,
installation with alarms, and the alarms firing on CloudTrail events."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from vigil.api.logs import InputEvent, put_log_events
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.groups import LogStore
from vigil.logs.pattern import lint, parse
from vigil.logs.pattern_match import compile_pattern
from vigil.logs.pattern_sql import filter_sql
from vigil.metrics.alarms import AlarmStore
from vigil.metrics.packs import case_messages, install_pack, load_pack
from vigil.metrics.store import MetricStore

UNITS = load_pack("cis")


def test_the_pack_has_the_fourteen_controls() -> None:
    assert [u.control for u in UNITS] == [f"CloudWatch.{i}" for i in range(1, 15)]
    assert len({u.metric_name for u in UNITS}) == 14


@pytest.mark.parametrize("unit", UNITS, ids=[u.id for u in UNITS])
def test_unit_cases_in_python_and_sql(unit) -> None:  # type: ignore[no-untyped-def]
    hits, misses = case_messages(unit)
    assert hits and misses
    matcher = compile_pattern(unit.pattern)
    assert all(matcher.matches(m) for m in hits), unit.id
    assert not any(matcher.matches(m) for m in misses), unit.id
    con = duckdb.connect()
    con.register(
        "events", pa.table({"i": list(range(len(hits + misses))), "message": hits + misses})
    )
    found = {r[0] for r in con.sql(filter_sql("SELECT * FROM events", unit.pattern)).fetchall()}
    assert found == set(range(len(hits)))
    assert lint(parse(unit.pattern)) == []


def test_literal_cis_unauthorized_form_parses_and_warns() -> None:
    literal = ('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
               '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }')  # fmt: skip
    [warning] = lint(parse(literal))
    assert "$.sourceIPAddress, $.eventName" in warning and "&&" in warning
    assert compile_pattern(literal).matches(json.dumps({"eventName": "DescribeInstances"}))
    for variant in ['{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
                    "{ $.eventName = CreateTrail }", "{$.eventName=CreateTrail}"]:  # fmt: skip
        parse(variant)


def test_installed_pack_alarms_on_root_usage_and_stop_logging(home: Settings) -> None:
    with LogStore(home) as logs:
        logs.create_group("CloudTrail/logs", account="111122223333", region="us-east-1")
        logs.create_stream("CloudTrail/logs", "111122223333_CloudTrail_us-east-1")
    done = install_pack(home, "cis", "CloudTrail/logs", ["arn:aws:sns:us-east-1:111122223333:sec"])
    assert len(done.filters) == 14 and len(done.alarms) == 14 and done.warnings == []
    now = now_ms()
    at = now - now % 300_000 - 240_000
    root = next(u for u in UNITS if u.control == "CloudWatch.1").matches[0]
    stop = next(u for u in UNITS if u.control == "CloudWatch.5").matches[0]
    events = [InputEvent(at, json.dumps(root)), InputEvent(at + 1000, json.dumps(stop))]
    put_log_events(home, "CloudTrail/logs", "111122223333_CloudTrail_us-east-1", events)
    with AlarmStore(home) as alarms, MetricStore(home) as metrics:
        changed = alarms.evaluate(at + 300_000, metrics)
        states = {s.alarm.name: s.state for s in alarms.all()}
    fired = sorted(s.alarm.name for s in changed if s.state == "ALARM")
    assert fired == ["CIS-CloudTrailChanges", "CIS-RootAccountUsage"]
    assert states["CIS-VPCChanges"] == "OK"  # notBreaching: no events is not an alarm
    assert changed[0].alarm.alarm_actions == ("arn:aws:sns:us-east-1:111122223333:sec",)
    assert changed[0].alarm.arn.startswith("arn:aws:cloudwatch:us-east-1:111122223333:alarm:")
