"""Alarms beyond one metric, through boto3 against a real `vigil serve`: metric-math alarms,
composite alarms (rule grammar, state from the children, parents and children, history,
deletion rules, cycles), DescribeAlarmsForMetric, alarm actions on and off (an SNS topic whose
subscriber is a real webhook), anomaly detectors and anomaly alarms."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from helpers import Endpoint, vigil
from serving import Server, serving
from vigil.metrics import rule

ACCOUNT_ARN = "arn:aws:cloudwatch:eu-west-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("alarms") / "home"
    home.mkdir()
    (home / "vigil.yaml").write_text(yaml.safe_dump({"alarm_interval": 1.0}))
    with serving(home) as running:
        yield running


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def wait_for(check: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("the condition did not hold in time")


def bus_events(server: Server) -> list[dict[str, Any]]:
    """The alarms' events on the bus, oldest first (the CLI lists the newest first)."""
    listed = vigil(server.home, "events", "list", "--source", "aws.cloudwatch", "--limit",
                   "1000", "--json")  # fmt: skip
    return list(reversed(json.loads(listed.stdout)["events"]))


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def simple(cw: Any, name: str, metric: str = "Errors", **kw: Any) -> None:
    # TreatMissingData ignore: without data the alarm keeps the state SetAlarmState gave it
    base: dict[str, Any] = dict(AlarmName=name, Namespace="App", MetricName=metric,
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                                TreatMissingData="ignore",
                                ComparisonOperator="GreaterThanOrEqualToThreshold")  # fmt: skip
    params = {**base, **kw}
    cw.put_metric_alarm(**{k: v for k, v in params.items() if v is not None})


# -- the rule grammar (pure) ----------------------------------------------------------------------
def test_rule_grammar_precedence_quotes_and_arns() -> None:
    tree = rule.parse('ALARM(a) OR ALARM("b c") AND NOT OK(arn:aws:cloudwatch:r:1:alarm:d)')
    assert rule.children(tree) == ["a", "b c", "d"]
    states = {"a": "OK", "b c": "ALARM", "d": "ALARM"}
    assert rule.holds(tree, states.__getitem__) is True  # NOT binds tighter than AND, AND than OR
    states["d"] = "OK"
    assert rule.holds(tree, states.__getitem__) is False
    assert rule.holds(rule.parse("TRUE AND (FALSE OR TRUE)"), states.__getitem__) is True
    for bad, says in [(")", "Unsupported token ')' at char 0"), ("ALARM(a) AND", "ends too early"),
                      ("ALARM(a) XOR OK(b)", "'XOR' at char 9"), ("ALARM()", "takes an alarm"),
                      ('ALARM("a', "unclosed quote"), ("x" * 10_241, "10240")]:  # fmt: skip
        with pytest.raises(rule.RuleError, match=re.escape(says)):
            rule.parse(bad)


# -- metric-math alarms ---------------------------------------------------------------------------
def test_metric_math_alarm(server: Server) -> None:
    cw = server.client("cloudwatch")
    at = ago(2)
    cw.put_metric_data(Namespace="Web", MetricData=[
        {"MetricName": "5xx", "Value": 6.0, "Timestamp": at},
        {"MetricName": "Requests", "Value": 20.0, "Timestamp": at},
    ])  # fmt: skip
    metrics = [
        {"Id": "e", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "5xx"},
                                   "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "r", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "Requests"},
                                   "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "rate", "Expression": "100 * e / r", "Label": "error rate", "ReturnData": True},
    ]  # fmt: skip
    cw.put_metric_alarm(AlarmName="error-rate", Metrics=metrics, EvaluationPeriods=1,
                        Threshold=10.0, ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    [alarm] = cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"]
    assert "MetricName" not in alarm and alarm["Threshold"] == 10.0
    assert [m["Id"] for m in alarm["Metrics"]] == ["e", "r", "rate"]
    assert alarm["Metrics"][2] == {"Id": "rate", "Expression": "100 * e / r",
                                   "Label": "error rate", "ReturnData": True}  # fmt: skip
    state = wait_for(lambda: [a for a in cw.describe_alarms(AlarmNames=["error-rate"])[
        "MetricAlarms"] if a["StateValue"] == "ALARM"])  # fmt: skip
    assert "[30.0 (" in state[0]["StateReason"]  # 100 * 6 / 20
    assert json.loads(state[0]["StateReasonData"])["recentDatapoints"] == [30.0]
    events = bus_events(server)
    mine = [e for e in events if e["detail"]["alarmName"] == "error-rate"]
    assert mine[-1]["detail"]["configuration"]["metrics"][2]["expression"] == "100 * e / r"


@pytest.mark.parametrize(("change", "wanted"), [
    ({"Metrics": "two returned"}, "ValidationError"),
    ({"MetricName": "Errors"}, "InvalidParameterCombination"),
    ({"Metrics": "bad expression"}, "ValidationError"),
    ({"Metrics": "two periods"}, "ValidationError"),
    ({"ComparisonOperator": "GreaterThanUpperThreshold"}, "ValidationError"),
])  # fmt: skip
def test_metric_math_alarm_refusals(server: Server, change: dict[str, Any], wanted: str) -> None:
    cw = server.client("cloudwatch")
    m1 = {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "5xx"},
                                     "Period": 60, "Stat": "Sum"}, "ReturnData": False}  # fmt: skip
    metrics: list[dict[str, Any]] = [m1, {"Id": "e1", "Expression": "m1 * 2"}]
    shape = change.get("Metrics")
    if shape == "two returned":
        metrics[0] = {**m1, "ReturnData": True}
    elif shape == "bad expression":
        metrics[1] = {"Id": "e1", "Expression": "m1 +* 2"}
    elif shape == "two periods":
        other = {"Id": "m2", "MetricStat": {**m1["MetricStat"], "Period": 300}, "ReturnData": False}
        metrics.append(other)
    extra = {k: v for k, v in change.items() if k != "Metrics"}
    params = {"AlarmName": "bad", "Metrics": metrics, "EvaluationPeriods": 1, "Threshold": 1.0,
              "ComparisonOperator": "GreaterThanThreshold", **extra}  # fmt: skip
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(**params)
    assert code(err) == wanted
    assert "bad" not in [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]]


