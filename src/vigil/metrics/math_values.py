"""The values of CloudWatch metric math and how they combine: a scalar (S, a float), one time
series (TS, `Named`: a label and its points by timestamp) and an array of them (TS[], `Many`).

A series is sparse: a timestamp with no point is simply absent. Operations go point by point
over the timestamps either side has; functions that need the missing points (FILL,
TIME_SERIES, DAY...) take them from the context's grid (the query's range at its period)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from vigil.errors import VigilError

Series = dict[int, float]  # epoch ms → value; absent: no point


class MathError(VigilError):
    """An expression that cannot be evaluated: it says which and why in its own words."""

    code = "ValidationError"  # what GetMetricData answers


@dataclass(frozen=True)
class Named:
    """One time series (TS)."""

    label: str
    points: Series
    period: int = 0  # seconds, for a metric's own series (PERIOD takes only those)

    def sorted(self) -> list[tuple[int, float]]:
        return sorted(self.points.items())


@dataclass(frozen=True)
class Many:
    """An array of time series (TS[])."""

    items: tuple[Named, ...]


@dataclass(frozen=True)
class Keyword:
    """A bare word that is an argument, not an id: REPEAT, LINEAR, ASC, DESC, AVG in SORT..."""

    word: str


Value = float | Named | Many | Keyword | str
Search = Callable[[str, str, int], list[Named]]  # query, statistic, period → matching series


@dataclass
class Context:
    """What an expression sees: the results by id (metrics first, then earlier expressions),
    which ids are metrics (METRICS() takes only those, in order), each metric's period, the
    grid of the query, and how to run a SEARCH (None: not available here)."""

    values: dict[str, Named | Many]
    metric_ids: list[str]
    grid: list[int]
    period: int
    periods: dict[str, int] = field(default_factory=dict)
    search: Search | None = None
    text: str = ""
    dropped: int = 0  # points dropped for want of a number (a division by zero, LOG of 0)

    def fail(self, why: str) -> MathError:
        return MathError(f"{self.text!r}: {why}" if self.text else why)


def grid(start_ms: int, end_ms: int, period: int) -> list[int]:
    """The period starts in [start, end), aligned to multiples of the period since the epoch."""
    step = period * 1000
    first = start_ms - start_ms % step
    if first < start_ms:
        first += step
    return list(range(first, end_ms, step))


def each(value: Named | Many, fn: Callable[[Named], Named]) -> Named | Many:
    """A function of one series applied to a series, or to each series of an array."""
    if isinstance(value, Many):
        return Many(tuple(fn(s) for s in value.items))
    return fn(value)


def pointwise(fn: Callable[[float], float | None],
              ctx: Context | None = None) -> Callable[[Named], Named]:  # fmt: skip
    """Per point; a point the function cannot take (LOG of 0, a division by 0) is dropped
    (and counted in the context)."""

    def apply(s: Named) -> Named:
        out: Series = {}
        for t, v in s.points.items():
            try:
                got = fn(v)
            except (ValueError, ZeroDivisionError, OverflowError):
                got = math.nan
            if got is not None and math.isfinite(got):
                out[t] = got
            elif ctx is not None:
                ctx.dropped += 1
        return Named(s.label, out)

    return apply


def combine(a: Value, b: Value, op: Callable[[float, float], float], ctx: Context,
            missing_is_zero: bool = True) -> Value:  # fmt: skip
    """A binary operator over S, TS and TS[] as AWS defines it: TS∘TS at every timestamp either
    has (a missing value counts as 0), TS∘S at the series' points, TS[]∘x member by member.
    A point whose operation fails (a division by zero) is dropped."""
    if isinstance(a, Keyword | str) or isinstance(b, Keyword | str):
        word = a if isinstance(a, Keyword | str) else b
        shown = word.word if isinstance(word, Keyword) else repr(word)
        raise ctx.fail(f"{shown} is not a number, a metric id or a series here")
    if isinstance(a, Many):
        return Many(tuple(_named(combine(s, b, op, ctx, missing_is_zero)) for s in a.items))
    if isinstance(b, Many):
        return Many(tuple(_named(combine(a, s, op, ctx, missing_is_zero)) for s in b.items))
    if isinstance(a, float) and isinstance(b, float):
        try:
            got = op(a, b)
        except ZeroDivisionError:
            raise ctx.fail("a division by zero") from None
        except (OverflowError, ValueError):
            got = math.nan
        if not math.isfinite(got):
            raise ctx.fail("a number out of range (too large, or no real number)")
        return got
    if isinstance(a, float) and isinstance(b, Named):
        return pointwise(lambda v: op(a, v), ctx)(b)
    if isinstance(a, Named) and isinstance(b, float):
        return pointwise(lambda v: op(v, b), ctx)(a)
    assert isinstance(a, Named) and isinstance(b, Named)
    out: Series = {}
    for t in sorted(a.points.keys() | b.points.keys()):
        if not missing_is_zero and (t not in a.points or t not in b.points):
            continue
        try:
            got = op(a.points.get(t, 0.0), b.points.get(t, 0.0))
        except (ZeroDivisionError, OverflowError, ValueError):
            got = math.nan
        if math.isfinite(got):
            out[t] = got
        else:
            ctx.dropped += 1
    return Named(a.label, out)


def _named(v: Value) -> Named:
    assert isinstance(v, Named)
    return v


DESCRIPTIONS: Final = {float: "a number", Named: "a time series", Many: "an array of time series"}


def kind(v: Value) -> str:
    return DESCRIPTIONS.get(type(v), "a word")
