"""Metrics: PutMetricData checks and statistics per period, against numpy on random data;
metric filters turning log events into metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.api.logs import InputEvent, put_log_events
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.groups import LogStore
from vigil.metrics.filters import FilterStore, MetricFilter, backfill
from vigil.metrics.stats import statistics
from vigil.metrics.store import Datum, Metric, MetricError, MetricStore

NOW = 1_795_000_000_000 - 1_795_000_000_000 % 3_600_000
M = Metric("App", "Latency", (("Service", "api"),))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3599), st.floats(-1e6, 1e6, allow_nan=False, width=32)),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from([60, 300, 900]),
)
def test_statistics_match_numpy(
    tmp_path_factory: pytest.TempPathFactory, samples: list, period: int
) -> None:  # type: ignore[type-arg]
    home = Settings.load(tmp_path_factory.mktemp("m"))
    start = NOW - 3_600_000
    with MetricStore(home) as store:
        store.put([Datum(M, start + s * 1000, value=v) for s, v in samples], now=NOW)
        points = statistics(store, M, start, NOW, period, ["SampleCount", "Sum", "Average",
                                                           "Minimum", "Maximum", "p50", "p99"])  # fmt: skip
    by_bucket: dict[int, list[float]] = {}
    for s, v in samples:
        ts = start + s * 1000
        ts -= ts % 60_000  # standard resolution: the minute
        by_bucket.setdefault(ts - ts % (period * 1000), []).append(v)
    assert [p.timestamp for p in points] == sorted(by_bucket)
    for point in points:
        values = np.array(by_bucket[point.timestamp], dtype=float)
        assert point.values["SampleCount"] == len(values)
        assert point.values["Sum"] == pytest.approx(values.sum(), rel=1e-9, abs=1e-6)
        assert point.values["Average"] == pytest.approx(values.mean(), rel=1e-9, abs=1e-6)
        assert point.values["Minimum"] == values.min() and point.values["Maximum"] == values.max()
        for p in (50, 99):
            assert point.values[f"p{p}"] == np.percentile(values, p, method="inverted_cdf")


def test_statistic_sets_and_values_with_counts(home: Settings) -> None:
    with MetricStore(home) as store:
        store.put([Datum(M, NOW - 120_000, statistics=(4, 40.0, 5.0, 15.0), unit="Milliseconds"),
                   Datum(M, NOW - 100_000, values=[1.0, 2.0], counts=[3, 1], unit="Milliseconds")],
                  now=NOW)  # fmt: skip
        [point] = statistics(store, M, NOW - 3_600_000, NOW, 3600, ["SampleCount", "Sum", "p50"])
    assert point.values == {"SampleCount": 8, "Sum": 45.0}  # no percentile over a statistic set
    assert point.unit == "Milliseconds"


@pytest.mark.parametrize(
    ("datum", "says"),
    [(Datum(Metric("AWS/EC2", "x"), NOW, value=1.0), "reserved"),
     (Datum(Metric("App", "x", tuple((f"d{i}", "v") for i in range(31))), NOW, value=1.0), "31 dimensions"),
     (Datum(Metric("App", "x"), NOW, value=float("nan")), "finite"),
     (Datum(Metric("App", "x"), NOW - 15 * 86_400_000, value=1.0), "2 weeks"),
     (Datum(Metric("App", "x"), NOW + 3 * 3_600_000, value=1.0), "2 hours"),
     (Datum(Metric("App", "x"), NOW, value=1.0, unit="Furlongs"), "unit"),
     (Datum(Metric("App", "x"), NOW, values=[float(i) for i in range(151)]), "151 unique"),
     (Datum(Metric("App", "x", (("d", " "),)), NOW, value=1.0), "not blank")],
)  # fmt: skip
def test_put_metric_data_checks(home: Settings, datum: Datum, says: str) -> None:
    with MetricStore(home) as store, pytest.raises(MetricError, match=says):
        store.put([datum], now=NOW)


@pytest.fixture
def trail_group(home: Settings) -> Settings:
    with LogStore(home) as store:
        store.create_group("CloudTrail/logs")
        store.create_stream("CloudTrail/logs", "111122223333_CloudTrail_us-east-1")
    return home


def test_metric_filter_values_dimensions_and_default(trail_group: Settings) -> None:
    home, now = trail_group, now_ms()
    with FilterStore(home) as filters:
        filters.put(MetricFilter("CloudTrail/logs", "bytes", "[ip, user, status=4*, bytes]",
                                 "ErrorBytes", "App", "$bytes", dimensions=(("User", "$user"),)))  # fmt: skip
        filters.put(MetricFilter("CloudTrail/logs", "errors", "ERROR", "Errors", "App", "1",
                                 default_value=0.0))  # fmt: skip
    minute = now - now % 60_000 - 120_000
    events = [InputEvent(minute + 1000, "1.2.3.4 alice 404 100"),
              InputEvent(minute + 2000, "1.2.3.4 alice 403 50"),
              InputEvent(minute + 3000, "ERROR 1.2.3.4 bob 500 10"),
              InputEvent(minute + 61_000, "5.6.7.8 bob 200 10")]  # fmt: skip
    put_log_events(home, "CloudTrail/logs", "111122223333_CloudTrail_us-east-1", events, now=now)
    with MetricStore(home) as store:
        [alice] = statistics(store, Metric("App", "ErrorBytes", (("User", "alice"),)),
                             minute, now, 60, ["Sum", "SampleCount"])  # fmt: skip
        errors = statistics(store, Metric("App", "Errors"), minute, now, 60, ["Sum", "SampleCount"])
    assert alice.values == {"Sum": 150.0, "SampleCount": 2}
    # minute 1: one ERROR; minute 2: events but no match → the default value 0
    assert [(p.timestamp - minute, p.values["Sum"]) for p in errors] == [(0, 1.0), (60_000, 0.0)]


def test_any_value_pattern_publishes_the_field_value(trail_group: Settings) -> None:
    """AWS's example: `{ $.latency = * }` with metric value `$.latency` publishes 50 for
    {"latency": 50}; events without the field publish nothing."""
    home, now = trail_group, now_ms()
    with FilterStore(home) as filters:
        filters.put(MetricFilter("CloudTrail/logs", "latency", "{ $.latency = * }", "Latency",
                                 "App", "$.latency"))  # fmt: skip
    minute = now - now % 60_000 - 60_000
    events = [InputEvent(minute + 1000, '{"latency": 50}'),
              InputEvent(minute + 2000, '{"latency": 30.5, "path": "/"}'),
              InputEvent(minute + 3000, '{"path": "/health"}')]  # fmt: skip
    put_log_events(home, "CloudTrail/logs", "111122223333_CloudTrail_us-east-1", events, now=now)
    with MetricStore(home) as store:
        [point] = statistics(store, Metric("App", "Latency"), minute, now, 60,
                             ["Sum", "SampleCount", "Maximum"])  # fmt: skip
    assert point.values == {"Sum": 80.5, "SampleCount": 2, "Maximum": 50.0}


@pytest.mark.parametrize(
    ("change", "says"),
    [({"metric_value": "$.x", "pattern": "ERROR"}, None),
     ({"metric_value": "$bytes", "pattern": "ERROR"}, "not one"),
     ({"dimensions": (("a", "$.a"),), "default_value": 0.0, "pattern": "{ $.a = 1 }"}, "default value"),
     ({"dimensions": tuple((f"d{i}", "$.a") for i in range(4)), "pattern": "{ $.a = 1 }"}, "at most 3"),
     ({"metric_name": "a:b"}, "none of"), ({"metric_value": "one"}, "a number"),
     ({"pattern": "{ $.a = }"}, "expected a value")],
)  # fmt: skip
def test_metric_filter_checks(trail_group: Settings, change: dict, says: str | None) -> None:  # type: ignore[type-arg]
    base = dict(log_group="CloudTrail/logs", name="f", pattern="ERROR", metric_name="M",
                namespace="App")  # fmt: skip
    with FilterStore(trail_group) as filters:
        if says is None:
            assert filters.put(MetricFilter(**{**base, **change})).name == "f"  # type: ignore[arg-type]
        else:
            with pytest.raises(Exception, match=says):
                filters.put(MetricFilter(**{**base, **change}))  # type: ignore[arg-type]


def test_backfill_counts_stored_events_once(trail_group: Settings) -> None:
    home, now = trail_group, now_ms()
    stream = "111122223333_CloudTrail_us-east-1"
    put_log_events(home, "CloudTrail/logs", stream,
                   [InputEvent(now - 3_600_000 + i, '{"eventName": "StopLogging"}') for i in range(3)])  # fmt: skip
    with FilterStore(home) as filters:
        filters.put(MetricFilter("CloudTrail/logs", "trail", "{ $.eventName = StopLogging }",
                                 "TrailChanges", "LogMetrics"))  # fmt: skip
    assert backfill(home, "CloudTrail/logs", "trail") == 1
    assert backfill(home, "CloudTrail/logs", "trail") == 0
    with MetricStore(home) as store:
        points = statistics(store, Metric("LogMetrics", "TrailChanges"), now - 7_200_000, now,
                            3600, ["Sum"])  # fmt: skip
    assert sum(p.values["Sum"] for p in points) == 3