# -- composite alarms -----------------------------------------------------------------------------
def test_composite_alarm_follows_its_children(server: Server) -> None:
    cw = server.client("cloudwatch")
    simple(cw, "cpu-high", "Cpu", Threshold=1e9)
    simple(cw, "deploying", "Deploys", Threshold=1e9)
    cw.put_composite_alarm(AlarmName="cpu-not-deploying", AlarmDescription="paged",
                           AlarmRule='ALARM(cpu-high) AND NOT ALARM("deploying")',
                           AlarmActions=["arn:aws:sns:eu-west-1:000000000000:nobody"])  # fmt: skip

    def composite() -> dict[str, Any]:
        found = cw.describe_alarms(AlarmNames=["cpu-not-deploying"],
                                   AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]  # fmt: skip
        return dict(found[0])

    assert composite()["StateValue"] == "OK"  # evaluated at once: cpu-high is not in ALARM
    assert composite()["AlarmRule"] == 'ALARM(cpu-high) AND NOT ALARM("deploying")'
    assert cw.describe_alarms(AlarmNames=["cpu-not-deploying"])["CompositeAlarms"] == []
    cw.set_alarm_state(AlarmName="cpu-high", StateValue="ALARM", StateReason="test")
    assert composite()["StateValue"] == "ALARM"
    assert "cpu-high transitioned to ALARM" in composite()["StateReason"]
    cw.set_alarm_state(AlarmName="deploying", StateValue="ALARM", StateReason="deploy")
    assert composite()["StateValue"] == "OK"
    children = cw.describe_alarms(ChildrenOfAlarmName="cpu-not-deploying")
    assert sorted(a["AlarmName"] for a in children["MetricAlarms"]) == ["cpu-high", "deploying"]
    assert set(children["MetricAlarms"][0]) == {"AlarmName", "AlarmArn", "StateValue",
                                                "StateUpdatedTimestamp"}  # fmt: skip
    parents = cw.describe_alarms(ParentsOfAlarmName="deploying")
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["cpu-not-deploying"]
    with pytest.raises(ClientError) as err:
        cw.describe_alarms(ParentsOfAlarmName="deploying", StateValue="OK")
    assert code(err) == "ValidationError"
    history = cw.describe_alarm_history(AlarmName="cpu-not-deploying")["AlarmHistoryItems"]
    kinds = [(h["AlarmType"], h["HistoryItemType"]) for h in history]
    assert ("CompositeAlarm", "StateUpdate") in kinds
    assert ("CompositeAlarm", "ConfigurationUpdate") in kinds
    events = bus_events(server)
    mine = [e for e in events if e["detail"]["alarmName"] == "cpu-not-deploying"]
    assert [e["detail"]["state"]["value"] for e in mine][-3:] == ["OK", "ALARM", "OK"]
    assert mine[-1]["detail-type"] == "CloudWatch Alarm State Change"
    assert mine[-1]["detail"]["configuration"]["alarmRule"].startswith("ALARM(cpu-high)")
    # SetAlarmState on the composite holds until a child changes
    cw.set_alarm_state(AlarmName="cpu-not-deploying", StateValue="ALARM", StateReason="drill")
    assert composite()["StateReason"] == "drill"
    cw.set_alarm_state(AlarmName="deploying", StateValue="OK", StateReason="done")
    assert composite()["StateValue"] == "ALARM"  # cpu-high still in ALARM, deploying not


