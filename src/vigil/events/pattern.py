"""EventBridge event patterns: validation with the offending path, and matching (spec §5.2).

A pattern has the event's nesting; leaves are arrays of conditions (OR); fields are ANDed;
`$or` ORs sub-patterns. A field the pattern names must exist in the event, except under
`{"exists": false}`. When the event holds an array, a condition matches if any element does;
an array of objects is matched element by element (all of a sub-pattern's fields on the same
element). Exact values compare with their JSON type: "5" is not 5, null only null.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

from vigil.errors import VigilError
from vigil.inputs import loads as bounded_loads

MAX_COMBINATIONS: Final = 1000
NUMERIC_LIMIT: Final = 5e9
_MISSING: Final = object()
_OPS: Final = ("<", "<=", "=", ">", ">=")

Test = Callable[[Any], bool]  # a test of one leaf value (never _MISSING unless exists: false)


class PatternInvalid(VigilError):
    """An event pattern that EventBridge would refuse; names the path."""

    def __init__(self, path: str, message: str) -> None:
        hint = 'leaves are arrays: {"detail": {"severity": [{"numeric": [">=", 7]}]}}'
        super().__init__(f"event pattern: {path or '(top)'}: {message}", hint=hint)
        self.path = path


def loads(text: str) -> Any:
    """JSON where a repeated key keeps its last value (as EventBridge does)."""
    try:
        return bounded_loads(text)
    except json.JSONDecodeError as exc:
        raise PatternInvalid(
            "", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise PatternInvalid("", "nested too deeply") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise PatternInvalid("", f"not JSON: {exc}") from exc


class Pattern:
    def __init__(self, pattern: dict[str, Any] | str) -> None:
        raw = loads(pattern) if isinstance(pattern, str) else pattern
        if not isinstance(raw, dict):
            raise PatternInvalid("", "a pattern is a JSON object")
        self.raw = raw
        try:
            self._test = _object(raw, "")
            combinations = _combinations(raw)
        except RecursionError as exc:
            raise PatternInvalid("", "nested too deeply") from exc
        if combinations > MAX_COMBINATIONS:
            raise PatternInvalid("", f"$or expands to more than {MAX_COMBINATIONS} combinations")

    def matches(self, event: dict[str, Any]) -> bool:
        return self._test(event)


def matches(pattern: dict[str, Any] | str, event: dict[str, Any]) -> bool:
    return Pattern(pattern).matches(event)


def _combinations(node: Any) -> int:
    if not isinstance(node, dict):
        return 1
    total = 1
    for key, value in node.items():
        if key == "$or" and isinstance(value, list):
            total *= sum(_combinations(v) for v in value)
        else:
            total *= _combinations(value)
    return total


def _object(node: dict[str, Any], path: str) -> Callable[[Any], bool]:
    """A test of an event object against a pattern object."""
    if not node:
        raise PatternInvalid(path, "an empty object matches nothing; leave the field out")
    tests: list[Callable[[Any], bool]] = []
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            if (
                not isinstance(value, list)
                or len(value) < 2
                or not all(isinstance(v, dict) for v in value)
            ):
                raise PatternInvalid(where, "$or takes an array of at least two objects")
            subs = [_object(v, path) for v in value]
            tests.append(_any_of(subs))
        elif isinstance(value, dict):
            inner = _object(value, where)
            tests.append(_nested_test(key, inner))
        elif isinstance(value, list):
            tests.append(_leaf(key, value, where))
        else:
            raise PatternInvalid(
                where, f"must be an array of values or conditions, not {json.dumps(value)}"
            )
    return lambda event: isinstance(event, dict) and all(t(event) for t in tests)


def _any_of(subs: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    return lambda event: any(s(event) for s in subs)


def _nested_test(key: str, inner: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda event: _nested(event, key, inner)


def _equals(c: Any) -> Test:
    return lambda v: _same(v, c)


def _nested(event: dict[str, Any], key: str, inner: Callable[[Any], bool]) -> bool:
    value = event.get(key, _MISSING)
    if isinstance(value, list):
        return any(inner(v) for v in _flat(value))
    return value is not _MISSING and inner(value)


def _flat(values: list[Any]) -> Iterator[Any]:
    """The items of an array, arrays of arrays included (a pattern matches inside them)."""
    for v in values:
        if isinstance(v, list):
            yield from _flat(v)
        else:
            yield v


def _leaf(key: str, conditions: list[Any], path: str) -> Callable[[Any], bool]:
    if not conditions:
        raise PatternInvalid(path, "an empty array matches nothing")
    tests = [_condition(c, path) for c in conditions]
    absent_ok = any(isinstance(c, dict) and c.get("exists") is False for c in conditions)

    def test(event: dict[str, Any]) -> bool:
        value = event.get(key, _MISSING)
        if value is _MISSING or isinstance(value, dict):
            # exists tests leaf values: a key holding an object has none, as if it were absent
            return absent_ok
        if absent_ok and len(tests) == 1:
            return False  # exists: false, and the field is there
        values = list(_flat(value)) if isinstance(value, list) else [value]
        return any(t(v) for t in tests for v in values)

    return test


def _same(a: Any, b: Any) -> bool:
    """Exact match with JSON types: numbers by their JSON text, bool is not a number."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return json.dumps(a) == json.dumps(b)


