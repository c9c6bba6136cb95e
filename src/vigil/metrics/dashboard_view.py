"""A CloudWatch DashboardBody read into widgets to draw, as AWS's "Dashboard Body Structure and
Syntax" defines them: metric widgets (their `metrics` rows with the `"."` and `"..."`
shorthands and a trailing options object, expression rows, `view`, `stacked`, `yAxis`,
`annotations`, `period`, `stat`, `setPeriodToTimeRange`, `sparkline`, `legend`), alarm
widgets, text widgets (Markdown) and log widgets (`SOURCE 'group' | ...` Insights queries),
each placed on the 24-column grid, and the dashboard's own range (`start`, `end`,
`periodOverride`). Pure: the body in, widget plans out; a widget that cannot be read says why
in `problem` and the others are still drawn."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from vigil.inputs import loads
from vigil.metrics.store import Metric

SOURCE: Final = re.compile(r"^\s*SOURCE\s+'([^']+)'\s*\|?", re.IGNORECASE)
VIEWS: Final = ("timeSeries", "singleValue", "gauge", "bar", "pie", "table")
DEFAULT_SECONDS: Final = 3 * 3600  # the console's default range when a body gives no start


@dataclass(frozen=True)
class Line:
    metric: Metric | None  # None: a metric-math expression
    stat: str
    period: int
    label: str
    id: str = ""
    expression: str = ""
    visible: bool = True
    color: str = ""
    y_axis: str = "left"


@dataclass(frozen=True)
class Axis:
    min: float | None = None
    max: float | None = None
    label: str = ""
    show_units: bool = True


@dataclass(frozen=True)
class Annotation:
    """A horizontal line (a value on an axis) or a vertical one (a time, epoch ms); `until`
    makes it a band between two values or times."""

    vertical: bool
    value: float
    label: str = ""
    color: str = ""
    fill: str = ""  # above | below (horizontal), before | after (vertical)
    y_axis: str = "left"
    until: float | None = None


@dataclass
class Widget:
    kind: str  # metric | alarm | text | log | explorer | custom
    x: int
    y: int
    width: int
    height: int
    title: str = ""
    view: str = "timeSeries"
    stacked: bool = False
    stat: str = "Average"
    period: int = 300
    lines: list[Line] = field(default_factory=list)
    axes: dict[str, Axis] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    whole_range: bool = False  # setPeriodToTimeRange
    sparkline: bool = False
    legend: str = "bottom"
    alarms: list[str] = field(default_factory=list)  # ARNs (alarm widgets, alarm annotations)
    markdown: str = ""
    query: str = ""
    groups: list[str] = field(default_factory=list)
    problem: str | None = None


@dataclass
class Board:
    widgets: list[Widget]
    seconds: int  # the range's length
    end_ms: int | None = None  # an absolute end (`end`), else now
    period_override: str = "auto"


def read_body(body: str) -> tuple[list[Widget], int]:
    """The widgets and the dashboard's default range in seconds (its `start`, e.g. -PT3H)."""
    board = read_board(body)
    return board.widgets, board.seconds


def read_board(body: str) -> Board:
    doc = loads(body)
    widgets = [_widget(w) for w in doc.get("widgets", []) if isinstance(w, dict)]
    start, end = str(doc.get("start", "") or ""), str(doc.get("end", "") or "")
    seconds, end_ms = DEFAULT_SECONDS, None
    if start.startswith(("-P", "P")):
        seconds = duration(start) or DEFAULT_SECONDS
    elif start and end:
        first, last = _instant(start), _instant(end)
        if first is not None and last is not None and last > first:
            seconds, end_ms = (last - first) // 1000, last
    return Board(widgets, seconds, end_ms, str(doc.get("periodOverride", "auto")))


def _widget(w: dict[str, Any]) -> Widget:
    p = w.get("properties") if isinstance(w.get("properties"), dict) else {}
    assert isinstance(p, dict)
    out = Widget(str(w.get("type", "")), _int(w.get("x"), 0), _int(w.get("y"), 0),
                 _int(w.get("width"), 6), _int(w.get("height"), 6),
                 str(p.get("title", "")))  # fmt: skip
    try:
        if out.kind == "metric":
            _metric_widget(out, p)
        elif out.kind == "alarm":
            out.alarms = [str(a) for a in p.get("alarms", [])]
        elif out.kind == "text":
            out.markdown = str(p.get("markdown", ""))
        elif out.kind == "log":
            out.groups, out.query = _sources(str(p.get("query", "")))
            out.view, out.stacked = str(p.get("view", "table")), p.get("stacked") is True
        else:
            out.problem = f"Vigil does not draw {out.kind or 'untyped'} widgets"
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        out.problem = f"cannot read this widget: {exc}"
    return out


def _metric_widget(out: Widget, p: dict[str, Any]) -> None:
    out.view = str(p.get("view", "timeSeries"))
    if out.view not in VIEWS:
        raise ValueError(f"view {out.view!r} is not one of {', '.join(VIEWS)}")
    out.stacked = p.get("stacked") is True
    out.stat, out.period = str(p.get("stat", "Average")), int(p.get("period", 300))
    out.whole_range = p.get("setPeriodToTimeRange") is True
    out.sparkline = p.get("sparkline") is True
    legend = p.get("legend")
    out.legend = str(legend.get("position", "bottom")) if isinstance(legend, dict) else "bottom"
    axes = p.get("yAxis") if isinstance(p.get("yAxis"), dict) else {}
    assert isinstance(axes, dict)
    out.axes = {side: _axis(axes[side]) for side in ("left", "right")
                if isinstance(axes.get(side), dict)}  # fmt: skip
    out.annotations = _annotations(p.get("annotations"))
    notes = p.get("annotations")
    out.alarms = [str(a) for a in notes.get("alarms", [])] if isinstance(notes, dict) else []
    out.lines = lines(p.get("metrics", []), out.stat, out.period)
    if not out.lines and not out.alarms:
        raise ValueError("a metric widget needs at least one row in metrics (or an alarm in "
                         "annotations.alarms)")  # fmt: skip