@pytest.mark.parametrize(("alarm_rule", "says"), [
    ("ALARM(no-such-alarm)", "no-such-alarm] in the alarm rule do not exist"),
    ("ALARM(cpu-high) AND", "ends too early"),
    ("ALARM(cpu-high) OR (OK(deploying)", "ends too early"),
    ("ALARMS(cpu-high)", "Unsupported token 'ALARMS' at char 0"),
    ("OK(arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high)", "own account and Region"),
    ("ALARM(cpu-high) " + "OR TRUE " * 1300, "10240"),
])  # fmt: skip
def test_composite_rule_refusals(server: Server, alarm_rule: str, says: str) -> None:
    cw = server.client("cloudwatch")
    simple(cw, "cpu-high", "Cpu", Threshold=1e9)
    simple(cw, "deploying", "Deploys", Threshold=1e9)
    with pytest.raises(ClientError) as err:
        cw.put_composite_alarm(AlarmName="refused", AlarmRule=alarm_rule)
    # the request checks refuse an over-long rule before the alarm code sees it
    assert code(err) == ("ValidationError" if len(alarm_rule) <= 10_240 else
                         "InvalidParameterValue")  # fmt: skip
    assert says in err.value.response["Error"]["Message"]


def test_deleting_children_and_cycles(server: Server) -> None:
    cw = server.client("cloudwatch")
    simple(cw, "disk-full", "Disk", Threshold=1e9)
    cw.put_composite_alarm(
        AlarmName="storage", AlarmRule=f"ALARM({ACCOUNT_ARN}:000000000000:alarm:disk-full)"
    )
    cw.put_composite_alarm(AlarmName="site", AlarmRule="ALARM(storage) OR FALSE")
    with pytest.raises(ClientError) as err:
        cw.delete_alarms(AlarmNames=["disk-full"])
    assert code(err) == "ValidationError"
    assert "Cannot delete disk-full as there are composite alarm(s) depending on it." in str(
        err.value)  # fmt: skip
    with pytest.raises(ClientError) as err:
        cw.delete_alarms(AlarmNames=["storage", "site"])  # one composite per call
    assert code(err) == "ValidationError"
    # an update may close a cycle (CloudWatch allows it); then no member can be deleted and the
    # cycle is not evaluated, until one rule is changed
    cw.put_composite_alarm(AlarmName="storage", AlarmRule="ALARM(disk-full) OR ALARM(site)")
    cw.set_alarm_state(AlarmName="disk-full", StateValue="ALARM", StateReason="full")
    for name in ("storage", "site"):
        with pytest.raises(ClientError) as err:
            cw.delete_alarms(AlarmNames=[name])
        assert code(err) == "ValidationError"
    found = cw.describe_alarms(AlarmTypes=["CompositeAlarm"], AlarmNamePrefix="s")
    assert {a["AlarmName"] for a in found["CompositeAlarms"]} == {"storage", "site"}
    cw.put_composite_alarm(AlarmName="storage", AlarmRule="ALARM(disk-full)")  # broken
    states = {a["AlarmName"]: a["StateValue"] for a in cw.describe_alarms(
        AlarmTypes=["CompositeAlarm"], AlarmNamePrefix="s")["CompositeAlarms"]}  # fmt: skip
    assert states == {"storage": "ALARM", "site": "ALARM"}
    cw.delete_alarms(AlarmNames=["site"])
    cw.delete_alarms(AlarmNames=["storage"])
    cw.delete_alarms(AlarmNames=["disk-full"])
    with pytest.raises(ClientError) as err:
        cw.delete_alarms(AlarmNames=["disk-full"])
    assert code(err) == "ResourceNotFound"


# -- alarms for a metric; actions ------------------------------------------------------------------
def test_describe_alarms_for_metric(server: Server) -> None:
    cw = server.client("cloudwatch")
    dims = [{"Name": "Service", "Value": "api"}]
    simple(cw, "lat-sum", "Latency", Dimensions=dims, Unit="Milliseconds")
    simple(cw, "lat-max-5m", "Latency", Dimensions=dims, Statistic="Maximum", Period=300)
    simple(cw, "lat-p99", "Latency", Dimensions=dims, Statistic=None, ExtendedStatistic="p99")
    simple(cw, "lat-other", "Latency", Dimensions=[{"Name": "Service", "Value": "web"}])

    def names(**kw: Any) -> list[str]:
        found = cw.describe_alarms_for_metric(Namespace="App", MetricName="Latency", **kw)
        return sorted(a["AlarmName"] for a in found["MetricAlarms"])

    assert names(Dimensions=dims) == ["lat-max-5m", "lat-p99", "lat-sum"]
    assert names(Dimensions=dims, Statistic="Maximum") == ["lat-max-5m"]
    assert names(Dimensions=dims, ExtendedStatistic="p99") == ["lat-p99"]
    assert names(Dimensions=dims, Period=60) == ["lat-p99", "lat-sum"]
    assert names(Dimensions=dims, Unit="Milliseconds") == ["lat-sum"]
    assert names() == []  # the metric without dimensions is another metric
    raw = server.client("cloudwatch", parameter_validation=False)  # what a careless client sends
    with pytest.raises(ClientError) as err:
        raw.describe_alarms_for_metric(Namespace="App")
    assert code(err) == "MissingParameter" and "MetricName" in str(err.value)


