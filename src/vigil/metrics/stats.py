"""Statistics per period (GetMetricStatistics): SampleCount, Sum, Average, Minimum, Maximum and
percentiles `pNN` / `pNN.NN`.

Periods are aligned to multiples of the period since the epoch, the same buckets whatever the
query's start. Percentiles take the values behind the datapoints (nearest rank: the smallest
value with at least p% of the samples at or below it); a period whose data came only as
statistic sets has no percentile, as in CloudWatch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Final

from vigil.metrics.store import Metric, MetricError, MetricStore

BASIC: Final = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
_PERCENTILE: Final = re.compile(r"p(\d{1,2}(?:\.\d{1,2})?|100)")


@dataclass
class Point:
    timestamp: int  # the period's start, ms
    unit: str
    values: dict[str, float] = field(default_factory=dict)

    def as_aws(self) -> dict[str, object]:
        out: dict[str, object] = {"Timestamp": self.timestamp, "Unit": self.unit}
        basic = {k: v for k, v in self.values.items() if k in BASIC}
        out.update(basic)
        extended = {k: v for k, v in self.values.items() if k not in BASIC}
        if extended:
            out["ExtendedStatistics"] = extended
        return out


def check_statistic(name: str) -> None:
    if name in BASIC:
        return
    match = _PERCENTILE.fullmatch(name)
    if not match or not 0 <= float(match.group(1)) <= 100:
        raise MetricError(f"statistic {name!r}: one of {', '.join(BASIC)} or a percentile like p99")


def check_period(period: int) -> None:
    if period not in (1, 5, 10, 20, 30) and (period <= 0 or period % 60):
        raise MetricError(f"period {period}: 1, 5, 10, 20, 30 or a multiple of 60 seconds")


def percentile(pairs: list[tuple[float, float]], p: float) -> float:
    """Nearest rank over values with counts."""
    ordered = sorted(pairs)
    total = sum(c for _, c in ordered)
    rank = p / 100 * total
    seen = 0.0
    for value, count in ordered:
        seen += count
        if seen >= rank and seen > 0:
            return value
    return ordered[-1][0]


def statistics(
    store: MetricStore,
    metric: Metric,
    start: int,
    end: int,
    period: int,
    wanted: list[str],
    unit: str | None = None,
) -> list[Point]:
    """One point per (period, unit) with data in [start, end)."""
    check_period(period)
    for name in wanted:
        check_statistic(name)
    step = period * 1000
    buckets: dict[tuple[int, str], list[tuple[float, float, float, float, str | None]]] = {}
    for ts, u, count, total, low, high, vals in store.rows(metric, start - start % step, end):
        if unit is not None and u != unit:
            continue
        bucket = ts - ts % step
        if bucket + step <= start:
            continue
        buckets.setdefault((bucket, u), []).append((count, total, low, high, vals))
    points = []
    for (bucket, u), rows in sorted(buckets.items()):
        point = Point(bucket, u)
        point.values = aggregate(rows, wanted)
        points.append(point)
    return points


def aggregate(
    rows: list[tuple[float, float, float, float, str | None]], wanted: list[str]
) -> dict[str, float]:
    """The wanted statistics of datapoints (count, sum, min, max, values JSON)."""
    count = sum(r[0] for r in rows)
    total = sum(r[1] for r in rows)
    known = {
        "SampleCount": count,
        "Sum": total,
        "Minimum": min(r[2] for r in rows),
        "Maximum": max(r[3] for r in rows),
        "Average": total / count if count else 0.0,
    }
    out = {}
    pairs: list[tuple[float, float]] | None = []
    for r in rows:
        if r[4] is None:
            pairs = None
            break
        assert pairs is not None
        pairs += [(float(v), float(c)) for v, c in json.loads(r[4])]
    for name in wanted:
        if name in known:
            out[name] = known[name]
        elif pairs:
            out[name] = percentile(pairs, float(name[1:]))
    return out


def window(
    store: MetricStore, metric: Metric, start: int, end: int, statistic: str, unit: str | None
) -> tuple[float, float] | None:
    """(value, sample count) of a statistic over [start, end), or None without data."""
    rows = [r[2:] for r in store.rows(metric, start, end) if unit is None or r[1] == unit]
    if not rows:
        return None
    values = aggregate(rows, [statistic, "SampleCount"])
    if statistic not in values:
        return None
    return values[statistic], values["SampleCount"]


def series(
    store: MetricStore, metric: Metric, start: int, end: int, period: int, statistic: str,
    unit: str | None = None,
) -> dict[int, float]:  # fmt: skip
    """period start → the statistic's value, for the periods that have one (alarms use it)."""
    out = {}
    for point in statistics(store, metric, start, end, period, [statistic], unit):
        if statistic in point.values:
            out[point.timestamp] = point.values[statistic]
    return out
