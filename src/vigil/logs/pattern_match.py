"""Filter patterns evaluated in Python, event by event (the streaming path).

`compile_pattern(text)` parses once and returns a `Matcher`: `matches(message)` for the yes/no,
`extract(message)` for TestMetricFilter's extracted values and for metric values and
dimensions (`$.json.path`, `$field`). The rules are the parser module's; `pattern_sql` states
the same in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import msgspec

from vigil.logs import pattern as p

MISSING: Final = object()
TOKENS: Final = re.compile(r'\[[^\]]*\]|"[^"]*"|[^ ]+')  # the same expression runs in SQL
_ALNUM: Final = "A-Za-z0-9"
_decode = msgspec.json.Decoder()

Test = Callable[[Any], bool]


@dataclass(frozen=True)
class Matcher:
    text: str
    tree: p.Pattern
    matches: Callable[[str], bool]

    def extract(self, message: str) -> dict[str, str] | None:
        """None when the event does not match; else the values the pattern names."""
        if not self.matches(message):
            return None
        if isinstance(self.tree, p.Spaced):
            fields = spaced_fields(self.tree, message)
            return {f"${k}": v for k, v in (fields or {}).items() if k}
        if isinstance(self.tree, p.Json):
            doc = _json(message)
            out = {}
            for selector in p.selectors(self.tree):
                value = resolve(doc, selector.path)
                if value is not MISSING and not isinstance(value, dict | list):
                    out[selector.text] = scalar_text(value)
            return out
        return {}

    def value(self, message: str, reference: str) -> str | None:
        """A metric value or dimension: `$.a.b` from the JSON event, `$name` a spaced field."""
        if reference.startswith("$."):
            path = parse_path(reference)
            found = resolve(_json(message), path)
            if found is MISSING or found is None or isinstance(found, dict | list):
                return None
            return scalar_text(found)
        if reference.startswith("$") and isinstance(self.tree, p.Spaced):
            return (spaced_fields(self.tree, message) or {}).get(reference[1:])
        return None


@lru_cache(maxsize=1024)
def compile_pattern(text: str) -> Matcher:
    tree = p.parse(text)
    if isinstance(tree, p.Terms):
        return Matcher(text, tree, _terms(tree))
    if isinstance(tree, p.Json):
        test = _expr(tree.expr, json=True)

        def json_match(message: str) -> bool:
            doc = _json(message)
            return doc is not MISSING and test(doc)

        return Matcher(text, tree, json_match)
    spaced = tree
    tests = [_expr(f.expr, json=False) for f in spaced.fields if f.expr]

    def spaced_match(message: str) -> bool:
        fields = spaced_fields(spaced, message)
        return fields is not None and all(test(fields) for test in tests)

    return Matcher(text, tree, spaced_match)


def term_regex(term: p.Term) -> str:
    """The term as a regular expression: itself for `%…%`, else the text at alphanumeric
    boundaries. Valid in Python's `re` and in RE2 (DuckDB) alike."""
    if term.regex:
        return term.text
    body = re.escape(term.text)
    head = f"(?:^|[^{_ALNUM}])" if term.text[:1].isalnum() else ""
    tail = f"(?:[^{_ALNUM}]|$)" if term.text[-1:].isalnum() else ""
    return head + body + tail


def _terms(tree: p.Terms) -> Callable[[str], bool]:
    compiled = [(t, p.compile_regex(term_regex(t), re.ASCII | re.DOTALL)) for t in tree.terms]

    def found(term: p.Term, regex: re.Pattern[str], message: str) -> bool:
        return (term.regex or term.text in message) and regex.search(message) is not None

    if not compiled:
        return lambda message: True
    if compiled[0][0].kind == "any":
        return lambda message: any(found(t, r, message) for t, r in compiled)
    return lambda message: all(found(t, r, message) == (t.kind == "all") for t, r in compiled)


def _json(message: str) -> Any:
    try:
        return _decode.decode(message)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return MISSING