def test_actions_disabled_change_state_without_notifying(server: Server) -> None:
    cw = server.client("cloudwatch")
    hook = Endpoint()
    try:
        topics = server.home / "topics"
        topics.mkdir(exist_ok=True)
        (topics / "oncall.yaml").write_text(yaml.safe_dump(
            {"subscriptions": [{"id": "pager", "type": "webhook", "url": hook.url}]}))  # fmt: skip
        topic = "arn:aws:sns:eu-west-1:000000000000:oncall"
        simple(cw, "paging", "Pages", Threshold=1e9, AlarmActions=[topic], OKActions=[topic])
        cw.disable_alarm_actions(AlarmNames=["paging"])
        [a] = cw.describe_alarms(AlarmNames=["paging"])["MetricAlarms"]
        assert a["ActionsEnabled"] is False
        cw.set_alarm_state(AlarmName="paging", StateValue="ALARM", StateReason="quiet")
        [a] = cw.describe_alarms(AlarmNames=["paging"])["MetricAlarms"]
        assert a["StateValue"] == "ALARM"  # the state changes, no action runs
        time.sleep(3)
        assert hook.requests == []
        history = cw.describe_alarm_history(AlarmName="paging", HistoryItemType="Action")
        assert history["AlarmHistoryItems"] == []
        cw.enable_alarm_actions(AlarmNames=["paging"])
        cw.set_alarm_state(AlarmName="paging", StateValue="OK", StateReason="loud")
        wait_for(lambda: hook.requests)
        message = json.loads(hook.requests[0]["body"])
        assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == (
            "paging", "OK", "ALARM")  # fmt: skip
        assert message["NewStateReason"] == "loud"
        assert message["AlarmArn"].endswith(":alarm:paging")
        actions = cw.describe_alarm_history(AlarmName="paging", HistoryItemType="Action")
        assert topic in actions["AlarmHistoryItems"][0]["HistorySummary"]
    finally:
        hook.close()


# -- anomaly detection ----------------------------------------------------------------------------
def test_anomaly_detectors(server: Server) -> None:
    cw = server.client("cloudwatch")
    dims = [{"Name": "Host", "Value": "h1"}]
    cw.put_anomaly_detector(Namespace="Svc", MetricName="Load", Dimensions=dims, Stat="Average")
    cw.put_anomaly_detector(SingleMetricAnomalyDetector={
        "Namespace": "Svc", "MetricName": "Queue", "Stat": "Maximum"},
        Configuration={"MetricTimezone": "Europe/Paris", "ExcludedTimeRanges": [
            {"StartTime": ago(120), "EndTime": ago(60)}]})  # fmt: skip
    found = cw.describe_anomaly_detectors(Namespace="Svc")["AnomalyDetectors"]
    assert sorted(d["SingleMetricAnomalyDetector"]["MetricName"] for d in found) == [
        "Load", "Queue"]  # fmt: skip
    queue = next(d for d in found if d["MetricName"] == "Queue")
    assert queue["Configuration"]["MetricTimezone"] == "Europe/Paris"
    assert len(queue["Configuration"]["ExcludedTimeRanges"]) == 1
    by_dim = cw.describe_anomaly_detectors(Dimensions=dims)["AnomalyDetectors"]
    assert [d["MetricName"] for d in by_dim] == ["Load"]
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector={
        "Namespace": "Svc", "MetricName": "Load", "Dimensions": dims, "Stat": "Average"})  # fmt: skip
    assert [d["MetricName"] for d in cw.describe_anomaly_detectors(Namespace="Svc")[
        "AnomalyDetectors"]] == ["Queue"]  # fmt: skip
    refusals = [
        (dict(Namespace="Svc", MetricName="Load"), "MissingParameter"),
        (dict(Namespace="Svc", MetricName="Load", Stat="Average", SingleMetricAnomalyDetector={
            "Namespace": "Svc", "MetricName": "Load", "Stat": "Average"}),
         "InvalidParameterCombination"),
        (dict(Namespace="Svc", MetricName="Load", Stat="Median"), "InvalidParameterValue"),
        (dict(Namespace="Svc", MetricName="Load", Stat="Sum",
              Configuration={"MetricTimezone": "Mars/Olympus"}), "InvalidParameterValue"),
    ]  # fmt: skip
    for params, wanted in refusals:
        with pytest.raises(ClientError) as err:
            cw.put_anomaly_detector(**params)
        assert code(err) == wanted, params
    with pytest.raises(ClientError) as err:
        cw.delete_anomaly_detector(Namespace="Svc", MetricName="Nope", Stat="Sum")
    assert code(err) == "ResourceNotFoundException"


