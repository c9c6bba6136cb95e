"""CloudWatch metric math: expressions over the ids of metrics and earlier expressions, as
GetMetricData, dashboards and alarms evaluate them.

The grammar is AWS's: numbers, ids, `"text"` and `'text'`, `+ - * / ^`, comparisons
`== != < <= > >=`, `AND`/`&&`, `OR`/`||`, parentheses, arrays `[m1, m2]` and upper-case
function calls (the table in `math_functions`, plus IF and METRICS here). Values are scalars,
series and arrays of series (`math_values`); the final result must be a series or an array.
Pure: the context holds the data and, for SEARCH, a callable that reads the store."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Final

from vigil.metrics.math_functions import FUNCTIONS, UNSUPPORTED, register
from vigil.metrics.math_values import (
    Context,
    Keyword,
    Many,
    MathError,
    Named,
    Value,
    combine,
    grid,
    kind,
)

__all__ = ["Context", "Many", "MathError", "Named", "check_expression", "evaluate",
           "evaluate_expression", "grid", "register"]  # fmt: skip

MAX_LENGTH: Final = 2048
Column = list[float | None]
_WORDS: Final = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|&&|\|\||\bAND\b|\bOR\b|\^""")
_SPELLED: Final = {"&&": " and ", "AND": " and ", "||": " or ", "OR": " or ", "^": "**"}
_ARITHMETIC: Final[dict[type, Callable[[float, float], float]]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: lambda a, b: _power(a, b),
}  # fmt: skip
_COMPARE: Final[dict[type, Callable[[float, float], bool]]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}  # fmt: skip


def _power(a: float, b: float) -> float:
    got = a**b
    return got if isinstance(got, float) else math.nan  # (-8) ^ 0.5: no real number