def lines(rows: Any, stat: str, period: int) -> list[Line]:
    """The `metrics` rows: `[Namespace, MetricName, DimName, DimValue, ..., {options}]` or
    `[{"expression": ...}]`. `"."` is the previous row's item at that place; `"..."` stands
    for the previous row's items from its place on, less as many as follow it here."""
    if not isinstance(rows, list):
        raise ValueError("metrics is a list of rows")
    out: list[Line] = []
    previous: list[Any] = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, list):
            raise ValueError(f"metrics row {n} is not a list")
        options = row[-1] if row and isinstance(row[-1], dict) else {}
        parts = [x for x in row if not isinstance(x, dict)]
        ident = str(options.get("id", f"m{n}"))
        visible, color = options.get("visible", True) is not False, str(options.get("color", ""))
        axis = "right" if options.get("yAxis") == "right" else "left"
        if not parts and "expression" in options:
            text = str(options["expression"])
            out.append(Line(None, stat, int(options.get("period", period)),
                            str(options.get("label", "")), ident, text, visible, color,
                            axis))  # fmt: skip
            continue
        parts = _expand(parts, previous, n)
        previous = parts
        if len(parts) < 2 or len(parts) % 2:
            raise ValueError(f"metrics row {n} is not [Namespace, MetricName, DimensionName, "
                             "DimensionValue, ...]")  # fmt: skip
        namespace, name, dims = str(parts[0]), str(parts[1]), parts[2:]
        pairs = tuple(sorted((str(dims[i]), str(dims[i + 1])) for i in range(0, len(dims), 2)))
        out.append(Line(Metric(namespace, name, pairs), str(options.get("stat", stat)),
                        int(options.get("period", period)), str(options.get("label", "")),
                        ident, "", visible, color, axis))  # fmt: skip
    return [replace(ln, label=ln.label or _default_label(ln, out)) for ln in out]


def _default_label(line: Line, others: list[Line]) -> str:
    """A row without a label: its metric name, with its dimension values when another row of
    the widget has the same name (expressions: no label, the results say which)."""
    if line.metric is None:
        return ""
    same = [o for o in others if o.metric is not None and o.metric.name == line.metric.name]
    if len(same) < 2 or not line.metric.dimensions:
        return line.metric.name
    return " ".join([line.metric.name] + [v for _, v in line.metric.dimensions])


def _expand(parts: list[Any], previous: list[Any], n: int) -> list[Any]:
    if "..." in parts:
        at = parts.index("...")
        before, after = parts[:at], parts[at + 1 :]
        if "..." in after or len(previous) < len(before) + len(after):
            raise ValueError(f'metrics row {n}: "..." repeats more than the row before holds')
        parts = before + previous[len(before) : len(previous) - len(after)] + after
    if any(x == "." for i, x in enumerate(parts) if i >= len(previous)):
        raise ValueError(f'metrics row {n}: "." where the row before has nothing')
    return [previous[i] if x == "." else x for i, x in enumerate(parts)]


def _axis(raw: dict[str, Any]) -> Axis:
    low, high = raw.get("min"), raw.get("max")
    return Axis(float(low) if isinstance(low, int | float) else None,
                float(high) if isinstance(high, int | float) else None,
                str(raw.get("label", "")), raw.get("showUnits", True) is not False)  # fmt: skip


def _annotations(raw: Any) -> list[Annotation]:
    """`{"horizontal": [...], "vertical": [...]}`; an item is one annotation, or a pair of
    them (a band from the first to the second)."""
    out: list[Annotation] = []
    if not isinstance(raw, dict):
        return out
    for kind in ("horizontal", "vertical"):
        for item in raw.get(kind, []) or []:
            first, second = (item[0], item[1]) if isinstance(item, list) else (item, None)
            if not isinstance(first, dict) or first.get("visible") is False:
                continue
            value = _position(first.get("value"), kind == "vertical")
            until = _position(second.get("value"), kind == "vertical") if second else None
            out.append(Annotation(kind == "vertical", value, str(first.get("label", "")),
                                  str(first.get("color", "")), str(first.get("fill", "")),
                                  str(first.get("yAxis", "left")), until))  # fmt: skip
    return out


def _position(value: Any, vertical: bool) -> float:
    if vertical:
        ms = _instant(str(value))
        if ms is None:
            raise ValueError(f"a vertical annotation's value {value!r} is not a time")
        return float(ms)
    return float(value)


def _sources(query: str) -> tuple[list[str], str]:
    groups = []
    rest = query
    while match := SOURCE.match(rest):
        groups.append(match.group(1))
        rest = rest[match.end() :]
    return groups, rest.strip()


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _instant(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp() * 1000)


def duration(text: str) -> int:
    """An ISO 8601 duration as CloudWatch writes ranges (-PT3H, -P7D); 0 if unreadable."""
    match = re.fullmatch(r"-?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?",
                         text.strip())  # fmt: skip
    if not match or not any(match.groups()):
        return 0
    w, d, h, m, s = (int(g or 0) for g in match.groups())
    return (((w * 7 + d) * 24 + h) * 60 + m) * 60 + s
