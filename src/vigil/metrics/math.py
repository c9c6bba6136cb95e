"""A part of CloudWatch metric math, for dashboard widgets: arithmetic over the ids of a
widget's metrics (`m1 + m2`, `100 * m1 / m2`, numbers, parentheses) and SUM, AVG, MIN and MAX
of `METRICS()` (every metric of the widget, or those whose id contains a text:
`METRICS("m")`). Pure: columns in, a column out; a gap (None) in any operand is a gap in the
result, a division by zero too. Anything else is refused with the expression's own words."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Final

from vigil.errors import VigilError

Column = list[float | None]
_OPS: Final[dict[type, Callable[[float, float], float]]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
}  # fmt: skip
_FOLDS: Final[dict[str, Callable[[list[float]], float]]] = {
    "SUM": sum, "AVG": lambda v: sum(v) / len(v), "MIN": min, "MAX": max,
}  # fmt: skip


class MathError(VigilError):
    """An expression this part of metric math cannot evaluate."""


def evaluate(expression: str, columns: dict[str, Column], length: int,
             metrics: set[str] | None = None) -> Column:  # fmt: skip
    """`columns` by id (metrics and earlier expressions); `metrics`: the ids METRICS() takes
    (all of `columns` when not given)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise MathError(f"cannot read the expression {expression!r}: {exc.msg}") from None
    return _Eval(columns, length, expression, metrics).run(tree.body)


class _Eval:
    def __init__(self, columns: dict[str, Column], n: int, text: str,
                 metrics: set[str] | None) -> None:  # fmt: skip
        self.columns, self.n, self.text = columns, n, text
        self.metrics = set(columns) if metrics is None else metrics

    def run(self, node: ast.AST) -> Column:
        return _eval(node, self)


def _eval(node: ast.AST, e: _Eval) -> Column:
    columns, n, text = e.columns, e.n, e.text
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return [float(node.value)] * n
    if isinstance(node, ast.Name):
        if node.id not in columns:
            raise MathError(f"{text!r}: no metric with the id {node.id!r} in this widget")
        return columns[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [None if v is None else -v for v in _eval(node.operand, e)]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        op = _OPS[type(node.op)]
        left, right = _eval(node.left, e), _eval(node.right, e)
        return [_apply(op, a, b) for a, b in zip(left, right, strict=True)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FOLDS:
        chosen = _metrics(node, {k: v for k, v in columns.items() if k in e.metrics}, text)
        fold = _FOLDS[node.func.id]
        out: Column = []
        for i in range(n):
            present = [c[i] for c in chosen if c[i] is not None]
            out.append(fold([v for v in present if v is not None]) if present else None)
        return out
    raise MathError(f"{text!r}: only + - * /, numbers, metric ids and SUM/AVG/MIN/MAX(METRICS())"
                    " are drawn here")  # fmt: skip


def _metrics(call: ast.Call, columns: dict[str, Column], text: str) -> list[Column]:
    [arg] = call.args if len(call.args) == 1 else [None]
    if not (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name)
            and arg.func.id == "METRICS"):  # fmt: skip
        raise MathError(f"{text!r}: {getattr(call.func, 'id', '?')} takes METRICS()")
    wanted = ""
    if arg.args:
        first = arg.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            raise MathError(f"{text!r}: METRICS takes a text")
        wanted = first.value
    return [c for ident, c in columns.items() if wanted in ident]


def _apply(op: Callable[[float, float], float], a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    try:
        return op(a, b)
    except ZeroDivisionError:
        return None
