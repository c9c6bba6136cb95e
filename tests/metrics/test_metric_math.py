"""Metric math as dashboard widgets draw it: cases as data, each an expression over columns
with the column it must give (None: a gap)."""

from __future__ import annotations

import pytest

from vigil.metrics.dashboard_view import read_body
from vigil.metrics.math import MathError, evaluate

COLUMNS = {"m1": [1.0, 2.0, None, 4.0], "m2": [10.0, 0.0, 3.0, 4.0], "e1": [5.0, 5.0, 5.0, 5.0]}
METRICS = {"m1", "m2"}
CASES = [
    ("m1 + m2", [11.0, 2.0, 3.0, 8.0]),  # AWS: a missing value counts as 0 beside a point
    ("100 * m1 / m2", [10.0, None, 0.0, 100.0]),  # a division by zero drops the point
    ("-m1", [-1.0, -2.0, None, -4.0]),
    ("(m1 + 1) * 2", [4.0, 6.0, None, 10.0]),
    ("SUM(METRICS())", [11.0, 2.0, 3.0, 8.0]),  # a gap in one metric: the others still count
    ("MAX(METRICS())", [10.0, 2.0, 3.0, 4.0]),
    ('AVG(METRICS("2"))', [10.0, 0.0, 3.0, 4.0]),  # only ids containing "2"
    ("e1 - m2", [-5.0, 5.0, 2.0, 1.0]),  # an earlier expression by its id
    ("m1 + 1", [2.0, 3.0, None, 5.0]),  # a series and a number: only the series' points
    ("TIME_SERIES(3)", [3.0, 3.0, 3.0, 3.0]),  # a bare number is not a series (AWS)
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_expression(expression: str, expected: list[float | None]) -> None:
    assert evaluate(expression, COLUMNS, 4, METRICS) == expected


@pytest.mark.parametrize(("expression", "says"), [
    ("m3 + 1", "no metric or expression with the id 'm3'"),
    ("NOT_A_FUNCTION(m1)", "NOT_A_FUNCTION is not a metric math function"),
    ("sum(m1)", "functions are written in upper case: SUM"),
    ("SUM(m1)", "the result is a single number"),
    ("m1 +", "cannot read the expression"),
    ("__import__('os')", "__import__ is not a metric math function"),
    ("m1.real", "only numbers, ids"),
])  # fmt: skip
def test_what_is_not_drawn_says_why(expression: str, says: str) -> None:
    with pytest.raises(MathError, match=says.replace("(", r"\(").replace(")", r"\)")
                       .replace("*", r"\*").replace("+", r"\+")):  # fmt: skip
        evaluate(expression, COLUMNS, 4, METRICS)


def test_a_widgets_rows_become_metrics_and_expressions() -> None:
    body = (
        '{"start": "-PT3H", "widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, '
        '"height": 6, "properties": {"stat": "Sum", "period": 60, "metrics": ['
        '["AWS/EC2", "CPUUtilization", "InstanceId", "i-1", {"id": "a", "visible": false}],'
        '[".", ".", ".", "i-2", {"id": "b", "stat": "Maximum"}],'
        '[{"expression": "a + b", "label": "both", "id": "e1"}]]}}]}'
    )
    [widget], seconds = read_body(body)
    assert seconds == 3 * 3600
    a, b, e1 = widget.lines
    assert a.metric is not None and a.metric.dimensions == (("InstanceId", "i-1"),)
    assert not a.visible and b.stat == "Maximum" and b.metric is not None
    assert b.metric.name == "CPUUtilization" and b.metric.dimensions == (("InstanceId", "i-2"),)
    assert e1.metric is None and e1.expression == "a + b" and e1.label == "both"
