"""Alarms: AWS's published truth tables, the premature-alarm rule, reasons, transitions, events."""

from __future__ import annotations

import json

import pytest

from vigil.config import Settings
from vigil.metrics import evaluation as ev
from vigil.metrics.alarms import Alarm, AlarmStore
from vigil.metrics.store import Datum, Metric, MetricError, MetricStore

TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
# (M, N, data oldest→newest, expected per treatment); "KEEP" = the state does not change
TABLE = [
    (3, 3, "0-X-X", ("OK", "OK", "OK", "OK")),
    (3, 3, "0----", ("OK", "OK", "OK", "OK")),
    (3, 3, "-----", ("INSUFFICIENT_DATA", "KEEP", "ALARM", "OK")),
    (3, 3, "0XX-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, 3, "--X--", ("ALARM", "KEEP", "ALARM", "OK")),
    (2, 3, "0-X-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, 3, "00X0X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, 3, "0-X--", ("OK", "OK", "ALARM", "OK")),
    (2, 3, "----0", ("OK", "OK", "ALARM", "OK")),
    (2, 3, "---X-", ("ALARM", "KEEP", "ALARM", "OK")),
]


def points(text: str) -> list[bool | None]:
    return [None if c == "-" else c == "X" for c in text]


@pytest.mark.parametrize(("m", "n", "data", "expected"), TABLE)
def test_aws_truth_tables(m: int, n: int, data: str, expected: tuple[str, ...]) -> None:
    for treatment, want in zip(TREATMENTS, expected, strict=True):
        assert ev.decide(points(data), n, m, treatment) == want, (data, treatment)


@pytest.mark.parametrize("data", ["----X", "---X-"])
def test_premature_rule_does_not_alarm_too_early(data: str) -> None:
    assert ev.decide(points(data), 3, 3, "missing") == "OK"


def test_reason_strings_in_aws_form() -> None:
    at = 1549817940000  # 2019-02-10 16:59:00 UTC
    text = ev.reason("ALARM", "OK", [(at, 99.5)], 1, 1, "GreaterThanThreshold", 50.0, 0)
    assert text == (
        "Threshold Crossed: 1 out of the last 1 datapoints [99.5 (10/02/19 16:59:00)] was greater "
        "than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    ok = ev.reason("OK", "ALARM", [(at, 3.0), (at - 60000, 1.0)], 2, 2,
                   "GreaterThanOrEqualToThreshold", 5.0, 0)  # fmt: skip
    assert ok.startswith(
        "Threshold Crossed: 2 out of the last 2 datapoints [3.0 (10/02/19 16:59:00), 1.0 "
    )
    assert "were not greater than or equal to the threshold (5.0)" in ok
    assert ev.reason("INSUFFICIENT_DATA", "OK", [], 3, 3, "LessThanThreshold", 1.0, 3) == (
        "Insufficient Data: 3 datapoints were unknown."
    )
    assert ev.reason("OK", "INSUFFICIENT_DATA", [], 1, 1, "LessThanThreshold", 1.0, 1) == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
        "treated as [NonBreaching]."
    )


MINUTE = 60_000
T0 = 1_795_000_000_000 - 1_795_000_000_000 % 300_000  # a 5-minute boundary


def alarm(**kw: object) -> Alarm:
    base: dict[str, object] = dict(name="RootUsage", namespace="LogMetrics",
                                   metric_name="RootAccountUsage", threshold=1.0,
                                   comparison="GreaterThanOrEqualToThreshold", period=300,
                                   evaluation_periods=1, statistic="Sum")  # fmt: skip
    return Alarm(**{**base, **kw})  # type: ignore[arg-type]