def test_anomaly_alarm_on_the_band(server: Server) -> None:
    cw = server.client("cloudwatch")
    baseline = [10.0, 11.0, 9.0, 10.5, 9.5, 10.0, 11.0, 9.0, 10.0, 10.5, 9.5, 10.0, 10.0, 11.0]
    data = [{"MetricName": "Logins", "Value": v, "Timestamp": ago(30 - i)}
            for i, v in enumerate(baseline)]  # fmt: skip
    data.append({"MetricName": "Logins", "Value": 95.0, "Timestamp": ago(2)})
    cw.put_metric_data(Namespace="Auth", MetricData=data)
    metrics = [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Auth", "MetricName": "Logins"},
                                    "Period": 60, "Stat": "Sum"}, "ReturnData": True},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True},
    ]  # fmt: skip
    cw.put_metric_alarm(AlarmName="login-burst", Metrics=metrics, ThresholdMetricId="ad1",
                        EvaluationPeriods=1, TreatMissingData="notBreaching",
                        ComparisonOperator="GreaterThanUpperThreshold")  # fmt: skip
    [alarm] = cw.describe_alarms(AlarmNames=["login-burst"])["MetricAlarms"]
    assert alarm["ThresholdMetricId"] == "ad1" and "Threshold" not in alarm
    made = cw.describe_anomaly_detectors(MetricName="Logins")["AnomalyDetectors"]
    assert [d["Stat"] for d in made] == ["Sum"]  # the alarm's model, as CloudWatch makes one
    fired = wait_for(lambda: [a for a in cw.describe_alarms(AlarmNames=["login-burst"])[
        "MetricAlarms"] if a["StateValue"] == "ALARM"])  # fmt: skip
    assert fired[0]["StateReason"].startswith("Thresholds Crossed: 1 out of the last 1 "
                                              "datapoints [95.0 (")  # fmt: skip
    data = json.loads(fired[0]["StateReasonData"])
    assert 10.0 < data["recentUpperThresholds"][0] < 13.0
    for params in (
        dict(ComparisonOperator="GreaterThanThreshold", Threshold=1.0),
        dict(ComparisonOperator="LessThanLowerThreshold", ThresholdMetricId="m1"),
    ):
        with pytest.raises(ClientError) as err:
            cw.put_metric_alarm(AlarmName="bad-band", Metrics=metrics, EvaluationPeriods=1,
                                **({"ThresholdMetricId": "ad1"} | params))  # fmt: skip
        assert code(err) == "ValidationError"


def test_cli_lists_every_alarm_kind(server: Server) -> None:
    """The CLI reads the same store: composite alarms do not break `alarms list`."""
    cw = server.client("cloudwatch")
    simple(cw, "cli-child", "Cli", Threshold=1e9)
    cw.put_composite_alarm(AlarmName="cli-parent", AlarmRule="OK(cli-child) OR TRUE")
    stat = {"Metric": {"Namespace": "Cli", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}
    cw.put_metric_alarm(AlarmName="cli-math", EvaluationPeriods=1, Threshold=1.0,
                        ComparisonOperator="GreaterThanThreshold", Metrics=[
                            {"Id": "m", "MetricStat": stat, "ReturnData": False},
                            {"Id": "twice", "Expression": "m * 2"}])  # fmt: skip
    listed = vigil(Path(server.home), "alarms", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert "cli-child" in [a["AlarmName"] for a in doc["MetricAlarms"]]
    [parent] = [a for a in doc["CompositeAlarms"] if a["AlarmName"] == "cli-parent"]
    assert parent["StateValue"] == "ALARM"  # TRUE holds
    text = vigil(Path(server.home), "alarms", "list")
    assert "cli-parent (composite: OK(cli-child) OR TRUE)" in text.stdout
    assert "cli-math" in text.stdout  # a metric-math alarm lists like any other


def test_anomaly_band_in_get_metric_data(server: Server) -> None:
    cw = server.client("cloudwatch")
    values = [20.0, 22.0, 18.0, 21.0, 19.0, 20.0, 22.0, 18.0, 20.0, 21.0, 19.0, 20.0, 60.0]
    cw.put_metric_data(Namespace="Band", MetricData=[
        {"MetricName": "Jobs", "Value": v, "Timestamp": ago(20 - i)}
        for i, v in enumerate(values)])  # fmt: skip
    found = cw.get_metric_data(StartTime=ago(30), EndTime=ago(0), MetricDataQueries=[
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Band", "MetricName": "Jobs"},
                                    "Period": 60, "Stat": "Sum"}},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "expected"},
        {"Id": "hi", "Expression": "FIRST(ANOMALY_DETECTION_BAND(m1))", "ReturnData": False},
        {"Id": "out", "Expression": "IF(m1 > hi AND hi > 0, 1, 0)"},  # no band: no flag
    ], ScanBy="TimestampAscending")["MetricDataResults"]  # fmt: skip
    bands = [r for r in found if r["Id"] == "ad1"]
    assert [r["Label"] for r in bands] == ["expected Jobs (upper)", "expected Jobs (lower)"]
    upper, lower = bands[0]["Values"], bands[1]["Values"]
    assert upper and len(upper) == len(lower)
    assert all(hi > lo for hi, lo in zip(upper, lower, strict=True))
    m1 = next(r for r in found if r["Id"] == "m1")
    spike = m1["Timestamps"][m1["Values"].index(60.0)]
    at = bands[0]["Timestamps"].index(spike)  # the band there is trained on the twelve before
    assert 20.0 < upper[at] < 25.0 and 15.0 < lower[at] < 20.0
    out = next(r for r in found if r["Id"] == "out")
    flagged = [t for t, v in zip(out["Timestamps"], out["Values"], strict=True) if v == 1.0]
    assert flagged == [spike]  # only the 60 is above the band
    with pytest.raises(ClientError) as err:
        cw.get_metric_data(StartTime=ago(30), EndTime=ago(0), MetricDataQueries=[
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Band", "MetricName": "Jobs"},
                                        "Period": 60, "Stat": "Sum"}},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, -1)"}])  # fmt: skip
    assert "positive number" in str(err.value)


