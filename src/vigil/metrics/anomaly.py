"""Anomaly detection: the detectors PutAnomalyDetector makes, and Vigil's own band model
(AWS does not publish CloudWatch's; docs/anomaly-detection.md says what this one does).

The band at a period start `t` is trained on the metric's values in the two weeks before `t`,
leaving out the configuration's ExcludedTimeRanges: when at least DAILY_MIN of them fall in the
same hour of the day as `t` (in the MetricTimezone) the band uses those (a daily pattern), else
all of them if there are at least MIN_POINTS; with fewer there is no band yet. The band is the
mean plus and minus `k` standard deviations (population), `k` = 2 unless the expression says.

Detectors are kept in `<home>/anomaly_detectors.json` (written whole, then renamed)."""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigil.config import Settings
from vigil.metrics.math_functions import register
from vigil.metrics.math_values import Context, Many, Named, Value
from vigil.metrics.rule import AlarmError
from vigil.metrics.store import Metric, MetricError, check_metric

TRAINING_MS: Final = 14 * 86_400_000
MIN_POINTS: Final = 10
DAILY_MIN: Final = 24
MAX_EXCLUDED: Final = 10
DEFAULT_K: Final = 2.0
STATS: Final = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


@dataclass(frozen=True)
class Detector:
    namespace: str
    metric_name: str
    stat: str
    dimensions: tuple[tuple[str, str], ...] = ()
    excluded: tuple[tuple[int, int], ...] = ()  # [start, end) ms
    timezone: str | None = None

    @property
    def metric(self) -> Metric:
        return Metric(self.namespace, self.metric_name, tuple(sorted(self.dimensions)))

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...], str]:
        return self.namespace, self.metric_name, tuple(sorted(self.dimensions)), self.stat


def check(d: Detector) -> None:
    try:
        check_metric(d.metric)
    except MetricError as exc:
        raise AlarmError(exc.message, "InvalidParameterValue") from None
    if d.stat not in STATS and not (d.stat.startswith("p") and _is_number(d.stat[1:])):
        raise AlarmError(f"Stat {d.stat!r}: one of {', '.join(STATS)} or a percentile such "
                         "as p99", "InvalidParameterValue")  # fmt: skip
    if len(d.excluded) > MAX_EXCLUDED:
        raise AlarmError(f"at most {MAX_EXCLUDED} ExcludedTimeRanges", "InvalidParameterValue")
    for start, end in d.excluded:
        if end <= start:
            raise AlarmError("an excluded time range ends after it starts",
                             "InvalidParameterValue")  # fmt: skip
    if d.timezone is not None:
        try:
            ZoneInfo(d.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise AlarmError(f"MetricTimezone {d.timezone!r} is not a tz database name",
                             "InvalidParameterValue") from None  # fmt: skip


def _is_number(text: str) -> bool:
    try:
        return 0 <= float(text) <= 100
    except ValueError:
        return False


# -- the detectors ------------------------------------------------------------------------------
def detectors(settings: Settings) -> list[Detector]:
    path = settings.home / "anomaly_detectors.json"
    if not path.is_file():
        return []
    out = []
    for raw in json.loads(path.read_text()):
        raw["dimensions"] = tuple(tuple(d) for d in raw["dimensions"])
        raw["excluded"] = tuple(tuple(r) for r in raw["excluded"])
        out.append(Detector(**raw))
    return out


def _save(settings: Settings, found: list[Detector]) -> None:
    settings.ensure()
    path = settings.home / "anomaly_detectors.json"
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps([asdict(d) for d in found]))
    os.replace(temp, path)


def put(settings: Settings, d: Detector) -> None:
    check(d)
    found = [x for x in detectors(settings) if x.key != d.key]
    _save(settings, [*found, d])


def delete(settings: Settings, d: Detector) -> None:
    found = detectors(settings)
    kept = [x for x in found if x.key != d.key]
    if len(kept) == len(found):
        raise AlarmError("No anomaly detector found for the given metric and stat.",
                         "ResourceNotFoundException")  # fmt: skip
    _save(settings, kept)


def find(settings: Settings, metric: Metric, stat: str) -> Detector | None:
    key = (metric.namespace, metric.name, tuple(sorted(metric.dimensions)), stat)
    return next((d for d in detectors(settings) if d.key == key), None)


# -- the band -------------------------------------------------------------------------------
def band(history: dict[int, float], at: list[int], k: float = DEFAULT_K,
         excluded: tuple[tuple[int, int], ...] = (),
         timezone: str | None = None) -> list[tuple[float, float] | None]:  # fmt: skip
    """(lower, upper) at each of `at` (period starts, ms) from `history` (start → value)."""
    zone = ZoneInfo(timezone) if timezone else UTC
    kept = sorted((t, v) for t, v in history.items()
                  if not any(s <= t < e for s, e in excluded))  # fmt: skip
    hours = {t: datetime.fromtimestamp(t / 1000, zone).hour for t, _ in kept}
    out: list[tuple[float, float] | None] = []
    for t in at:
        hour = datetime.fromtimestamp(t / 1000, zone).hour
        trailing = [(s, v) for s, v in kept if t - TRAINING_MS <= s < t]
        daily = [v for s, v in trailing if hours[s] == hour]
        values = daily if len(daily) >= DAILY_MIN else [v for _, v in trailing]
        if len(values) < MIN_POINTS:
            out.append(None)
            continue
        mean = math.fsum(values) / len(values)
        spread = statistics.pstdev(values) * k
        out.append((mean - spread, mean + spread))
    return out


def band_function(ctx: Context, args: list[Value]) -> Value:
    """`ANOMALY_DETECTION_BAND(m1[, k])` in metric math (GetMetricData): the band as an array of
    two series, the upper bound first (so FIRST is the upper, LAST the lower, as in AWS's
    examples). Trained on the points of `m1` the query itself returns, before each timestamp:
    ask for a longer range to train on more (alarms train on the stored history)."""
    if not 1 <= len(args) <= 2:
        raise ctx.fail("ANOMALY_DETECTION_BAND takes a series and, optionally, the band's "
                       "width in standard deviations")  # fmt: skip
    source = args[0]
    if isinstance(source, Many) and len(source.items) == 1:
        source = source.items[0]
    if not isinstance(source, Named):
        raise ctx.fail("ANOMALY_DETECTION_BAND takes one time series (a metric's id)")
    k = args[1] if len(args) == 2 else DEFAULT_K
    if not isinstance(k, float) or k <= 0:
        raise ctx.fail("ANOMALY_DETECTION_BAND: the width is a positive number")
    at = ctx.grid or sorted(source.points)
    found = band(dict(source.points), at, k)
    upper = {t: b[1] for t, b in zip(at, found, strict=True) if b is not None}
    lower = {t: b[0] for t, b in zip(at, found, strict=True) if b is not None}
    return Many((Named(f"{source.label} (upper)", upper, source.period),
                 Named(f"{source.label} (lower)", lower, source.period)))  # fmt: skip


register("ANOMALY_DETECTION_BAND", band_function)
