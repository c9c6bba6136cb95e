"""The data each widget of a dashboard draws, over the dashboard's range: metric widgets
through GetMetricData's engine (their rows as queries, hidden rows as inputs only), in the
shape their `view` needs; alarm widgets with their alarms' states; log widgets with their
Insights rows. A widget that fails says why in `problem`; the others are still drawn.

Periods: a row's own, or the console's choice; when the range would need more than 1,440
points the period grows to keep within that (AWS's `periodOverride: auto` does the same)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from vigil.errors import VigilError
from vigil.metrics.alarm_model import AlarmStatus, CompositeStatus
from vigil.metrics.dashboard_view import Annotation, Board, Line, Widget
from vigil.metrics.math import grid
from vigil.metrics.metric_data import Query, run
from vigil.metrics.store import Metric, MetricStore

MAX_POINTS: Final = 1440
COLORS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
Logs = Callable[[list[str], str, int, int], tuple[list[str], list[dict[str, Any]]]]


def draw(store: MetricStore, board: Board, start: int, end: int, period: int | None,
         statuses: list[AlarmStatus | CompositeStatus],
         logs: Logs) -> list[dict[str, Any]]:  # fmt: skip
    """Each widget's plan and data, in the body's order (alarms in DescribeAlarms' shape)."""
    alarms = {s.alarm.arn: s.describe() for s in statuses}
    out = []
    for w in board.widgets:
        item: dict[str, Any] = {"kind": w.kind, "x": w.x, "y": w.y, "width": w.width,
                                "height": w.height, "title": w.title, "problem": w.problem,
                                "view": w.view}  # fmt: skip
        if not w.problem:
            try:
                if w.kind == "metric":
                    item.update(_metric(store, with_alarms(w, alarms), start, end, period))
                elif w.kind == "alarm":
                    item["alarms"] = [alarms.get(arn) or _unknown(arn) for arn in w.alarms]
                elif w.kind == "text":
                    item["markdown"] = w.markdown
                elif w.kind == "log":
                    item["columns"], item["rows"] = logs(w.groups, w.query, start, end)
                    item.update(log_view(w, item["columns"], item["rows"]))
            except VigilError as exc:
                item["problem"] = exc.message
        out.append(item)
    return out


def with_alarms(w: Widget, alarms: dict[str, dict[str, Any]]) -> Widget:
    """A metric widget with `annotations.alarms`: each alarm's metric as a row (unless the
    widget has it) and its threshold as a horizontal annotation, as AWS draws an alarm's graph.
    An alarm that is not there, or watches metric math, is named in the widget's problem."""
    if not w.alarms:
        return w
    rows, notes = list(w.lines), list(w.annotations)
    for n, arn in enumerate(w.alarms, 1):
        a = alarms.get(arn)
        if a is None or not a.get("MetricName"):
            raise DashboardDataError(f"the alarm {arn.rsplit(':', 1)[-1]} is not there or does "
                                     "not watch one metric")  # fmt: skip
        dims = tuple(sorted((d["Name"], d["Value"]) for d in a.get("Dimensions", [])))
        metric = Metric(a["Namespace"], a["MetricName"], dims)
        if all(line.metric != metric for line in rows):
            stat = a.get("Statistic") or a.get("ExtendedStatistic") or w.stat
            rows.append(Line(metric, str(stat), int(a.get("Period") or w.period),
                             a["MetricName"], f"alarm{n}"))  # fmt: skip
        if a.get("Threshold") is not None:
            notes.append(Annotation(False, float(a["Threshold"]), f"{a['AlarmName']} threshold",
                                    "#d62728"))  # fmt: skip
    return replace(w, lines=rows, annotations=notes)


class DashboardDataError(VigilError):
    """A widget that names something that cannot be drawn."""


def _unknown(arn: str) -> dict[str, Any]:
    return {"AlarmArn": arn, "AlarmName": arn.rsplit(":", 1)[-1], "StateValue": "UNKNOWN",
            "StateReason": "no such alarm"}  # fmt: skip


def fit(period: int, seconds: int) -> int:
    """The period, grown to a multiple of 60 s when the range would hold too many points."""
    if seconds // period <= MAX_POINTS:
        return period
    return max(60, math.ceil(seconds / MAX_POINTS / 60) * 60)


def _metric(store: MetricStore, w: Widget, start: int, end: int,
            chosen: int | None) -> dict[str, Any]:  # fmt: skip
    seconds = (end - start) // 1000
    whole = w.whole_range and w.view in ("singleValue", "gauge", "bar", "pie")
    queries = [Query(line.id, line.metric, line.stat, fit(chosen or line.period, seconds),
                     expression=line.expression, label=line.label,
                     return_data=line.visible) for line in w.lines]  # fmt: skip
    results = run(store, queries, start, end, whole)
    style = {line.id: line for line in w.lines}
    colors = iter(COLORS * 50)
    series: list[dict[str, Any]] = []
    for r in results:
        line = style[r.id]
        series.append({"id": r.id, "label": r.label, "points": r.points,
                       "color": line.color or next(colors),
                       "axis": line.y_axis})  # fmt: skip
    step = min(q.period for q in queries)
    axes = {side: {"min": a.min, "max": a.max, "label": a.label} for side, a in w.axes.items()}
    if w.view == "timeSeries":
        return {"chart": _chart(series, grid(start, end, step), w, axes)}
    if w.view == "table":
        return {"table": [_summary(s) for s in series]}
    values: list[dict[str, Any]] = [
        {"label": s["label"], "color": s["color"], "value": _latest(s["points"]),
         "spark": _chart([s], grid(start, end, step), w, {}) if w.sparkline and not whole
         else None} for s in series]  # fmt: skip
    if w.view == "gauge":
        left = w.axes.get("left")
        low = left.min if left and left.min is not None else 0.0
        high = left.max if left and left.max is not None else 100.0
        for v in values:
            share = 0.0 if v["value"] is None or high <= low else (v["value"] - low) / (high - low)
            v["share"] = max(0.0, min(1.0, share))
        return {"values": values, "range": [low, high]}
    if w.view in ("bar", "pie"):
        _shares(values)
    return {"values": values}


def _chart(series: list[dict[str, Any]], xs: list[int], w: Widget,
           axes: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """uPlot's columns: x in seconds, one column per series (stacked: running totals)."""
    out: list[dict[str, Any]] = []
    below = [0.0] * len(xs)
    for s in series:
        by_t = dict(s["points"])
        values: list[float | None] = [by_t.get(x) for x in xs]
        if w.stacked:  # running totals; a period this series has no point in stays a gap
            below = [b + (v or 0.0) for b, v in zip(below, values, strict=True)]
            values = [None if v is None else b for b, v in zip(below, values, strict=True)]
        out.append({"label": s["label"], "values": values, "color": s["color"],
                    "scale": "y2" if s["axis"] == "right" else "y"})  # fmt: skip
    notes = [{"vertical": a.vertical, "value": a.value / 1000 if a.vertical else a.value,
              "until": None if a.until is None else (a.until / 1000 if a.vertical else a.until),
              "label": a.label, "color": a.color or "#d62728", "fill": a.fill,
              "scale": "y2" if a.y_axis == "right" else "y"} for a in w.annotations]  # fmt: skip
    empty = not any(v is not None for s in out for v in s["values"])
    return {"x": [x // 1000 for x in xs], "series": out, "stacked": w.stacked, "axes": axes,
            "annotations": notes, "legend": w.legend, "empty": empty}  # fmt: skip


def log_view(w: Widget, columns: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A log widget's `stats` drawn as its view: timeSeries (a time column such as bin(5m)
    for x, each number column a line, split by the other columns), bar and pie (the other
    columns name each row, the first number column is its value); a table otherwise."""
    numbers = [c for c in columns if _all(rows, c, int | float)]
    times = [c for c in columns if _all(rows, c, datetime)]
    names = [c for c in columns if c not in numbers and c not in times]
    if not rows or not numbers or w.view not in ("timeSeries", "bar", "pie"):
        return {}
    colors = iter(COLORS * 50)
    if w.view == "timeSeries" and times:
        lines: dict[str, dict[int, float]] = {}
        for r in rows:
            key = " ".join(str(r[c]) for c in names if r.get(c) is not None)
            for c in numbers:
                if r.get(c) is not None:
                    label = f"{key} {c}".strip() if len(numbers) > 1 or not key else key
                    lines.setdefault(label, {})[int(r[times[0]].timestamp() * 1000)] = r[c]
        xs = sorted({t for points in lines.values() for t in points})
        series = [{"label": label, "points": sorted(points.items()), "color": next(colors),
                   "axis": "left"} for label, points in lines.items()]  # fmt: skip
        return {"chart": _chart(series, xs, w, {})}
    if w.view == "timeSeries":
        return {}
    values = [{"label": " ".join(str(r[c]) for c in names + times if r.get(c) is not None)
               or numbers[0], "color": next(colors), "value": float(r[numbers[0]])}
              for r in rows if r.get(numbers[0]) is not None][:50]  # fmt: skip
    _shares(values)
    return {"values": values}


def _all(rows: list[dict[str, Any]], column: str, kind: Any) -> bool:
    present = [r[column] for r in rows if r.get(column) is not None]
    return bool(present) and all(isinstance(v, kind) and not isinstance(v, bool)
                                 for v in present)  # fmt: skip


def _shares(values: list[dict[str, Any]]) -> None:
    """Each value's share of the positive total (pie) and of the largest (bar)."""
    total = sum(v["value"] for v in values if v["value"] is not None and v["value"] > 0)
    top = max((v["value"] for v in values if v["value"] is not None), default=0.0)
    done = 0.0
    for v in values:
        size = v["value"] if v["value"] is not None and v["value"] > 0 else 0.0
        v["share"] = size / total if total else 0.0
        v["bar"] = size / top if top > 0 else 0.0
        v["from"], done = done, done + v["share"]


def _latest(points: list[tuple[int, float]]) -> float | None:
    return points[-1][1] if points else None


def _summary(s: dict[str, Any]) -> dict[str, Any]:
    values = [v for _, v in s["points"]]
    return {"label": s["label"], "latest": _latest(s["points"]),
            "minimum": min(values, default=None), "maximum": max(values, default=None),
            "average": sum(values) / len(values) if values else None,
            "points": len(values)}  # fmt: skip