def test_console_shows_composite_and_math_alarms(server: Server) -> None:
    import httpx

    cw = server.client("cloudwatch")
    simple(cw, "web-child", "Web", Threshold=1e9)
    cw.put_composite_alarm(AlarmName="web-parent", AlarmRule="ALARM(web-child) OR FALSE")
    stat = {"Metric": {"Namespace": "Web", "MetricName": "Hits"}, "Period": 60, "Stat": "Sum"}
    cw.put_metric_alarm(AlarmName="web-math", EvaluationPeriods=1, Threshold=5.0,
                        ComparisonOperator="GreaterThanThreshold", Metrics=[
                            {"Id": "h", "MetricStat": stat, "ReturnData": False},
                            {"Id": "per_second", "Expression": "h / 60"}])  # fmt: skip
    made = vigil(server.home, "users", "create", "olga", "--role", "viewer", "--password-stdin",
                 stdin="a long enough passphrase 42\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as web:
        form = web.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        signed = web.post("/login", data={"username": "olga", "csrf_token": token[1],
                                          "password": "a long enough passphrase 42"})  # fmt: skip
        assert signed.status_code in (200, 303), signed.text
        page = web.get("/alarms")
        parent_arn = f"{ACCOUNT_ARN}:000000000000:alarm:web-parent"
        body = {
            "widgets": [
                {
                    "type": "alarm",
                    "x": 0,
                    "y": 0,
                    "width": 6,
                    "height": 3,
                    "properties": {"title": "web", "alarms": [parent_arn]},
                }
            ]
        }
        cw.put_dashboard(DashboardName="web-board", DashboardBody=json.dumps(body))
        board = web.get("/dashboards/web-board")
    assert board.status_code == 200 and "web-parent" in board.text
    assert "UNKNOWN" not in board.text  # an alarm widget shows composite alarms' states too
    assert page.status_code == 200
    assert "Composite alarms" in page.text and "web-parent" in page.text
    assert "ALARM(web-child) OR FALSE" in page.text
    assert "per_second = h / 60" in page.text


def test_metric_math_alarm_sees_real_periods(server: Server) -> None:
    """PERIOD and RATE in an alarm read the alarm's periods and timestamps, not positions."""
    cw = server.client("cloudwatch")
    cw.put_metric_data(Namespace="Rates", MetricData=[
        {"MetricName": "Bytes", "Value": 120.0, "Timestamp": ago(2)}])  # fmt: skip
    stat = {"Metric": {"Namespace": "Rates", "MetricName": "Bytes"}, "Period": 60, "Stat": "Sum"}
    cw.put_metric_alarm(AlarmName="per-second", EvaluationPeriods=1, Threshold=1.5,
                        ComparisonOperator="LessThanThreshold", Metrics=[
                            {"Id": "b", "MetricStat": stat, "ReturnData": False},
                            {"Id": "bps", "Expression": "b / PERIOD(b)"}])  # fmt: skip
    settled = wait_for(lambda: [a for a in cw.describe_alarms(AlarmNames=["per-second"])[
        "MetricAlarms"] if a["StateValue"] != "INSUFFICIENT_DATA"])  # fmt: skip
    assert settled[0]["StateValue"] == "OK"  # 120 bytes over 60 s: 2.0 per second, not < 1.5
    assert json.loads(settled[0]["StateReasonData"])["recentDatapoints"] == [2.0]


def test_actions_suppressor(server: Server) -> None:
    cw = server.client("cloudwatch")
    hook = Endpoint()
    try:
        topics = server.home / "topics"
        topics.mkdir(exist_ok=True)
        (topics / "noc.yaml").write_text(yaml.safe_dump(
            {"subscriptions": [{"id": "noc", "type": "webhook", "url": hook.url}]}))  # fmt: skip
        topic = "arn:aws:sns:eu-west-1:000000000000:noc"
        simple(cw, "maintenance", "Maint", Threshold=1e9)
        simple(cw, "api-down", "Api", Threshold=1e9)
        with pytest.raises(ClientError) as err:  # the periods come with a suppressor
            cw.put_composite_alarm(AlarmName="api", AlarmRule="ALARM(api-down)",
                                   ActionsSuppressor="maintenance")  # fmt: skip
        assert code(err) == "ValidationError"
        cw.put_composite_alarm(AlarmName="api", AlarmRule="ALARM(api-down)",
                               AlarmActions=[topic], OKActions=[topic],
                               ActionsSuppressor=f"{ACCOUNT_ARN}:000000000000:alarm:maintenance",
                               ActionsSuppressorWaitPeriod=10,
                               ActionsSuppressorExtensionPeriod=600)  # fmt: skip
        created = wait_for(lambda: hook.requests)  # evaluated at once: OK, OKActions run
        assert json.loads(created[0]["body"])["NewStateValue"] == "OK"
        hook.requests.clear()
        cw.set_alarm_state(AlarmName="maintenance", StateValue="ALARM", StateReason="window")
        cw.set_alarm_state(AlarmName="api-down", StateValue="ALARM", StateReason="down")
        [api] = cw.describe_alarms(AlarmNames=["api"], AlarmTypes=["CompositeAlarm"])[
            "CompositeAlarms"]  # fmt: skip
        assert (api["StateValue"], api["ActionsSuppressedBy"]) == ("ALARM", "Alarm")
        assert api["ActionsSuppressorExtensionPeriod"] == 600
        cw.set_alarm_state(AlarmName="maintenance", StateValue="OK", StateReason="over")
        cw.set_alarm_state(AlarmName="api-down", StateValue="OK", StateReason="up")
        [api] = cw.describe_alarms(AlarmNames=["api"], AlarmTypes=["CompositeAlarm"])[
            "CompositeAlarms"]  # fmt: skip
        assert (api["StateValue"], api["ActionsSuppressedBy"]) == ("OK", "ExtensionPeriod")
        time.sleep(3)
        assert hook.requests == []  # both changes fell in the suppression
        events = bus_events(server)
        mine = [e["detail"]["state"] for e in events if e["detail"]["alarmName"] == "api"]
        assert [s.get("actionsSuppressedBy") for s in mine][-2:] == ["Alarm", "ExtensionPeriod"]
        cw.put_composite_alarm(AlarmName="api", AlarmRule="ALARM(api-down)",
                               AlarmActions=[topic])  # fmt: skip
        cw.set_alarm_state(AlarmName="api-down", StateValue="ALARM", StateReason="down again")
        wait_for(lambda: hook.requests)
        message = json.loads(hook.requests[0]["body"])
        assert (message["AlarmName"], message["NewStateValue"]) == ("api", "ALARM")
        assert message["Trigger"]["alarmRule"] == "ALARM(api-down)"
    finally:
        hook.close()


def test_the_aws_cli_manages_composite_alarms(server: Server) -> None:
    """The AWS CLI (query protocol): put-composite-alarm, describe-alarms with alarm types,
    disable-alarm-actions, describe-alarms-for-metric and a refused rule."""
    cli = Path(__file__).resolve().parents[2] / ".venv-awscli" / "bin" / "aws"
    assert cli.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(cli), "--endpoint-url", server.url, "--output", "json",
                               "cloudwatch", *args], capture_output=True, text=True, env=env,
                              timeout=60)  # fmt: skip

    simple(server.client("cloudwatch"), "cli-disk", "CliDisk", Threshold=1e9)
    made = aws("put-composite-alarm", "--alarm-name", "cli-storage", "--alarm-rule",
               'ALARM("cli-disk") OR FALSE', "--no-actions-enabled")  # fmt: skip
    assert made.returncode == 0, made.stderr
    found = json.loads(aws("describe-alarms", "--alarm-types", "CompositeAlarm",
                           "--alarm-name-prefix", "cli-st").stdout)  # fmt: skip
    [alarm] = found["CompositeAlarms"]
    assert (alarm["AlarmRule"], alarm["ActionsEnabled"], alarm["StateValue"]) == (
        'ALARM("cli-disk") OR FALSE', False, "OK")  # fmt: skip
    assert aws("enable-alarm-actions", "--alarm-names", "cli-storage").returncode == 0
    listed = json.loads(aws("describe-alarms-for-metric", "--namespace", "App",
                            "--metric-name", "CliDisk").stdout)  # fmt: skip
    assert [a["AlarmName"] for a in listed["MetricAlarms"]] == ["cli-disk"]
    bad = aws("put-composite-alarm", "--alarm-name", "cli-bad", "--alarm-rule", "ALARM(cli-disk")
    assert bad.returncode != 0 and "ValidationError" in bad.stderr
    gone = aws("delete-alarms", "--alarm-names", "cli-disk")
    assert gone.returncode != 0 and "depending on it" in gone.stderr


