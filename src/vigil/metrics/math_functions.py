"""The functions of CloudWatch metric math, one table: name → function of the evaluated
arguments. Semantics follow AWS's "Metric math syntax and functions" (argument types S, TS,
TS[] as documented there); where AWS leaves a case open the choice is said beside it.

Another module adds a function with `register(name, fn)` (fn takes the context and the
evaluated arguments and returns a value of `math_values`), e.g. the alarms' anomaly band."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from vigil.metrics.math_values import (
    Context,
    Keyword,
    Many,
    Named,
    Series,
    Value,
    each,
    kind,
    pointwise,
)

Function = Callable[[Context, list[Value]], Value]
_FOLDS: Final[dict[str, Callable[[list[float]], float]]] = {
    "SUM": math.fsum, "AVG": lambda v: math.fsum(v) / len(v), "MIN": min, "MAX": max,
    "STDDEV": lambda v: statistics.pstdev(v) if len(v) > 1 else 0.0,
}  # fmt: skip


def register(name: str, fn: Function) -> None:
    """Add (or replace) a function; names are upper case, as AWS writes them."""
    FUNCTIONS[name.upper()] = fn
    UNSUPPORTED.discard(name.upper())


def _arity(ctx: Context, name: str, args: list[Value], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        count = str(low) if low == high else f"{low} to {high}"
        plural = "" if high == 1 else "s"
        raise ctx.fail(f"{name} takes {count} argument{plural}, not {len(args)}")


def _series(ctx: Context, name: str, v: Value, many: bool = True) -> Named | Many:
    if isinstance(v, Named) or (many and isinstance(v, Many)):
        return v
    wanted = "a time series or an array of them" if many else "a time series"
    raise ctx.fail(f"{name} takes {wanted}, not {kind(v)}")


def _many(ctx: Context, name: str, v: Value) -> Many:
    if isinstance(v, Many):
        return v
    if isinstance(v, Named):
        return Many((v,))
    raise ctx.fail(f"{name} takes an array of time series, not {kind(v)}")


def _number(ctx: Context, name: str, v: Value) -> float:
    if isinstance(v, float):
        return v
    raise ctx.fail(f"{name} takes a number here, not {kind(v)}")


def _per_point(name: str, fn: Callable[[float], float]) -> Function:
    def run(ctx: Context, args: list[Value]) -> Value:
        _arity(ctx, name, args, 1, 1)
        if isinstance(args[0], float):
            return fn(args[0])
        return each(_series(ctx, name, args[0]), pointwise(fn, ctx))

    return run


def _fold(name: str) -> Function:
    """TS → S over the series' points; TS[] → TS point by point across the array (AVG counts a
    missing value as 0, as AWS documents; the others take the points present)."""
    fold = _FOLDS[name]

    def run(ctx: Context, args: list[Value]) -> Value:
        _arity(ctx, name, args, 1, 1)
        v = _series(ctx, name, args[0])
        if isinstance(v, Named):
            values = list(v.points.values())
            return fold(values) if values else math.nan
        out: Series = {}
        for t in sorted({t for s in v.items for t in s.points}):
            if name == "AVG":
                out[t] = math.fsum(s.points.get(t, 0.0) for s in v.items) / len(v.items)
            else:
                out[t] = fold([s.points[t] for s in v.items if t in s.points])
        return Named(name, out)

    return run


def _datapoint_count(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "DATAPOINT_COUNT", args, 1, 1)
    v = _series(ctx, "DATAPOINT_COUNT", args[0])
    if isinstance(v, Named):
        return float(len(v.points))
    times = sorted({t for s in v.items for t in s.points})
    return Named("DATAPOINT_COUNT", {t: float(sum(t in s.points for s in v.items)) for t in times})


def _metric_count(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "METRIC_COUNT", args, 1, 1)
    return float(len(_many(ctx, "METRIC_COUNT", args[0]).items))


def _stepwise(name: str, step: Callable[[float, float, float], float]) -> Function:
    """Over consecutive points of a series: step(value, previous value, seconds between)."""

    def one(s: Named) -> Named:
        out: Series = {}
        points = s.sorted()
        for (t0, v0), (t1, v1) in itertools.pairwise(points):
            try:
                out[t1] = step(v1, v0, (t1 - t0) / 1000)
            except ZeroDivisionError:
                continue
        return Named(s.label, out)

    def run(ctx: Context, args: list[Value]) -> Value:
        _arity(ctx, name, args, 1, 1)
        return each(_series(ctx, name, args[0]), one)

    return run


def _running_sum(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "RUNNING_SUM", args, 1, 1)

    def one(s: Named) -> Named:
        total, out = 0.0, {}
        for t, v in s.sorted():
            total += v
            out[t] = total
        return Named(s.label, out)

    return each(_series(ctx, "RUNNING_SUM", args[0]), one)


def _fill(ctx: Context, args: list[Value]) -> Value:
    """FILL(x, S | TS | REPEAT | LINEAR) over the grid. REPEAT takes the last value before a
    gap, LINEAR interpolates across it; a gap at an end with no value on that side takes the
    nearest value (IMPL, AWS does not say)."""
    _arity(ctx, "FILL", args, 2, 2)
    target, how = _series(ctx, "FILL", args[0]), args[1]
    if isinstance(how, Keyword) and how.word not in ("REPEAT", "LINEAR"):
        raise ctx.fail(f"FILL takes a number, a series, REPEAT or LINEAR, not {how.word}")
    if isinstance(how, Many | str):
        raise ctx.fail(f"FILL takes a number, a series, REPEAT or LINEAR, not {kind(how)}")

    def one(s: Named) -> Named:
        out = dict(s.points)
        known = s.sorted()
        for t in ctx.grid:
            if t in out:
                continue
            if isinstance(how, float):
                out[t] = how
            elif isinstance(how, Named):
                if t in how.points:
                    out[t] = how.points[t]
            elif known:
                out[t] = _between(known, t, how.word == "LINEAR")
        return Named(s.label, dict(sorted(out.items())))

    return each(target, one)


def _between(known: list[tuple[int, float]], t: int, linear: bool) -> float:
    before = [p for p in known if p[0] < t]
    after = [p for p in known if p[0] > t]
    if not before:
        return after[0][1]
    if not after or not linear:
        return before[-1][1]
    (t0, v0), (t1, v1) = before[-1], after[0]
    return v0 + (v1 - v0) * (t - t0) / (t1 - t0)


def _pick(name: str, last: bool) -> Function:
    def run(ctx: Context, args: list[Value]) -> Value:
        _arity(ctx, name, args, 1, 1)
        items = _many(ctx, name, args[0]).items
        if not items:
            raise ctx.fail(f"{name} of an empty array")
        return items[-1] if last else items[0]

    return run


def _sort(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "SORT", args, 3, 4)
    items = list(_many(ctx, "SORT", args[0]).items)
    by, order = args[1], args[2]
    if not (isinstance(by, Keyword) and by.word in ("AVG", "MIN", "MAX", "SUM")):
        raise ctx.fail("SORT sorts by AVG, MIN, MAX or SUM")
    if not (isinstance(order, Keyword) and order.word in ("ASC", "DESC")):
        raise ctx.fail("SORT's order is ASC or DESC")
    fold = _FOLDS[by.word]
    empty = math.inf if order.word == "ASC" else -math.inf
    items.sort(key=lambda s: fold(list(s.points.values())) if s.points else empty,
               reverse=order.word == "DESC")  # fmt: skip
    if len(args) == 4:
        items = items[: int(_number(ctx, "SORT", args[3]))]
    return Many(tuple(items))


def _slice(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "SLICE", args, 2, 3)
    items = _many(ctx, "SLICE", args[0]).items
    start = int(_number(ctx, "SLICE", args[1]))
    end = int(_number(ctx, "SLICE", args[2])) if len(args) == 3 else len(items)
    return Many(items[start:end])


def _remove_empty(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "REMOVE_EMPTY", args, 1, 1)
    return Many(tuple(s for s in _many(ctx, "REMOVE_EMPTY", args[0]).items if s.points))


def _time_series(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "TIME_SERIES", args, 1, 1)
    value = _number(ctx, "TIME_SERIES", args[0])
    return Named("TIME_SERIES", {t: value for t in ctx.grid})


def _period(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "PERIOD", args, 1, 1)
    v = args[0]
    if not isinstance(v, Named) or not v.period:
        raise ctx.fail("PERIOD takes a metric's id (not an expression's)")
    return float(v.period)


def _clock(name: str, part: Callable[[datetime], float]) -> Function:
    """A non-sparse series over the grid, each value from its own timestamp (UTC)."""

    def run(ctx: Context, args: list[Value]) -> Value:
        _arity(ctx, name, args, 1, 1)
        _series(ctx, name, args[0], many=False)
        return Named(name, {t: part(datetime.fromtimestamp(t / 1000, UTC)) for t in ctx.grid})

    return run


def _search(ctx: Context, args: list[Value]) -> Value:
    _arity(ctx, "SEARCH", args, 2, 3)
    query, stat = args[0], args[1]
    if not isinstance(query, str) or not isinstance(stat, str):
        raise ctx.fail("SEARCH takes the search in quotes, then the statistic in quotes")
    period = int(_number(ctx, "SEARCH", args[2])) if len(args) == 3 else ctx.period
    if ctx.search is None:
        raise ctx.fail("SEARCH is not available here (alarms cannot use it)")
    return Many(tuple(ctx.search(query, stat, period)))


UNSUPPORTED: set[str] = set()  # in the table only to say why they are not evaluated


def _unsupported(name: str, why: str) -> Function:
    UNSUPPORTED.add(name)

    def run(ctx: Context, args: list[Value]) -> Value:
        raise ctx.fail(f"{name} is not supported by Vigil: {why}")

    return run


FUNCTIONS: dict[str, Function] = {
    "ABS": _per_point("ABS", abs), "CEIL": _per_point("CEIL", lambda v: float(math.ceil(v))),
    "FLOOR": _per_point("FLOOR", lambda v: float(math.floor(v))),
    "LOG": _per_point("LOG", math.log), "LOG10": _per_point("LOG10", math.log10),
    **{name: _fold(name) for name in _FOLDS},
    "DATAPOINT_COUNT": _datapoint_count, "METRIC_COUNT": _metric_count,
    "DIFF": _stepwise("DIFF", lambda v, p, s: v - p),
    "DIFF_TIME": _stepwise("DIFF_TIME", lambda v, p, s: s),
    "RATE": _stepwise("RATE", lambda v, p, s: (v - p) / s),
    "RUNNING_SUM": _running_sum, "FILL": _fill,
    "FIRST": _pick("FIRST", False), "LAST": _pick("LAST", True),
    "SORT": _sort, "SLICE": _slice, "REMOVE_EMPTY": _remove_empty,
    "TIME_SERIES": _time_series, "PERIOD": _period, "SEARCH": _search,
    "MINUTE": _clock("MINUTE", lambda d: float(d.minute)),
    "HOUR": _clock("HOUR", lambda d: float(d.hour)),
    "DAY": _clock("DAY", lambda d: float(d.isoweekday())),
    "DATE": _clock("DATE", lambda d: float(d.day)),
    "MONTH": _clock("MONTH", lambda d: float(d.month)),
    "YEAR": _clock("YEAR", lambda d: float(d.year)),
    "EPOCH": _clock("EPOCH", lambda d: d.timestamp()),
    "INSIGHT_RULE_METRIC": _unsupported("INSIGHT_RULE_METRIC", "there is no Contributor Insights"),
    "SERVICE_QUOTA": _unsupported("SERVICE_QUOTA", "there are no service quotas to read"),
}  # fmt: skip