def _condition(c: Any, path: str) -> Test:
    if not isinstance(c, dict):
        if isinstance(c, list):
            raise PatternInvalid(path, "nested arrays are not allowed")
        return _equals(c)
    if len(c) != 1:
        raise PatternInvalid(path, f"one operator per condition, found {', '.join(c) or 'none'}")
    op, arg = next(iter(c.items()))
    builder = _OPERATORS.get(op)
    if builder is None:
        raise PatternInvalid(path, f"unknown operator {op!r}; one of {', '.join(_OPERATORS)}")
    return builder(arg, path)


def _string_arg(arg: Any, path: str, op: str) -> str:
    if not isinstance(arg, str):
        raise PatternInvalid(path, f"{op} takes a string")
    return arg


def _text_matcher(op: str, arg: Any, path: str) -> Callable[[str], bool]:
    """prefix / suffix (optionally {"equals-ignore-case": …}), equals-ignore-case, wildcard."""
    if op in ("prefix", "suffix") and isinstance(arg, dict):
        if list(arg) != ["equals-ignore-case"]:
            raise PatternInvalid(path, f'{op} takes a string or {{"equals-ignore-case": …}}')
        text = _string_arg(arg["equals-ignore-case"], path, op).casefold()
        if op == "prefix":
            return lambda v: v.casefold().startswith(text)
        return lambda v: v.casefold().endswith(text)
    text = _string_arg(arg, path, op)
    if op == "prefix":
        return lambda v: v.startswith(text)
    if op == "suffix":
        return lambda v: v.endswith(text)
    if op == "equals-ignore-case":
        folded = text.casefold()
        return lambda v: v.casefold() == folded
    if "**" in text:
        raise PatternInvalid(path, "wildcard: consecutive * are not allowed")
    regex = re.compile(".*".join(re.escape(p) for p in text.split("*")), re.DOTALL)
    return lambda v: regex.fullmatch(v) is not None


def _string_op(op: str) -> Callable[[Any, str], Test]:
    def build(arg: Any, path: str) -> Test:
        test = _text_matcher(op, arg, path)
        return lambda v: isinstance(v, str) and test(v)

    return build


def _anything_but(arg: Any, path: str) -> Test:
    if isinstance(arg, dict):
        if len(arg) != 1 or next(iter(arg)) not in (
            "prefix",
            "suffix",
            "equals-ignore-case",
            "wildcard",
        ):
            raise PatternInvalid(
                path,
                "anything-but takes a value, a list, or one of prefix, "
                "suffix, equals-ignore-case, wildcard",
            )
        op, inner = next(iter(arg.items()))
        values = inner if isinstance(inner, list) else [inner]
        tests = [_text_matcher(op, v, path) for v in values]
        return lambda v: isinstance(v, str) and not any(t(v) for t in tests)
    values = arg if isinstance(arg, list) else [arg]
    kinds = {type(v) for v in values}
    if not values or not (kinds <= {str} or kinds <= {int, float}) or bool in kinds:
        raise PatternInvalid(path, "anything-but lists hold only strings or only numbers")
    return lambda v: not any(_same(v, x) for x in values)


def _numeric(arg: Any, path: str) -> Test:
    if not isinstance(arg, list) or not arg or len(arg) % 2 or len(arg) > 4:
        raise PatternInvalid(path, 'numeric takes operator/value pairs: [">", 0, "<=", 5]')
    checks: list[tuple[str, float]] = []
    for op, value in zip(arg[::2], arg[1::2], strict=True):
        if op not in _OPS:
            raise PatternInvalid(path, f"numeric operator {op!r}: one of {' '.join(_OPS)}")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise PatternInvalid(path, f"numeric compares with numbers, not {json.dumps(value)}")
        if abs(value) > NUMERIC_LIMIT:
            raise PatternInvalid(path, "numeric values are within -5e9 and 5e9")
        checks.append((op, float(value)))
    if len(checks) == 2 and (
        "=" in (checks[0][0], checks[1][0]) or checks[0][0][0] == checks[1][0][0]
    ):
        raise PatternInvalid(path, "numeric: one lower and one upper bound")
    compare = {
        "<": float.__lt__,
        "<=": float.__le__,
        "=": float.__eq__,
        ">": float.__gt__,
        ">=": float.__ge__,
    }

    def test(v: Any) -> bool:
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            return False
        return all(compare[op](float(v), x) for op, x in checks)

    return test


def _exists(arg: Any, path: str) -> Test:
    if not isinstance(arg, bool):
        raise PatternInvalid(path, "exists takes true or false")
    return lambda v: arg  # reached only when the field is present (false is handled above)


def _cidr(arg: Any, path: str) -> Test:
    try:
        network = ipaddress.ip_network(_string_arg(arg, path, "cidr"), strict=False)
    except ValueError as exc:
        raise PatternInvalid(path, f"cidr {arg!r} is not a network") from exc

    def test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        try:
            address = ipaddress.ip_address(v)
        except ValueError:
            return False
        return address.version == network.version and address in network

    return test


_OPERATORS: Final[dict[str, Callable[[Any, str], Test]]] = {
    "prefix": _string_op("prefix"),
    "suffix": _string_op("suffix"),
    "equals-ignore-case": _string_op("equals-ignore-case"),
    "wildcard": _string_op("wildcard"),
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": _exists,
    "cidr": _cidr,
}