def test_actions_wait_for_the_suppressor(server: Server) -> None:
    """ActionsSuppressorWaitPeriod: a change's actions wait for the suppressor to go into ALARM;
    if it does they never run, if not they run when the wait ends."""
    cw = server.client("cloudwatch")
    hook = Endpoint()
    try:
        topics = server.home / "topics"
        topics.mkdir(exist_ok=True)
        (topics / "jobs.yaml").write_text(yaml.safe_dump(
            {"subscriptions": [{"id": "jobs", "type": "webhook", "url": hook.url}]}))  # fmt: skip
        simple(cw, "job-failed", "JobFail", Threshold=1e9)
        simple(cw, "job-window", "JobWindow", Threshold=1e9)
        cw.put_composite_alarm(AlarmName="jobs", AlarmRule="ALARM(job-failed)",
                               AlarmActions=["arn:aws:sns:eu-west-1:000000000000:jobs"],
                               ActionsSuppressor="job-window", ActionsSuppressorWaitPeriod=3,
                               ActionsSuppressorExtensionPeriod=0)  # fmt: skip
        cw.set_alarm_state(AlarmName="job-failed", StateValue="ALARM", StateReason="failed")
        [jobs] = cw.describe_alarms(AlarmNames=["jobs"], AlarmTypes=["CompositeAlarm"])[
            "CompositeAlarms"]  # fmt: skip
        assert (jobs["StateValue"], jobs["ActionsSuppressedBy"]) == ("ALARM", "WaitPeriod")
        cw.set_alarm_state(AlarmName="job-window", StateValue="ALARM", StateReason="window")
        history = wait_for(lambda: [h for h in cw.describe_alarm_history(
            AlarmName="jobs", HistoryItemType="Action")["AlarmHistoryItems"]
            if "during the wait period" in h["HistorySummary"]])  # fmt: skip
        assert "job-window went into ALARM" in history[0]["HistorySummary"]
        assert hook.requests == []
        cw.set_alarm_state(AlarmName="job-window", StateValue="OK", StateReason="over")
        cw.set_alarm_state(AlarmName="job-failed", StateValue="OK", StateReason="fixed")
        began = time.monotonic()
        cw.set_alarm_state(AlarmName="job-failed", StateValue="ALARM", StateReason="again")
        assert hook.requests == []  # held for the wait period
        wait_for(lambda: hook.requests)
        assert time.monotonic() - began >= 2.5
        message = json.loads(hook.requests[0]["body"])
        assert (message["AlarmName"], message["NewStateValue"]) == ("jobs", "ALARM")
        assert message["NewStateReason"].startswith(
            "arn:aws:cloudwatch:eu-west-1:000000000000:alarm:job-failed transitioned to ALARM"
        )
        assert len(hook.requests) == 1
    finally:
        hook.close()