def evaluate_expression(expression: str, ctx: Context) -> Named | Many:
    """The expression's series (or array of series) in the context."""
    ctx.text = expression
    if len(expression) > MAX_LENGTH:
        raise ctx.fail(f"an expression is at most {MAX_LENGTH} characters")
    try:
        tree = ast.parse(_python(expression), mode="eval")
    except SyntaxError as exc:
        raise MathError(f"cannot read the expression {expression!r}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ctx.fail("the expression nests too deeply") from None
    try:
        result = _eval(tree.body, ctx)
    except RecursionError:
        raise ctx.fail("the expression nests too deeply") from None
    if isinstance(result, Named | Many):
        return result
    if isinstance(result, float):
        raise ctx.fail("the result is a single number, not a time series (TIME_SERIES(...) "
                       "makes one)")  # fmt: skip
    raise ctx.fail(f"the result is {kind(result)}, not a time series")


def check_expression(expression: str) -> str | None:
    """Why the expression cannot be evaluated whatever the data (its syntax, a function Vigil
    does not know or does not have), or None."""
    try:
        tree = ast.parse(_python(expression), mode="eval")
    except SyntaxError as exc:
        return f"cannot read the expression {expression!r}: {exc.msg}"
    except (RecursionError, MemoryError):
        return f"{expression!r}: the expression nests too deeply"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in FUNCTIONS and name not in ("IF", "METRICS"):
                return f"{expression!r}: {name} is not a metric math function Vigil knows"
            if name in UNSUPPORTED:
                return f"{expression!r}: {name} is not supported by Vigil"
    return None


def _python(expression: str) -> str:
    return _WORDS.sub(lambda m: m.group(1) or _SPELLED[m.group(0)], expression.strip())


def evaluate(expression: str, columns: dict[str, Column], length: int,
             metrics: set[str] | None = None) -> Column:  # fmt: skip
    """Columns in, a column out (None: no point), over positions 0..length-1: the shape the
    dashboards first used. `metrics`: the ids METRICS() takes (all of `columns` if None)."""
    values: dict[str, Named | Many] = {
        ident: Named(ident, {i: v for i, v in enumerate(col) if v is not None})
        for ident, col in columns.items()
    }  # fmt: skip
    ids = [i for i in columns if metrics is None or i in metrics]
    ctx = Context(values, ids, list(range(length)), 1)
    result = evaluate_expression(expression, ctx)
    if isinstance(result, Many):
        if len(result.items) != 1:
            raise ctx.fail(f"gives {len(result.items)} series where one is drawn")
        result = result.items[0]
    return [result.points.get(i) for i in range(length)]


def _eval(node: ast.AST, ctx: Context) -> Value:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ctx.fail(f"{node.value} is not a number")
        try:
            return float(node.value)
        except OverflowError:
            raise ctx.fail("a number too large for metric math") from None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return _name(node.id, ctx)
    if isinstance(node, ast.List):
        return _array([_eval(item, ctx) for item in node.elts], ctx)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return combine(sign, _eval(node.operand, ctx), operator.mul, ctx)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _eval(node.left, ctx), _eval(node.right, ctx)
        return combine(left, right, _ARITHMETIC[type(node.op)], ctx)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        return _compare(node, ctx)
    if isinstance(node, ast.BoolOp):
        both = isinstance(node.op, ast.And)
        result = _eval(node.values[0], ctx)
        for item in node.values[1:]:
            result = combine(result, _eval(item, ctx), _logic(both), ctx)
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _call(node.func.id, node.args, ctx)
    raise ctx.fail("only numbers, ids, + - * / ^, comparisons, AND/OR, [arrays] and FUNCTIONS() "
                   "are metric math")  # fmt: skip


def _name(ident: str, ctx: Context) -> Value:
    if ident in ctx.values:
        return ctx.values[ident]
    if ident.isupper():
        return Keyword(ident)
    raise ctx.fail(f"no metric or expression with the id {ident!r}")


def _array(items: list[Value], ctx: Context) -> Many:
    series: list[Named] = []
    for item in items:
        if isinstance(item, Many):
            series.extend(item.items)
        elif isinstance(item, Named):
            series.append(item)
        else:
            raise ctx.fail(f"an array holds time series, not {kind(item)}")
    return Many(tuple(series))


def _logic(both: bool) -> Callable[[float, float], float]:
    if both:
        return lambda a, b: float(a != 0 and b != 0)
    return lambda a, b: float(a != 0 or b != 0)


def _compare(node: ast.Compare, ctx: Context) -> Value:
    """0/1 per point; a chain `a < b < c` is `a < b AND b < c`."""
    operands = [_eval(node.left, ctx)] + [_eval(c, ctx) for c in node.comparators]
    result: Value | None = None
    for i, op in enumerate(node.ops):
        test = _COMPARE[type(op)]
        step = combine(operands[i], operands[i + 1], _truth(test), ctx)
        result = step if result is None else combine(result, step, _logic(True), ctx)
    assert result is not None
    return result


def _truth(test: Callable[[float, float], bool]) -> Callable[[float, float], float]:
    return lambda a, b: float(test(a, b))


def _call(name: str, args: list[ast.expr], ctx: Context) -> Value:
    if name == "METRICS":
        return _metrics(args, ctx)
    values = [_eval(a, ctx) for a in args]
    if name == "IF":
        return _if(values, ctx)
    fn = FUNCTIONS.get(name)
    if fn is None:
        if name.upper() in FUNCTIONS or name.upper() in ("IF", "METRICS"):
            raise ctx.fail(f"functions are written in upper case: {name.upper()}")
        raise ctx.fail(f"{name} is not a metric math function Vigil knows")
    return fn(ctx, values)


def _metrics(args: list[ast.expr], ctx: Context) -> Many:
    wanted = ""
    if args:
        first = args[0]
        if len(args) > 1 or not (isinstance(first, ast.Constant) and isinstance(first.value,
                                                                                str)):  # fmt: skip
            raise ctx.fail("METRICS takes nothing or one text in quotes")
        wanted = first.value
    chosen = [ctx.values[i] for i in ctx.metric_ids if wanted in i and i in ctx.values]
    return _array(list(chosen), ctx)


def _if(args: list[Value], ctx: Context) -> Value:
    """IF(condition, a[, b]) as AWS's tables define it: per point of the condition, a (0 where
    a is a series without that point) when it is not 0, else b (dropped without b's point)."""
    if not 2 <= len(args) <= 3:
        raise ctx.fail(f"IF takes 2 or 3 arguments, not {len(args)}")
    cond, yes = args[0], args[1]
    no = args[2] if len(args) == 3 else None
    for v in (yes, no):
        if v is not None and not isinstance(v, float | Named):
            raise ctx.fail(f"IF chooses between numbers and time series, not {kind(v)}")
    if isinstance(cond, float):
        chosen = yes if cond != 0 else no
        if chosen is None:
            return Named("IF", {})
        if isinstance(chosen, float):
            return Named("IF", {t: chosen for t in ctx.grid})
        return chosen
    if not isinstance(cond, Named):
        raise ctx.fail(f"IF's condition is a number or a time series, not {kind(cond)}")
    out: dict[int, float] = {}
    for t, c in cond.sorted():
        pick = yes if c != 0 else no
        if isinstance(pick, float):
            out[t] = pick
        elif isinstance(pick, Named) and t in pick.points:
            out[t] = pick.points[t]
        elif pick is yes:
            out[t] = 0.0
    return Named("IF", out)