def parse_path(reference: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for name, index in re.findall(r"\.([A-Za-z0-9_\-@]+)|\[([0-9]+)\]", reference[1:]):
        parts.append(name if name else int(index))
    return tuple(parts)


def resolve(doc: Any, path: tuple[str | int, ...]) -> Any:
    value = doc
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return MISSING
        elif not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def spaced_fields(tree: p.Spaced, message: str) -> dict[str, str] | None:
    """The message's tokens under the pattern's field names; None when the count is wrong."""
    tokens = [_unwrap(t) for t in TOKENS.findall(message)]
    n_before, n_after = len(tree.before), len(tree.after)
    if len(tokens) < n_before + n_after or (not tree.open_end and len(tokens) != n_before):
        return None
    out: dict[str, str] = {}
    for i, f in enumerate(tree.before):
        if not tree.rest and i == n_before - 1:
            out[f.name] = " ".join(tokens[i:])
        else:
            out[f.name] = tokens[i]
    for i, f in enumerate(tree.after):
        out[f.name] = tokens[len(tokens) - n_after + i]
    return out


def _unwrap(token: str) -> str:
    if len(token) >= 2 and (token[0], token[-1]) in (("[", "]"), ('"', '"')):
        return token[1:-1]
    return token


def glob_regex(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)


def _expr(expr: p.Expr, json: bool) -> Test:
    if isinstance(expr, p.Both):
        items = [_expr(e, json) for e in expr.items]
        return lambda doc: all(t(doc) for t in items)
    if isinstance(expr, p.Either):
        items = [_expr(e, json) for e in expr.items]
        return lambda doc: any(t(doc) for t in items)
    path = expr.selector.path
    if isinstance(expr, p.Check):
        want = {"null": None, "true": True, "false": False}.get(expr.kind)
        if expr.kind == "missing":
            return lambda doc: resolve(doc, path) is MISSING
        return lambda doc: resolve(doc, path) is want
    compare = _compare(expr, json)
    if json:
        return lambda doc: compare(resolve(doc, path))
    name = expr.selector.text
    return lambda fields: compare(fields.get(name, MISSING))


def _compare(expr: p.Compare, json: bool) -> Test:
    """A test of one value: a JSON value (json) or a field's text (space-delimited)."""
    op, value = expr.op, expr.value
    negate = op == "!="
    if isinstance(value, p.Number):
        target, as_text = value.value, value.text
        number = _NUMERIC[op]

        def numeric(v: Any) -> bool:
            if isinstance(v, bool):
                return negate
            if v is MISSING or v is None or isinstance(v, dict | list):
                return False
            if isinstance(v, int | float):
                return number(float(v), target)
            if json or not p.NUMBER.fullmatch(v):  # a string: as text, and only = and !=
                return op in ("=", "!=") and (v == as_text) != negate
            return number(float(v), target)

        return numeric
    if isinstance(value, p.Regex):
        regex = p.compile_regex(value.text, re.ASCII | re.DOTALL)
        return lambda v: (
            (isinstance(v, str) and (regex.search(v) is not None) != negate)
            or (negate and _other_scalar(v))
        )
    if value.glob and value.text == "*" and json:
        # `{ $.latency = * }`: any value the field holds, numbers and booleans too (AWS's
        # example publishes $.latency of {"latency": 50} this way); `!= *` holds for none
        return lambda v: (
            not negate and v is not MISSING and v is not None and not isinstance(v, dict | list)
        )
    if value.glob:
        glob = glob_regex(value.text)
        return lambda v: (
            (isinstance(v, str) and (glob.fullmatch(v) is not None) != negate)
            or (negate and _other_scalar(v))
        )
    text = value.text
    return lambda v: (isinstance(v, str) and (v == text) != negate) or (negate and _other_scalar(v))


def _other_scalar(v: Any) -> bool:
    """`!=` a string also holds for a present number or boolean (but not null or missing)."""
    return v is not MISSING and v is not None and not isinstance(v, str | dict | list)


_NUMERIC: Final[dict[str, Callable[[float, float], bool]]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}  # fmt: skip


@dataclass(frozen=True)
class FilterMatch:
    """A message a pattern matches: its number (1-based), and the values the pattern extracts."""

    event_number: int
    event_message: str
    extracted_values: dict[str, str]


def test_filter(pattern: str, messages: list[str]) -> list[FilterMatch]:
    """TestMetricFilter: the matching messages (1-based numbers) and their extracted values."""
    matcher = compile_pattern(pattern)
    out = []
    for number, message in enumerate(messages, 1):
        values = matcher.extract(message)
        if values is not None:
            out.append(FilterMatch(number, message, values))
    return out
