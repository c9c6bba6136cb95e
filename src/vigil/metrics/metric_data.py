"""GetMetricData's engine, shared by the API and dashboards: metric queries (a metric, a
statistic, a period) and expression queries (metric math, SEARCH) over one time range.

Expressions may name metrics and other expressions in any order; they are evaluated after
what they name (a cycle is an error). A query whose result is an array of series (SEARCH,
METRICS()) gives one result per series, all with the query's id, labelled
"<label> <series label>" (the series label alone when the query has no label)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from vigil.metrics import anomaly  # noqa: F401  (registers ANOMALY_DETECTION_BAND)
from vigil.metrics import search as searching
from vigil.metrics.math import Context, Many, MathError, Named, evaluate_expression, grid
from vigil.metrics.stats import check_statistic, series, window
from vigil.metrics.store import Metric, MetricStore

DROPPED: Final = {"Code": "ArithmeticError", "Value": "One or more data-points have been "
                  "dropped due to non-numeric values (NaN, -Infinite, +Infinite)"}  # fmt: skip
ID: Final = re.compile(r"[a-z][A-Za-z0-9_]{0,254}")
_NAMES: Final = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\b([a-z][A-Za-z0-9_]*)\b""")


@dataclass(frozen=True)
class Query:
    id: str
    metric: Metric | None = None
    stat: str = "Average"
    period: int = 300
    unit: str | None = None
    expression: str = ""
    label: str = ""
    return_data: bool = True


@dataclass
class Result:
    id: str
    label: str
    points: list[tuple[int, float]]  # (ms, value), oldest first
    messages: list[dict[str, str]] = field(default_factory=list)
    status: str = "Complete"


def check(queries: list[Query]) -> None:
    """What GetMetricData refuses before reading anything (MathError, with the query's id)."""
    seen: set[str] = set()
    for q in queries:
        if not ID.fullmatch(q.id):
            raise MathError(f"the Id {q.id!r} must start with a lower-case letter and hold only "
                            "letters, digits and _")  # fmt: skip
        if q.id in seen:
            raise MathError(f"the Id {q.id!r} is used twice")
        seen.add(q.id)
        if (q.metric is None) == (not q.expression):
            raise MathError(f"query {q.id}: give either MetricStat or Expression")
    if not any(q.return_data for q in queries):
        raise MathError("at least one query must return data (ReturnData true)")


def run(store: MetricStore, queries: list[Query], start: int, end: int,
        whole: bool = False) -> list[Result]:  # fmt: skip
    """The results of the queries that return data, in the order given. `whole`: each metric
    is one value over all of [start, end) at `start` (a widget's setPeriodToTimeRange)."""
    check(queries)
    metric_ids = [q.id for q in queries if q.metric is not None]
    values: dict[str, Named | Many] = {}
    periods = {q.id: q.period for q in queries if q.metric is not None}
    for q in queries:
        if q.metric is not None:
            points = _whole(store, q, start, end) if whole else series(
                store, q.metric, start, end, q.period, q.stat, q.unit)  # fmt: skip
            values[q.id] = Named(q.label or q.metric.name, points, q.period)
    period = min(periods.values(), default=60)  # an expression without metrics: the minute

    def search(query: str, stat: str, seconds: int) -> list[Named]:
        found = searching.matching(query, store.metrics())
        names = {m.name for m in found}
        out = []
        for m in found:
            q = Query("search", m, stat, seconds)
            points = _whole(store, q, start, end) if whole else series(
                store, m, start, end, seconds, stat)  # fmt: skip
            out.append(Named(_search_label(m, len(names) > 1), points, seconds))
        return out

    pending = {q.id: q for q in queries if q.metric is None}
    dropped: set[str] = set()
    for ident in _order(pending):
        q = pending[ident]
        ctx = Context(values, metric_ids, grid(start, end, q.period or period),
                      q.period or period, periods, search)  # fmt: skip
        try:
            values[ident] = evaluate_expression(q.expression, ctx)
        except MathError as exc:
            raise MathError(f"Error in expression {ident}: {exc.message}") from None
        if ctx.dropped:
            dropped.add(ident)
    return [r for q in queries if q.return_data
            for r in _results(q, values[q.id], q.id in dropped)]  # fmt: skip


def _whole(store: MetricStore, q: Query, start: int, end: int) -> dict[int, float]:
    assert q.metric is not None
    check_statistic(q.stat)
    found = window(store, q.metric, start, end, q.stat, q.unit)
    return {start: found[0]} if found else {}


def _results(q: Query, value: Named | Many, dropped: bool = False) -> list[Result]:
    """A result per series; a message on each when points were dropped, as AWS says it."""
    notes = [dict(DROPPED)] if dropped else []
    if isinstance(value, Named):
        label = q.label or (value.label if q.metric is not None else q.id)
        return [Result(q.id, label, value.sorted(), notes)]
    out = []
    for s in value.items:
        label = f"{q.label} {s.label}" if q.label else s.label
        out.append(Result(q.id, label, s.sorted(), list(notes)))
    if len(value.items) == searching.MAX_RESULTS:
        out[-1].messages.append({"Code": "MaxMetricsExceeded", "Value": "the search found "
                                 f"more than {searching.MAX_RESULTS} metrics"})  # fmt: skip
    return out


def _order(pending: dict[str, Query]) -> list[str]:
    """Expressions after the expressions they name; a cycle is refused."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(ident: str) -> None:
        if ident in done:
            return
        if ident in visiting:
            raise MathError(f"Error in expression {ident}: it depends on itself")
        visiting.add(ident)
        for match in _NAMES.finditer(pending[ident].expression):
            if match.group(1) in pending:
                visit(match.group(1))
        visiting.discard(ident)
        done.append(ident)

    for ident in pending:
        visit(ident)
    return done


def _search_label(m: Metric, with_name: bool) -> str:
    parts = [v for _, v in m.dimensions]
    if with_name or not parts:
        parts.insert(0, m.name)
    return " ".join(parts)
