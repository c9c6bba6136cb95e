"""Metrics with CloudWatch's data model: PutMetricData checks, datapoints, statistics.

A metric is (namespace, name, dimensions); the unit belongs to each datapoint, and statistics
are computed per unit as CloudWatch does. A datapoint is a statistic set (count, sum, minimum,
maximum) plus, when the values are known (a value, or values with counts), the values
themselves, which percentiles need. Timestamps are truncated to the storage resolution: the
minute by default, the second for high-resolution (1 s) data.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from vigil.errors import VigilError
from vigil.state import Store

MAX_DIMENSIONS: Final = 30
MAX_METRICS_PER_CALL: Final = 1000
MAX_UNIQUE_VALUES: Final = 150
LIMIT: Final = 2.0**360
PAST_MS: Final = 14 * 86_400_000
FUTURE_MS: Final = 2 * 3_600_000
UNITS: Final = frozenset(
    [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ]
)
_NAMESPACE: Final = re.compile(r"[0-9A-Za-z._/#:\-]{1,255}")

Row = tuple[int, str, float, float, float, float, str | None]


class MetricError(VigilError):
    """An invalid PutMetricData or statistics request (AWS's InvalidParameterValue)."""


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()

    def key(self) -> str:
        return json.dumps(dict(self.dimensions), sort_keys=True)


@dataclass
class Datum:
    """One MetricDatum: a value, values with counts, or a statistic set."""

    metric: Metric
    timestamp: int  # ms
    value: float | None = None
    values: list[float] = field(default_factory=list)
    counts: list[float] = field(default_factory=list)
    statistics: tuple[float, float, float, float] | None = None  # count, sum, min, max
    unit: str = "None"
    resolution: int = 60

    def summary(self) -> tuple[float, float, float, float, list[list[float]] | None]:
        if self.statistics is not None:
            count, total, low, high = self.statistics
            return count, total, low, high, None
        if self.value is not None:
            return 1.0, self.value, self.value, self.value, [[self.value, 1.0]]
        counts = self.counts or [1.0] * len(self.values)
        pairs = [[v, c] for v, c in zip(self.values, counts, strict=True)]
        total = sum(v * c for v, c in pairs)
        return sum(counts), total, min(self.values), max(self.values), pairs


def check_metric(metric: Metric) -> None:
    if not _NAMESPACE.fullmatch(metric.namespace) or metric.namespace.startswith(":"):
        raise MetricError(f"namespace {metric.namespace!r}: 1-255 of 0-9 A-Z a-z . _ / # : -")
    if metric.namespace.startswith("AWS/"):
        raise MetricError(f"namespace {metric.namespace!r}: AWS/ is reserved for AWS services")
    if not 1 <= len(metric.name) <= 255:
        raise MetricError(f"metric name {metric.name!r}: 1-255 characters")
    if len(metric.dimensions) > MAX_DIMENSIONS:
        raise MetricError(f"{len(metric.dimensions)} dimensions; at most {MAX_DIMENSIONS}")
    for name, value in metric.dimensions:
        if not 1 <= len(name) <= 255 or name.startswith(":") or not name.isascii():
            raise MetricError(f"dimension name {name!r}: 1-255 ASCII, not starting with ':'")
        if not 1 <= len(value) <= 1024 or not value.strip() or not value.isascii():
            raise MetricError(f"dimension {name} value {value!r}: 1-1024 ASCII, not blank")


def check_datum(datum: Datum, now: int, history: bool = False) -> None:
    check_metric(datum.metric)
    given = [datum.value is not None, bool(datum.values), datum.statistics is not None]
    if sum(given) != 1:
        raise MetricError("give one of Value, Values (with Counts) or StatisticValues")
    numbers = [datum.value] if datum.value is not None else list(datum.values)
    numbers += list(datum.statistics or ()) + list(datum.counts)
    for number in numbers:
        if number is None or not math.isfinite(number) or abs(number) > LIMIT:
            raise MetricError(f"value {number!r}: must be finite and within ±2^360")
    if datum.counts and len(datum.counts) != len(datum.values):
        raise MetricError("Counts must have one count per value")
    if len(set(datum.values)) > MAX_UNIQUE_VALUES:
        raise MetricError(f"{len(set(datum.values))} unique values; at most {MAX_UNIQUE_VALUES}")
    if datum.unit not in UNITS:
        raise MetricError(f"unit {datum.unit!r} is not a CloudWatch unit")
    if datum.resolution not in (1, 60):
        raise MetricError("StorageResolution is 1 (high resolution) or 60")
    if not (history or now - PAST_MS <= datum.timestamp) or datum.timestamp > now + FUTURE_MS:
        raise MetricError("timestamps may be up to 2 weeks old and 2 hours ahead")


class MetricStore(Store):
    def put(self, data: Iterable[Datum], *, now: int | None = None, history: bool = False) -> int:
        """PutMetricData: all checked first, then stored in one transaction. `history` lifts
        the 2-weeks-back limit, for metric filters replaying events already stored."""
        now = int(time.time() * 1000) if now is None else now
        data = list(data)
        if (
            len({(d.metric.namespace, d.metric.name, d.metric.key()) for d in data})
            > MAX_METRICS_PER_CALL
        ):
            raise MetricError(f"at most {MAX_METRICS_PER_CALL} metrics per call")
        for datum in data:
            check_datum(datum, now, history)
        with self.state.transaction() as db:
            for datum in data:
                metric_id = self._id(datum.metric)
                step = datum.resolution * 1000
                count, total, low, high, pairs = datum.summary()
                db.execute(
                    "INSERT INTO datapoints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (metric_id, datum.timestamp - datum.timestamp % step, datum.unit, count,
                     total, low, high, json.dumps(pairs) if pairs is not None else None),
                )  # fmt: skip
        return len(data)

    def _id(self, metric: Metric) -> int:
        key = metric.key()
        self.state.db.execute(
            "INSERT OR IGNORE INTO metrics (namespace, name, dimensions) VALUES (?, ?, ?)",
            (metric.namespace, metric.name, key),
        )
        row = self.state.db.execute(
            "SELECT id FROM metrics WHERE namespace = ? AND name = ? AND dimensions = ?",
            (metric.namespace, metric.name, key),
        ).fetchone()
        return int(row[0])

    def metrics(self, namespace: str | None = None, name: str | None = None) -> list[Metric]:
        rows = self.state.db.execute(
            "SELECT namespace, name, dimensions FROM metrics WHERE (? IS NULL OR namespace = ?) "
            "AND (? IS NULL OR name = ?) ORDER BY namespace, name, dimensions",
            (namespace, namespace, name, name),
        ).fetchall()
        return [Metric(ns, n, tuple(sorted(json.loads(d).items()))) for ns, n, d in rows]

    def latest(self, metric: Metric) -> int | None:
        """The newest datapoint's time (ms), or None."""
        row = self.state.db.execute(
            "SELECT max(d.ts) FROM datapoints d JOIN metrics m ON m.id = d.metric_id WHERE "
            "m.namespace = ? AND m.name = ? AND m.dimensions = ?",
            (metric.namespace, metric.name, metric.key()),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def rows(self, metric: Metric, start: int, end: int) -> list[Row]:
        """Datapoints in [start, end): (ts, unit, count, sum, min, max, values JSON)."""
        return self.state.db.execute(
            "SELECT d.ts, d.unit, d.sample_count, d.sum, d.minimum, d.maximum, d.vals "
            "FROM datapoints d JOIN metrics m ON m.id = d.metric_id WHERE m.namespace = ? "
            "AND m.name = ? AND m.dimensions = ? AND d.ts >= ? AND d.ts < ? ORDER BY d.ts",
            (metric.namespace, metric.name, metric.key(), start, end),
        ).fetchall()
