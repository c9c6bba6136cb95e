"""Where DuckDB and Spark SQL mean different things by what SQLGlot writes the same way, the
statement is rewritten (on its parsed tree, before Spark's SQL is written) to keep DuckDB's
meaning:

* `count(DISTINCT x) OVER (…)`: Spark has no distinct window aggregates; the size of the
  window's set of values is the same number.
* a window frame of intervals in different units (`7 DAY PRECEDING AND 1 HOUR PRECEDING`):
  Spark wants one interval type for both ends; both become seconds.
* `list_distinct`: DuckDB's drops NULLs, Spark's `array_distinct` keeps one.
* `json_extract(j, '$.a[*].b')` and `json_extract_string`: DuckDB gives a list; Spark's
  `get_json_object` gives one JSON text. The array is parsed (`from_json`) and the rest of the
  path taken from each element (objects stay JSON text, strings come without quotes).
* `regexp_replace`'s group references (`\\1` → `$1`).
* `epoch(a - b)` (an interval's seconds) as the difference of the two times' epochs.
* `time_bucket(width, t)` as arithmetic on epoch seconds from DuckDB's origin.
* `list(x ORDER BY y)`: pairs collected and sorted, as `collect_list` keeps no order.
* `list_slice(x, a, b)` and `x[a:b]` as Spark's `slice(x, a, length)`; `regexp_full_match`
  as an anchored RLIKE, and RLIKE in parentheses (Spark binds `a RLIKE p = b` otherwise).
"""

from __future__ import annotations

import re
from typing import Final

from sqlglot import exp

from vigil.query.spark.json import json_call

_SECONDS: Final = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 604800}


def rewrite(tree: exp.Expression) -> exp.Expression:
    """Every node rewritten after its children (a rewrite copies them: they are final)."""
    for node in reversed(list(tree.find_all(exp.Expression, bfs=False))):
        new = _one(node)
        if new is node:
            continue
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


def _one(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Window):
        return _window(node)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        if isinstance(node.parent, exp.Filter):
            return node  # `list(x ORDER BY y) FILTER (WHERE …)`: done with its filter
        return _ordered_list(node.this)
    if (isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg)
            and isinstance(node.this.this, exp.Order)):  # fmt: skip
        return _ordered_list(node.this.this, node.expression)
    if isinstance(node, exp.ArrayDistinct):
        return exp.Anonymous(this="array_compact", expressions=[node.copy()])
    if isinstance(node, (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONType, exp.JSONKeys)):
        return json_call(node)
    if _called(node, "list_slice") and len(node.expressions) == 3:
        return _slice(*(e.copy() for e in node.expressions))
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        cut = node.expressions[0]
        if isinstance(cut, exp.Slice):
            start = cut.this.copy() if cut.this is not None else exp.Literal.number(1)
            end = cut.expression.copy() if cut.expression is not None else exp.Literal.number(-1)
            return _slice(node.this.copy(), start, end)
    if isinstance(node, exp.RegexpReplace):
        return _backrefs(node)
    if isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub):
        # `epoch(a - b)`, an interval's seconds: Spark's unix_timestamp takes times, not spans
        later, earlier = node.this.this.copy(), node.this.expression.copy()
        return exp.paren(exp.Sub(this=exp.TimeToUnix(this=later),
                                 expression=exp.TimeToUnix(this=earlier)))  # fmt: skip
    if isinstance(node, exp.DateBin):
        return _time_bucket(node)
    if isinstance(node, exp.RegexpFullMatch):
        text, pattern = node.this.copy(), node.expression.copy()
        whole = exp.Concat(expressions=[exp.Literal.string("^(?:"), pattern,
                                        exp.Literal.string(")$")])  # fmt: skip
        return exp.Paren(this=exp.RegexpLike(this=text, expression=whole))
    if isinstance(node, exp.RegexpLike) and not isinstance(node.parent, exp.Paren):
        return exp.Paren(this=node.copy())  # `a RLIKE p = b` binds as `a RLIKE (p = b)`
    return node