def test_transitions_history_and_events(home: Settings) -> None:
    with AlarmStore(home) as alarms, MetricStore(home) as metrics:
        created = alarms.put(alarm(), T0)
        assert (created.state, created.reason) == (
            "INSUFFICIENT_DATA",
            "Unchecked: Initial alarm creation",
        )
        metrics.put([Datum(Metric("LogMetrics", "RootAccountUsage"), T0 + MINUTE, value=1.0)],
                    now=T0 + 2 * MINUTE)  # fmt: skip
        changed = alarms.evaluate(T0 + 5 * MINUTE, metrics)
        assert [c.state for c in changed] == ["ALARM"]
        assert changed[0].reason.startswith(
            "Threshold Crossed: 1 out of the last 1 datapoints [1.0 ("
        )
        assert json.loads(changed[0].reason_data)["recentDatapoints"] == [1.0]
        assert alarms.evaluate(T0 + 6 * MINUTE, metrics) == []  # no change, no new event
        # The range is N + 2 = 3 periods: the point still counts at +11m (rule 1: the N most
        # recent real points), and has left the range at +17m: all missing → INSUFFICIENT_DATA.
        assert alarms.evaluate(T0 + 11 * MINUTE, metrics) == []
        later = alarms.evaluate(T0 + 17 * MINUTE, metrics)
        assert [c.state for c in later] == ["INSUFFICIENT_DATA"]
        forced = alarms.set_state("RootUsage", "OK", "testing", T0 + 18 * MINUTE)
        assert forced.state == "OK"
        events = alarms.events()
        assert [e["detail"]["state"]["value"] for e in events] == [
            "ALARM",
            "INSUFFICIENT_DATA",
            "OK",
        ]
        first = events[0]
        assert first["detail-type"] == "CloudWatch Alarm State Change"
        assert first["source"] == "aws.cloudwatch"
        assert first["resources"] == ["arn:aws:cloudwatch:local:000000000000:alarm:RootUsage"]
        assert first["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
        assert first["detail"]["state"]["timestamp"].endswith("+0000")
        metric = first["detail"]["configuration"]["metrics"][0]["metricStat"]
        assert metric == {"metric": {"namespace": "LogMetrics", "name": "RootAccountUsage",
                                     "dimensions": {}}, "period": 300, "stat": "Sum"}  # fmt: skip
        kinds = [h.item_type for h in alarms.history("RootUsage")]
        assert kinds == ["ConfigurationUpdate", "StateUpdate", "StateUpdate", "StateUpdate"]


def test_m_of_n_with_treat_missing_breaching(home: Settings) -> None:
    metric = Metric("App", "Errors")
    with AlarmStore(home) as alarms, MetricStore(home) as metrics:
        alarms.put(alarm(name="errors", namespace="App", metric_name="Errors", period=60,
                         evaluation_periods=3, datapoints_to_alarm=2,
                         treat_missing_data="breaching", threshold=5.0,
                         comparison="GreaterThanThreshold"), T0)  # fmt: skip
        metrics.put([Datum(metric, T0 + 2 * MINUTE, value=9.0)], now=T0 + 3 * MINUTE)
        # slots (oldest→newest) over minutes 0..4 at T0+5m: - - 9 - - → breaching fill → ALARM
        assert [c.state for c in alarms.evaluate(T0 + 5 * MINUTE, metrics)] == ["ALARM"]


@pytest.mark.parametrize(
    ("change", "says"),
    [({"period": 90}, "period 90"), ({"evaluation_periods": 300}, "at most a day"),
     ({"datapoints_to_alarm": 2}, "datapoints to alarm"), ({"comparison": "Bigger"}, "comparison"),
     ({"treat_missing_data": "zero"}, "TreatMissingData"), ({"statistic": "Median"}, "statistic"),
     ({"namespace": "AWS/EC2"}, "reserved")],
)  # fmt: skip
def test_invalid_alarms_say_why(home: Settings, change: dict, says: str) -> None:  # type: ignore[type-arg]
    with AlarmStore(home) as alarms, pytest.raises(MetricError, match=says):
        alarms.put(alarm(**change), T0)


def test_cli_metrics_and_alarms(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from helpers import run

    home = tmp_path / "home"
    # two minutes ago: a complete period by the time the alarm is evaluated
    assert run(home, "metrics", "put", "App", "Latency", "--values", "10,20,30", "--counts", "1,1,2",
               "-d", "Service=api", "--unit", "Milliseconds", "--at", "2m").returncode == 0  # fmt: skip
    assert run(home, "metrics", "put", "App", "Latency", "--statistic-values", "2,50,20,30",
               "-d", "Service=api", "--unit", "Milliseconds", "--at", "2m").returncode == 0  # fmt: skip
    stats = run(home, "metrics", "stats", "App", "Latency", "-d", "Service=api", "--period", "3600",
                "--stat", "SampleCount", "--stat", "Sum", "--stat", "Maximum", "--json")  # fmt: skip
    [point] = json.loads(stats.stdout)["Datapoints"]
    assert (point["SampleCount"], point["Sum"], point["Maximum"]) == (6, 140.0, 30.0)
    made = run(home, "alarms", "put", "slow", "--namespace", "App", "--metric-name", "Latency",
               "-d", "Service=api", "--threshold", "25", "--statistic", "Maximum", "--period", "60",
               "--comparison", "GreaterThanThreshold", "--ok-action", "arn:aws:sns:x:1:ok")  # fmt: skip
    assert made.returncode == 0 and "INSUFFICIENT_DATA" in made.stdout
    evaluated = json.loads(run(home, "alarms", "evaluate", "--json").stdout)["changed"]
    assert [a["StateValue"] for a in evaluated] == ["ALARM"]
    assert evaluated[0]["OKActions"] == ["arn:aws:sns:x:1:ok"]
    history = json.loads(run(home, "alarms", "history", "slow", "--json").stdout)
    assert [h["HistoryItemType"] for h in history["AlarmHistoryItems"]] == [
        "ConfigurationUpdate", "StateUpdate"]  # fmt: skip
    bad = run(home, "alarms", "put", "x", "--namespace", "App", "--metric-name", "L",
              "--threshold", "1", "--evaluation-periods", "2", "--datapoints-to-alarm", "3")  # fmt: skip
    assert bad.returncode == 1 and "datapoints to alarm" in bad.stderr
