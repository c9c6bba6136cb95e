"""Metric-math alarms: PutMetricAlarm's `Metrics` (MetricDataQuery items) and the values they
give per period, with the same metric math GetMetricData uses (`vigil.metrics.math`).

The alarm watches the one query with ReturnData true that is not its ThresholdMetricId; an
anomaly alarm's ThresholdMetricId names `ANOMALY_DETECTION_BAND(m, k)` over one of its metrics,
whose band (`anomaly.band`, trained on the metric's stored history) is the threshold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from vigil.metrics import anomaly
from vigil.metrics.math import Context, Many, MathError, Named, evaluate_expression
from vigil.metrics.rule import AlarmError
from vigil.metrics.stats import check_statistic, series
from vigil.metrics.store import Metric, MetricError, MetricStore, check_metric

MAX_QUERIES: Final = 10
ID: Final = re.compile(r"[a-z][A-Za-z0-9_]{0,254}")
BAND: Final = re.compile(r"\s*ANOMALY_DETECTION_BAND\s*\(\s*([a-z][A-Za-z0-9_]*)\s*"
                         r"(?:,\s*([0-9]+(?:\.[0-9]+)?)\s*)?\)\s*")  # fmt: skip
Band = tuple[float, float] | None


@dataclass(frozen=True)
class Query:
    id: str
    expression: str | None = None
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str | None = None
    period: int | None = None
    unit: str | None = None
    label: str | None = None
    return_data: bool = True

    @property
    def metric(self) -> Metric:
        return Metric(self.namespace or "", self.metric_name or "", tuple(sorted(self.dimensions)))


def from_aws(raw: list[dict[str, Any]]) -> tuple[Query, ...]:
    out = []
    for i, q in enumerate(raw):
        stat = q.get("MetricStat") or {}
        m = stat.get("Metric") or {}
        dims = tuple(sorted((str(d["Name"]), str(d["Value"])) for d in m.get("Dimensions") or []))
        out.append(Query(
            id=str(q.get("Id") or ""), expression=q.get("Expression"),
            namespace=m.get("Namespace"), metric_name=m.get("MetricName"), dimensions=dims,
            stat=stat.get("Stat"), period=int(stat["Period"]) if stat.get("Period") else
            (int(q["Period"]) if q.get("Period") else None), unit=stat.get("Unit"),
            label=q.get("Label"), return_data=q.get("ReturnData", True) is not False,
        ))  # fmt: skip
        if not q.get("Id"):
            raise AlarmError(f"Metrics.member.{i + 1}.Id is required", "MissingParameter")
    return tuple(out)


def to_aws(q: Query) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": q.id, "ReturnData": q.return_data}
    if q.expression is not None:
        out["Expression"] = q.expression
    else:
        stat: dict[str, Any] = {"Metric": {"Namespace": q.namespace, "MetricName": q.metric_name,
                                "Dimensions": [{"Name": k, "Value": v} for k, v in q.dimensions]},
                                "Period": q.period, "Stat": q.stat}  # fmt: skip
        if q.unit:
            stat["Unit"] = q.unit
        out["MetricStat"] = stat
    if q.label:
        out["Label"] = q.label
    return out


def watched(queries: tuple[Query, ...], threshold_id: str | None) -> Query:
    returned = [q for q in queries if q.return_data and q.id != threshold_id]
    if len(returned) != 1:
        raise AlarmError("Exactly one element of the metrics list should return data "
                         f"(ReturnData true), not {len(returned)}")  # fmt: skip
    return returned[0]


def check(queries: tuple[Query, ...], threshold_id: str | None) -> int:
    """The alarm's period (its metrics' one period); refuses what CloudWatch refuses."""
    if len(queries) > MAX_QUERIES:
        raise AlarmError(f"The Metrics list holds at most {MAX_QUERIES} items, not "
                         f"{len(queries)}", "LimitExceeded")  # fmt: skip
    ids = [q.id for q in queries]
    for q in queries:
        if not ID.fullmatch(q.id):
            raise AlarmError(f"Metrics id {q.id!r}: starts with a lowercase letter, then "
                             "letters, digits and _")  # fmt: skip
        if (q.expression is None) == (q.namespace is None and q.metric_name is None):
            raise AlarmError(f"Metrics id {q.id}: give exactly one of Expression and MetricStat")
        if q.expression is None:
            if not (q.metric_name and q.namespace and q.stat and q.period):
                raise AlarmError(f"Metrics id {q.id}: MetricStat needs Metric (Namespace, "
                                 "MetricName), Period and Stat")  # fmt: skip
            try:
                check_metric(q.metric)
                check_statistic(q.stat)
            except MetricError as exc:
                raise AlarmError(f"Metrics id {q.id}: {exc.message}") from None
    if len(set(ids)) != len(ids):
        raise AlarmError("The ids in the Metrics list must differ")
    periods = {q.period for q in queries if q.expression is None}
    if len(periods) != 1:
        listed = ", ".join(map(str, sorted(p for p in periods if p)))
        raise AlarmError(f"The metrics of an alarm have one period, not {listed}" if periods
                         else "The Metrics list needs at least one MetricStat")  # fmt: skip
    watched(queries, threshold_id)
    metric_ids = {q.id for q in queries if q.expression is None}
    known = set(metric_ids)
    for q in queries:
        if q.expression is None:
            continue
        if "SEARCH" in q.expression:
            raise AlarmError(f"Metrics id {q.id}: alarms cannot use SEARCH")
        band = BAND.fullmatch(q.expression)
        if band is not None:
            if band[1] not in metric_ids:
                raise AlarmError(f"Metrics id {q.id}: Vigil computes ANOMALY_DETECTION_BAND of "
                                 "a metric (a MetricStat id) in alarms")  # fmt: skip
        elif "ANOMALY_DETECTION_BAND" in q.expression:
            raise AlarmError(f"Metrics id {q.id}: in an alarm, ANOMALY_DETECTION_BAND is an "
                             "expression of its own: ANOMALY_DETECTION_BAND(m1, 2)")  # fmt: skip
        else:
            try:
                _expression(q.expression, {i: Named(i, {}, 60) for i in known}, metric_ids,
                            [0], 60, q.return_data)  # fmt: skip
            except MathError as exc:
                raise AlarmError(f"Metrics id {q.id}: {exc.message}") from None
        known.add(q.id)
    if threshold_id is not None:
        target = next((q for q in queries if q.id == threshold_id), None)
        if target is None or target.expression is None or not BAND.fullmatch(target.expression):
            raise AlarmError(f"ThresholdMetricId {threshold_id}: the id of an "
                             "ANOMALY_DETECTION_BAND expression in Metrics")  # fmt: skip
    return periods.pop() or 0


def _expression(
    text: str,
    values: dict[str, Named | Many],
    metric_ids: set[str],
    starts: list[int],
    period: int,
    one: bool = True,
) -> Named | Many:
    """One expression over the alarm's periods (real timestamps: RATE, HOUR, PERIOD see them);
    `one`: the watched expression, which must give one series."""
    ids = [i for i in values if i in metric_ids]
    ctx = Context(dict(values), ids, starts, period, {i: period for i in ids})
    result = evaluate_expression(text, ctx)
    if isinstance(result, Many) and one:
        if len(result.items) != 1:
            raise ctx.fail(f"gives {len(result.items)} series; an alarm watches one")
        result = result.items[0]
    return result


def values(store: MetricStore, queries: tuple[Query, ...], threshold_id: str | None,
           starts: list[int], period: int, detector: anomaly.Detector | None = None,
           ) -> tuple[list[float | None], list[Band]]:  # fmt: skip
    """The watched series and the band (all None without one) at each period start."""
    step = period * 1000
    found: dict[str, Named | Many] = {}
    metric_ids = {q.id for q in queries if q.expression is None}
    bands: dict[str, list[Band]] = {}
    for q in queries:
        if q.expression is None:
            assert q.stat is not None
            got = series(store, q.metric, starts[0], starts[-1] + step, period, q.stat, q.unit)
            found[q.id] = Named(q.label or q.id, got, period)
            continue
        band = BAND.fullmatch(q.expression)
        if band is None:
            found[q.id] = _expression(q.expression, found, metric_ids, starts, period,
                                      q.return_data)  # fmt: skip
            continue
        source = next(x for x in queries if x.id == band[1])
        assert source.stat is not None
        history = series(store, source.metric, starts[0] - anomaly.TRAINING_MS,
                         starts[-1] + step, period, source.stat, source.unit)  # fmt: skip
        k = float(band[2]) if band[2] else anomaly.DEFAULT_K
        excluded = detector.excluded if detector else ()
        zone = detector.timezone if detector else None
        bands[q.id] = anomaly.band(history, starts, k, excluded, zone)
    main = found[watched(queries, threshold_id).id]
    points = main.points if isinstance(main, Named) else {}
    return [points.get(s) for s in starts], bands.get(threshold_id or "", [None] * len(starts))