def _called(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name


def _backrefs(node: exp.RegexpReplace) -> exp.Expression:
    """DuckDB's replacement names groups `\\1`, Java's `$1` (a literal `$` escaped). Without
    DuckDB's 'g' option only the first match is replaced; Spark replaces every one (Vigil's
    units give 'g' or match once)."""
    given = node.args.get("replacement")
    if isinstance(given, exp.Literal) and given.is_string:
        text = given.this.replace("$", "\\$")
        node = node.copy()
        node.set("replacement", exp.Literal.string(re.sub(r"\\(\d)", r"$\1", text)))
    return node


ORIGIN: Final = 946857600  # DuckDB's time_bucket origin, Monday 2000-01-03 00:00 UTC


def _time_bucket(node: exp.DateBin) -> exp.Expression:
    """`time_bucket(width, t)`: t down to a multiple of width from DuckDB's origin."""
    width = _interval_seconds(node.this)
    if width is None or node.args.get("origin") is not None or width <= 0:
        return node
    offset = exp.Sub(this=exp.Anonymous(this="unix_seconds", expressions=[node.expression.copy()]),
                     expression=exp.Literal.number(ORIGIN))  # fmt: skip
    floored = exp.Anonymous(this="floor", expressions=[
        exp.Div(this=exp.paren(offset), expression=exp.Literal.number(width))])  # fmt: skip
    seconds = exp.Add(this=exp.Mul(this=floored, expression=exp.Literal.number(width)),
                      expression=exp.Literal.number(ORIGIN))  # fmt: skip
    return exp.Anonymous(this="timestamp_seconds", expressions=[seconds])


def _slice(items: exp.Expression, start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """DuckDB's `list_slice(x, a, b)` and `x[a:b]`: from a to b, both counted from 1 and both
    kept, a negative b counted from the end; Spark's `slice` takes a start and a length."""
    if isinstance(start, exp.Literal) and isinstance(end, exp.Literal):
        first, last = int(start.this), int(end.this)
        if first >= 1 and last >= 0:  # the common `x[1:20]`: a plain length
            return exp.Anonymous(this="slice", expressions=[
                items, start, exp.Literal.number(max(0, last - first + 1))])  # fmt: skip
    size = exp.Anonymous(this="size", expressions=[items.copy()])
    final = exp.Case(ifs=[exp.If(this=exp.LT(this=end.copy(), expression=exp.Literal.number(0)),
                                true=exp.Add(this=exp.Add(this=size, expression=end.copy()),
                                             expression=exp.Literal.number(1)))],
                    default=end)  # fmt: skip
    length = exp.Add(this=exp.Sub(this=exp.paren(final), expression=start.copy()),
                     expression=exp.Literal.number(1))  # fmt: skip
    return exp.Anonymous(this="slice", expressions=[items, start, length])


def _ordered_list(order: exp.Order, where: exp.Expression | None = None) -> exp.Expression:
    """`list(x ORDER BY y)`: Spark's `collect_list` keeps no order, so (y, x) pairs are
    collected, sorted (ties broken by x) and x taken from each."""
    keys = [o.this.copy() for o in order.expressions]
    descending = bool(order.expressions) and bool(order.expressions[0].args.get("desc"))
    fields: list[exp.Expression] = []
    for i, key in enumerate(keys):
        fields += [exp.Literal.string(f"k{i}"), key]
    fields += [exp.Literal.string("v"), order.this.copy()]
    pairs: exp.Expression = exp.Anonymous(this="collect_list", expressions=[
        exp.Anonymous(this="named_struct", expressions=fields)])  # fmt: skip
    if where is not None:
        pairs = exp.Filter(this=pairs, expression=where.copy())
    ordered = exp.Anonymous(this="sort_array", expressions=[
        pairs, exp.Boolean(this=not descending)])  # fmt: skip
    element = exp.to_identifier("_p")
    value = exp.Dot(this=exp.column(element.copy()), expression=exp.to_identifier("v"))
    return exp.Anonymous(this="transform", expressions=[
        ordered, exp.Lambda(this=value, expressions=[element])])  # fmt: skip


def _window(node: exp.Window) -> exp.Expression:
    spec = node.args.get("spec")
    if isinstance(spec, exp.WindowSpec):
        for end in ("start", "end"):
            bound = spec.args.get(end)
            seconds = _interval_seconds(bound)
            if seconds is not None:
                spec.set(end, exp.Interval(this=exp.Literal.string(str(seconds)),
                                           unit=exp.Var(this="SECOND")))  # fmt: skip
    counted = node.this
    if isinstance(counted, exp.Count) and isinstance(counted.this, exp.Distinct):
        values = counted.this.expressions
        if len(values) == 1:
            window = node.copy()
            window.set("this", exp.Anonymous(this="collect_set", expressions=[values[0].copy()]))
            return exp.Anonymous(this="size", expressions=[window])
    return node


def _interval_seconds(bound: object) -> int | None:
    if not isinstance(bound, exp.Interval):
        return None
    unit = bound.args.get("unit")
    amount = bound.this
    name = unit.name.upper().rstrip("S") if unit is not None else ""
    if not isinstance(amount, exp.Literal) or name not in _SECONDS:
        return None
    try:
        return int(float(amount.this) * _SECONDS[name])
    except ValueError:
        return None
