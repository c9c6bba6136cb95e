"""Evaluate a Sigma rule on one CloudTrail lake row in Python: the streaming path.

It walks the condition tree pySigma parsed, with the same field mapping and the same value
semantics as the SQL the backend generates (case-insensitive strings, wildcards, regular
expressions, CIDR, null and exists, numeric comparisons), so both paths match the same records.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
)

from vigil.detect.sigma_fields import row_value

Row = dict[str, Any]
_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL}


class Unsupported(ValueError):
    """A rule feature the engines do not run; the reason is shown to the user."""


def compile_rule(rule: SigmaRule) -> Callable[[Row], bool]:
    """A predicate for the rule (all its conditions OR-ed, as Sigma defines)."""
    trees = [c.parse() for c in rule.detection.parsed_condition]
    tests = [_node(t) for t in trees]
    return lambda row: _match(tests, row)


def _match(tests: list[Callable[[Row, dict[str, Any]], bool]], row: Row) -> bool:
    cache_: dict[str, Any] = {}
    return any(test(row, cache_) for test in tests)


def _node(node: Any) -> Callable[[Row, dict[str, Any]], bool]:
    if isinstance(node, ConditionAND):
        parts = [_node(a) for a in node.args]
        return lambda row, c: all(p(row, c) for p in parts)
    if isinstance(node, ConditionOR):
        parts = [_node(a) for a in node.args]
        return lambda row, c: any(p(row, c) for p in parts)
    if isinstance(node, ConditionNOT):
        inner = _node(node.args[0])
        return lambda row, c: not inner(row, c)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _field(node.field, node.value)
    if isinstance(node, ConditionValueExpression):
        raise Unsupported("keyword (field-less) search is not supported")
    raise Unsupported(f"condition {type(node).__name__} is not supported")


def _field(field: str, value: Any) -> Callable[[Row, dict[str, Any]], bool]:
    test = _value_test(value)
    if isinstance(value, SigmaExists):
        want = value.exists
        return lambda row, c: (row_value(row, field, c) is not None) == want
    return lambda row, c: test(row_value(row, field, c))


def _value_test(value: Any) -> Callable[[str | None], bool]:
    if isinstance(value, SigmaExists):
        return lambda v: True
    if isinstance(value, SigmaNull):
        return lambda v: v is None
    if isinstance(value, SigmaString):
        if value.contains_placeholder():
            raise Unsupported("placeholders (the expand modifier) are not supported")
        if not value.contains_special():
            plain = str(value).lower()
            return lambda v: v is not None and v.lower() == plain
        pattern = _wildcard(value)
        return lambda v: v is not None and pattern.fullmatch(v) is not None
    if isinstance(value, SigmaRegularExpression):
        flags = 0
        for flag in value.flags:
            flags |= value.sigma_to_python_flags[flag]
        regex = re.compile(str(value.regexp), flags)
        return lambda v: v is not None and regex.search(v) is not None
    if isinstance(value, SigmaBool):
        text = "true" if value.boolean else "false"
        return lambda v: v is not None and v.lower() == text
    if isinstance(value, SigmaNumber):
        number = float(value.number)
        return lambda v: _number(v) == number
    if isinstance(value, SigmaCompareExpression):
        bound = float(value.number.number)
        op = {
            SigmaCompareExpression.CompareOperators.LT: float.__lt__,
            SigmaCompareExpression.CompareOperators.LTE: float.__le__,
            SigmaCompareExpression.CompareOperators.GT: float.__gt__,
            SigmaCompareExpression.CompareOperators.GTE: float.__ge__,
        }[value.op]
        return lambda v: (n := _number(v)) is not None and op(n, bound)
    if isinstance(value, SigmaCIDRExpression):
        network = ipaddress.ip_network(str(value.network), strict=False)
        return lambda v: _in_network(v, network)
    raise Unsupported(f"value type {type(value).__name__} is not supported")


@cache
def _wildcard_cached(parts: str) -> re.Pattern[str]:
    return re.compile(parts, re.IGNORECASE | re.DOTALL)


def _wildcard(value: SigmaString) -> re.Pattern[str]:
    out = []
    for part in value.s:
        if isinstance(part, str):
            out.append(re.escape(part))
        elif part.name == "WILDCARD_MULTI":
            out.append(".*")
        elif part.name == "WILDCARD_SINGLE":
            out.append(".")
        else:
            raise Unsupported(f"placeholder {part} is not supported")
    return _wildcard_cached("".join(out))


def _number(v: str | None) -> float | None:
    try:
        return None if v is None else float(v)
    except ValueError:
        return None


def _in_network(v: str | None, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if v is None:
        return False
    try:
        return ipaddress.ip_address(v) in network
    except ValueError:
        return False
