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

from vigil.errors import VigilError
from vigil.formats.cloudtrail_fields import getter

Row = dict[str, Any]
_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL}


class Unsupported(VigilError):
    """A rule feature the engines do not run; the reason is shown to the user."""


Test = Callable[[Row, dict[str, Any]], bool]


def compile_test(rule: SigmaRule) -> Test:
    """The rule as test(row, cache): all its conditions OR-ed, as Sigma defines. Rules that
    look at the same event share the cache (parsed JSON parts)."""
    tests = [_node(c.parse()) for c in rule.detection.parsed_condition]
    if len(tests) == 1:
        return tests[0]
    return lambda row, c: any(test(row, c) for test in tests)


def _node(node: Any) -> Callable[[Row, dict[str, Any]], bool]:
    if isinstance(node, ConditionAND):
        parts = [_node(a) for a in node.args]

        def every(row: Row, c: dict[str, Any]) -> bool:
            for part in parts:  # noqa: SIM110 (a loop is faster than all() over a generator)
                if not part(row, c):
                    return False
            return True

        return every
    if isinstance(node, ConditionOR):
        parts = [_node(a) for a in node.args]

        def some(row: Row, c: dict[str, Any]) -> bool:
            for part in parts:  # noqa: SIM110 (a loop is faster than any() over a generator)
                if part(row, c):
                    return True
            return False

        return some
    if isinstance(node, ConditionNOT):
        inner = _node(node.args[0])
        return lambda row, c: not inner(row, c)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _field(node.field, node.value)
    if isinstance(node, ConditionValueExpression):
        raise Unsupported("keyword (field-less) search is not supported")
    raise Unsupported(f"condition {type(node).__name__} is not supported")


def _field(field: str, value: Any) -> Callable[[Row, dict[str, Any]], bool]:
    get = getter(field)
    if isinstance(value, SigmaExists):
        want = value.exists
        return lambda row, c: (get(row, c) is not None) == want
    test = _value_test(value)
    return lambda row, c: test(get(row, c))


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
        simple = _simple_wildcard(value)
        if simple is not None:
            return simple
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


def _simple_wildcard(value: SigmaString) -> Callable[[str | None], bool] | None:
    """contains / startswith / endswith without a regular expression (the common modifiers)."""
    parts = value.s
    multi = [isinstance(p, str) for p in parts]
    texts = [p for p in parts if isinstance(p, str)]
    if len(texts) != 1 or any(not isinstance(p, str) and p.name != "WILDCARD_MULTI" for p in parts):
        return None
    text = texts[0].lower()
    if multi == [False, True, False]:
        return lambda v: v is not None and text in v.lower()
    if multi == [True, False]:
        return lambda v: v is not None and v.lower().startswith(text)
    if multi == [False, True]:
        return lambda v: v is not None and v.lower().endswith(text)
    return None


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
