"""PutMetricAlarm's checks (spec §4.2): the name, the metric or the Metrics list, period,
evaluation window, comparisons (anomaly ones with a ThresholdMetricId only), actions; and the
low-sample rule of percentile alarms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from vigil.metrics import alarm_math
from vigil.metrics import evaluation as ev
from vigil.metrics.alarm_model import AlarmError
from vigil.metrics.stats import check_statistic
from vigil.metrics.store import MetricError, check_metric

if TYPE_CHECKING:
    from vigil.metrics.alarm_model import Alarm

MAX_ACTIONS: Final = 5
DAY_S: Final = 86_400


def check_alarm(a: Alarm) -> None:
    if not 1 <= len(a.name) <= 255 or re.search(r"[\x00-\x1f]", a.name):
        raise MetricError(f"alarm name {a.name!r}: 1-255 characters, no control characters")
    if len(a.description) > 1024:
        raise MetricError("the alarm description has at most 1024 characters")
    if a.queries:
        if alarm_math.check(a.queries, a.threshold_metric_id) != a.period:
            raise MetricError("the alarm's period is its metrics' period")
    else:
        check_metric(a.metric)
        check_statistic(a.statistic)
    if a.threshold_metric_id is not None and a.comparison not in ev.BAND_COMPARISONS:
        raise AlarmError(f"With ThresholdMetricId the comparison is one of "
                         f"{', '.join(ev.BAND_COMPARISONS)}")  # fmt: skip
    if a.comparison in ev.BAND_COMPARISONS and a.threshold_metric_id is None:
        raise AlarmError(f"{a.comparison} needs ThresholdMetricId (an anomaly band)")
    if a.period not in (10, 20, 30) and (a.period < 60 or a.period % 60):
        raise MetricError(f"period {a.period}: 10, 20, 30 or a multiple of 60 seconds")
    if a.evaluation_periods < 1 or a.evaluation_periods * a.period > DAY_S:
        raise MetricError("evaluation periods times the period must be at most a day")
    if not 1 <= a.m <= a.evaluation_periods:
        raise MetricError("datapoints to alarm must be between 1 and the evaluation periods")
    if a.comparison not in ev.COMPARISONS and a.comparison not in ev.BAND_COMPARISONS:
        raise MetricError(f"comparison {a.comparison!r}: one of {', '.join(ev.COMPARISONS)}")
    if a.treat_missing_data not in ev.TREATMENTS:
        raise MetricError(
            f"TreatMissingData {a.treat_missing_data!r}: one of {', '.join(ev.TREATMENTS)}"
        )
    if a.evaluate_low_sample_count_percentile not in ("evaluate", "ignore"):
        raise MetricError("EvaluateLowSampleCountPercentile is evaluate or ignore")
    for actions in (a.alarm_actions, a.ok_actions, a.insufficient_data_actions):
        if len(actions) > MAX_ACTIONS:
            raise MetricError(f"at most {MAX_ACTIONS} actions per state")


def low_sample_threshold(statistic: str) -> float | None:
    """Samples below which a percentile is 'low' (spec §4.2); None for other statistics."""
    if not statistic.startswith("p"):
        return None
    p = float(statistic[1:]) / 100
    return 10 / (1 - p) if p >= 0.5 and p < 1 else (10 / p if p > 0 else None)
