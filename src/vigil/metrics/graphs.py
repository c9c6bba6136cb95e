"""What the console draws: a metric's graph over its last periods (with a threshold line) and
a dashboard with each widget's data over its range. Values only; the console shapes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GraphLine:
    label: str
    values: list[float | None]  # one per x; None where the period has no datapoint
    dash: bool = False  # a threshold, drawn dashed in its own colour
    color: str | None = None


@dataclass(frozen=True)
class Graph:
    x: list[int]  # each period's start, epoch seconds
    lines: list[GraphLine]
    start: int  # epoch ms
    end: int


@dataclass(frozen=True)
class DrawnDashboard:
    # each widget's plan and data in the body's order, in the shape its view draws (uPlot's
    # columns, values, table rows, alarm states, Markdown)
    widgets: list[dict[str, Any]]
    rows: int  # grid rows the widgets take
    seconds: int
    start: int  # epoch ms
    end: int
    period: int | None  # the console's choice; None: each row's own
