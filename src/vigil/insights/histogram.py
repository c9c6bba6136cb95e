"""The histogram the console draws above a Logs Insights result, as CloudWatch's does: the
query's filtering part (its `filter` and `parse` commands before any `stats`), counted per
time bucket. Pure: text in, text out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from vigil.insights.parse import Command, Filter, Parse, Stats, parse, unparse

STEPS: Final = ((60, "1m"), (300, "5m"), (900, "15m"), (3600, "1h"), (10800, "3h"),
                (21600, "6h"), (86400, "1d"))  # fmt: skip


@dataclass(frozen=True)
class Histogram:
    """Matches per time bucket: each bucket's start (epoch seconds) and count, and the step's
    name (1m, 5m, … 1d)."""

    x: list[int]
    counts: list[int]
    step: str


def step_for(seconds: int, buckets: int = 60) -> tuple[int, str]:
    """The smallest step that keeps the range within `buckets` bars."""
    for size, name in STEPS:
        if seconds / size <= buckets:
            return size, name
    return STEPS[-1]


def histogram_query(query: str, step: str) -> str:
    kept: list[Command] = []
    for command in parse(query):
        if isinstance(command, Stats):
            break
        if isinstance(command, (Filter, Parse)):
            kept.append(command)
    counted = f"stats count(*) as matches by bin({step})"
    return f"{unparse(kept)} | {counted}" if kept else counted


def bars(counts: dict[int, int], start_ms: int, end_ms: int, size: int,
         name: str) -> Histogram:  # fmt: skip
    """Counts by bucket start (epoch seconds) over [start, end], empty buckets included."""
    first = start_ms // 1000 - (start_ms // 1000) % size
    xs = list(range(first, end_ms // 1000 + 1, size))
    return Histogram(xs, [counts.get(x, 0) for x in xs], name)