def test_band_model() -> None:
    """Vigil's band (docs/anomaly-detection.md): trailing two weeks, excluded ranges left out,
    the same hour of the day once there are 24 such values, none below 10 values."""
    from vigil.metrics import anomaly

    hour, day = 3_600_000, 86_400_000
    t = 1_795_000_000_000 - 1_795_000_000_000 % day + 9 * hour  # 09:00 UTC
    half = hour // 2  # every half hour for 13 days: 09:00 and 09:30 are busy, the rest quiet
    history = {t - i * half: (100.0 if (i % 48) in (0, 47) else 10.0) for i in range(1, 48 * 13)}
    assert anomaly.band(history, [t]) == [(100.0, 100.0)]  # 25 values at 09:xx: the daily pattern
    hourly = {k: v for k, v in history.items() if (t - k) % hour == 0}  # 13 values at 09:xx
    [(low, high)] = anomaly.band(hourly, [t])  # type: ignore[misc]
    assert low < 10.0 < 100.0 > high > 10.0  # too few at 09:xx: trained on every hour
    few = {t - i * hour: 5.0 for i in range(1, 10)}
    assert anomaly.band(few, [t]) == [None]  # nine values: no band yet
    spread = {t - i * hour: float(i % 3) for i in range(1, 31)}
    [(low, high)] = anomaly.band(spread, [t], k=1.0)  # type: ignore[misc]
    assert round(low, 3) == round(1 - (2 / 3) ** 0.5, 3) and round(high, 3) == round(
        1 + (2 / 3) ** 0.5, 3)  # fmt: skip
    excluded = ((t - 10 * hour, t),)
    burst = {**spread, **{t - i * hour: 1000.0 for i in range(1, 10)}}
    assert anomaly.band(burst, [t], 1.0, excluded) == anomaly.band(
        {k: v for k, v in spread.items() if k < t - 10 * hour}, [t], 1.0)  # fmt: skip
    old = {t - 15 * day - i * hour: 1.0 for i in range(50)}
    assert anomaly.band(old, [t]) == [None]  # older than two weeks: not trained on
