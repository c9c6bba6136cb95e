"""A CloudWatch DashboardBody read into widgets to draw: metric widgets (their `metrics` rows,
with "." meaning "as the row before" and a trailing options object), alarm widgets (alarm
ARNs), text widgets (Markdown) and log widgets (`SOURCE 'group' | …` Insights queries), each
placed on the 24-column grid. Pure: the body in, widget plans out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from vigil.metrics.store import Metric

SOURCE: Final = re.compile(r"^\s*SOURCE\s+'([^']+)'\s*\|?", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    metric: Metric | None  # None: a metric-math expression
    stat: str
    period: int
    label: str
    id: str = ""
    expression: str = ""
    visible: bool = True


@dataclass
class Widget:
    kind: str  # metric | alarm | text | log
    x: int
    y: int
    width: int
    height: int
    title: str = ""
    lines: list[Line] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)  # ARNs
    markdown: str = ""
    query: str = ""
    groups: list[str] = field(default_factory=list)
    problem: str | None = None


def read_body(body: str) -> tuple[list[Widget], int]:
    """The widgets and the dashboard's default range in seconds (its `start`, e.g. -PT3H)."""
    doc = json.loads(body)
    widgets = [_widget(w) for w in doc.get("widgets", []) if isinstance(w, dict)]
    return widgets, _duration(str(doc.get("start", "-PT24H")))


def _widget(w: dict[str, Any]) -> Widget:
    p = w.get("properties") if isinstance(w.get("properties"), dict) else {}
    assert isinstance(p, dict)
    out = Widget(
        str(w.get("type", "")), int(w.get("x", 0)), int(w.get("y", 0)), int(w.get("width", 6)),
        int(w.get("height", 6)), str(p.get("title", "")),
    )  # fmt: skip
    try:
        if out.kind == "metric":
            out.lines = _lines(p)
        elif out.kind == "alarm":
            out.alarms = [str(a) for a in p.get("alarms", [])]
        elif out.kind == "text":
            out.markdown = str(p.get("markdown", ""))
        elif out.kind == "log":
            out.groups, out.query = _sources(str(p.get("query", "")))
    except (TypeError, ValueError, IndexError) as exc:
        out.problem = f"cannot read this widget: {exc}"
    return out


def _lines(p: dict[str, Any]) -> list[Line]:
    stat, period = str(p.get("stat", "Average")), int(p.get("period", 300))
    lines: list[Line] = []
    previous: list[Any] = []
    for n, row in enumerate(p.get("metrics", []), 1):
        if not isinstance(row, list):
            continue
        options = row[-1] if row and isinstance(row[-1], dict) else {}
        parts = [x for x in row if not isinstance(x, dict)]
        ident = str(options.get("id", f"m{n}"))
        visible = options.get("visible", True) is not False
        if not parts and "expression" in options:
            text = str(options["expression"])
            lines.append(Line(None, stat, period, str(options.get("label", text)), ident, text,
                              visible))  # fmt: skip
            continue
        parts = [previous[i] if x == "." and i < len(previous) else x for i, x in enumerate(parts)]
        previous = parts
        namespace, name, dims = str(parts[0]), str(parts[1]), parts[2:]
        pairs = tuple(sorted((str(dims[i]), str(dims[i + 1])) for i in range(0, len(dims) - 1, 2)))
        lines.append(Line(Metric(namespace, name, pairs), str(options.get("stat", stat)),
                          int(options.get("period", period)), str(options.get("label", name)),
                          ident, "", visible))  # fmt: skip
    return lines


def _sources(query: str) -> tuple[list[str], str]:
    groups = []
    rest = query
    while match := SOURCE.match(rest):
        groups.append(match.group(1))
        rest = rest[match.end() :]
    return groups, rest.strip()


def _duration(text: str) -> int:
    """An ISO 8601 duration as CloudWatch writes ranges (-PT3H, -P7D); 24 h if unreadable."""
    match = re.fullmatch(r"-?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?",
                         text.strip())  # fmt: skip
    if not match or not any(match.groups()):
        return 86400
    w, d, h, m, s = (int(g or 0) for g in match.groups())
    return (((w * 7 + d) * 24 + h) * 60 + m) * 60 + s
