"""CloudWatch Logs filter patterns: one parser for the three families, into a small tree.

The first non-blank character picks the family: `{` a JSON pattern, `[` a space-delimited
pattern, anything else unstructured terms. `pattern_match` evaluates the tree on a message in
Python (streaming), `pattern_sql` compiles it to DuckDB SQL over stored events; both follow the
rules written here, and tests hold them to the same results.

Choices where AWS leaves room (spec §3.5):
* terms match at alphanumeric boundaries (`ERROR` matches `[ERROR]`, not `ERRORS`); quote
  phrases and terms with other characters; `?` terms cannot be mixed with plain or `-` ones;
* `=`/`!=` against a missing field, a JSON null, an object or an array do not match;
* a string value (quoted, or bare like `CreateTrail`) compares with JSON strings only; a number
  compares numerically with JSON numbers and, for `=`/`!=`, as text with JSON strings;
* at most one `...` in a space-delimited pattern; without one the token count must equal the
  field count, except that a last field without a condition takes the rest of the line.
"""

from __future__ import annotations

import re
import warnings
from typing import Final, Literal

from vigil.errors import PatternError
from vigil.logs.pattern_tree import (
    Both,
    Check,
    Compare,
    Either,
    Expr,
    Field,
    Json,
    Number,
    Pattern,
    Regex,
    Selector,
    Spaced,
    Term,
    Terms,
    Text,
    Value,
)

__all__ = [
    "Both",
    "Check",
    "Compare",
    "Either",
    "Expr",
    "Field",
    "Json",
    "Number",
    "Pattern",
    "Regex",
    "Selector",
    "Spaced",
    "Term",
    "Terms",
    "Text",
    "Value",
    "lint",
    "parse",
    "selectors",
]

MAX_LENGTH: Final = 1024
MAX_REGEX: Final = 2  # regex terms per pattern
NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_NAME: Final = re.compile(r"[A-Za-z0-9_\-@]+")
_UNSUPPORTED_REGEX: Final = re.compile(r"\(\?[=!<]|\\[1-9]|\(\?P")
OPS: Final = ("!=", "<=", ">=", "=", "<", ">")


def parse(text: str) -> Pattern:
    """The pattern's tree, or a PatternError naming the column."""
    if len(text) > MAX_LENGTH:
        raise PatternError(f"the pattern is {len(text)} characters; at most {MAX_LENGTH}",
                           column=MAX_LENGTH + 1, text=text)  # fmt: skip
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    if stripped.startswith("{"):
        return _Parser(text, offset).json()
    if stripped.startswith("["):
        return _Parser(text, offset).spaced()
    return _terms(text)


def _fail(text: str, at: int, message: str, hint: str | None = None) -> PatternError:
    return PatternError(message, column=at + 1, text=text, hint=hint)


def _terms(text: str) -> Terms:
    terms: list[Term] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        start = i
        kind: Literal["all", "any", "none"] = "all"
        if text[i] in "?-" and i + 1 < len(text) and text[i + 1] != " ":
            kind = "any" if text[i] == "?" else "none"
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _fail(text, i, "unclosed quote", 'close the phrase with "')
            value, i = text[i + 1 : end], end + 1
            regex = False
        elif text[i] == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise _fail(text, i, "unclosed regular expression", "end it with %")
            value, i = text[i + 1 : end], end + 1
            regex = True
            _check_regex(text, start, value)
        else:
            end = text.find(" ", i)
            end = len(text) if end < 0 else end
            value, i = text[i:end], end
            regex = False
        if i < len(text) and text[i] != " ":
            raise _fail(text, i, "expected a space after the term")
        if value.strip() or regex:
            terms.append(Term(value, kind, regex))
    kinds = {t.kind for t in terms}
    if "any" in kinds and len(kinds) > 1:
        hint = "use only ?-terms (any of them), or only plain and -terms (all of them)"
        raise _fail(text, 0, "`?` terms cannot be combined with plain or `-` terms", hint)
    if sum(t.regex for t in terms) > MAX_REGEX:
        raise _fail(text, 0, f"at most {MAX_REGEX} regular expressions per pattern")
    return Terms(tuple(terms))


def compile_regex(regex: str, flags: int = 0) -> re.Pattern[str]:
    """A user's regular expression; Python's warnings about what a future version may read
    differently (`[[` as a nested set) are not errors today."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(regex, flags)


def _check_regex(text: str, at: int, regex: str) -> None:
    bad = _UNSUPPORTED_REGEX.search(regex)
    if bad:
        raise _fail(text, at + 1 + bad.start(), "look-around, back-references and named groups "
                    "are not supported in filter-pattern regular expressions")  # fmt: skip
    try:
        compile_regex(regex)
    except re.error as exc:
        raise _fail(text, at + 1 + (exc.pos or 0), f"bad regular expression: {exc.msg}") from exc


class _Parser:
    """Recursive descent over JSON and space-delimited patterns, with positions."""

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.i = start
        self.regexes = 0

    # -- helpers -------------------------------------------------------------------------
    def fail(self, message: str, hint: str | None = None, at: int | None = None) -> PatternError:
        return _fail(self.text, self.i if at is None else at, message, hint)

    def blank(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t\r\n":
            self.i += 1

    def peek(self, token: str) -> bool:
        self.blank()
        return self.text.startswith(token, self.i)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.i += len(token)
            return True
        return False

    def expect(self, token: str, what: str) -> None:
        if not self.take(token):
            found = self.text[self.i : self.i + 10] or "the end"
            raise self.fail(f"expected {what}, found {found!r}")

    def word(self) -> str:
        self.blank()
        match = re.compile(r"[A-Za-z]+").match(self.text, self.i)
        return match.group(0) if match else ""

    def end(self, closer: str) -> None:
        self.blank()
        if self.i != len(self.text):
            raise self.fail(f"unexpected text after the closing {closer}")

    # -- JSON ----------------------------------------------------------------------------
    def json(self) -> Json:
        self.expect("{", "{")
        expr = self.either(json=True)
        self.expect("}", "} to close the pattern")
        self.end("}")
        return Json(expr)

    def either(self, json: bool) -> Expr:
        items = [self.both(json)]
        while self.take("||"):
            items.append(self.both(json))
        return items[0] if len(items) == 1 else Either(tuple(items))

    def both(self, json: bool) -> Expr:
        items = [self.primary(json)]
        while self.take("&&"):
            items.append(self.primary(json))
        return items[0] if len(items) == 1 else Both(tuple(items))

    def primary(self, json: bool) -> Expr:
        if self.take("("):
            inner = self.either(json)
            self.expect(")", ") to close the group")
            return inner
        selector = self.selector() if json else self.field_name()
        return self.condition(selector, json)

    def selector(self) -> Selector:
        self.blank()
        start = self.i
        if not self.take("$"):
            raise self.fail("expected a selector such as $.eventName",
                            "JSON patterns compare fields: { $.field = value }")  # fmt: skip
        path: list[str | int] = []
        while self.i < len(self.text) and self.text[self.i] in ".[":
            if self.text[self.i] == ".":
                match = _NAME.match(self.text, self.i + 1)
                if not match:
                    raise self.fail("expected a property name after '.'", at=self.i + 1)
                path.append(match.group(0))
                self.i = match.end()
            else:
                match = re.compile(r"\[([0-9]+)\]").match(self.text, self.i)
                if not match:
                    raise self.fail("expected an array index such as [0]")
                path.append(int(match.group(1)))
                self.i = match.end()
        if not path:
            raise self.fail("a selector needs a field: $.name", at=start)
        return Selector(tuple(path), self.text[start : self.i])

    def field_name(self) -> Selector:
        self.blank()
        match = _NAME.match(self.text, self.i)
        if not match:
            raise self.fail("expected a field name")
        self.i = match.end()
        return Selector((match.group(0),), match.group(0))

    def condition(self, selector: Selector, json: bool) -> Expr:
        self.blank()
        at = self.i
        keyword = self.word().upper()
        if json and keyword == "IS":
            self.i += 2
            what = self.word().upper()
            kinds = {"NULL": "null", "TRUE": "true", "FALSE": "false"}
            if what not in kinds:
                hint = "use != or NOT EXISTS" if what == "NOT" else None
                raise self.fail("IS takes NULL, TRUE or FALSE", hint)
            self.i += len(what)
            return Check(selector, kinds[what])  # type: ignore[arg-type]
        if json and keyword == "NOT":
            self.i += 3
            if self.word().upper() != "EXISTS":
                raise self.fail("expected EXISTS after NOT")
            self.i += 6
            return Check(selector, "missing")
        if json and keyword == "EXISTS":
            raise self.fail("EXISTS is not supported", "use NOT EXISTS, or compare the field")
        op = next((o for o in OPS if self.text.startswith(o, self.i)), None)
        if op is None:
            hint = "one of = != < <= > >=, IS NULL/TRUE/FALSE or NOT EXISTS"
            raise self.fail(f"expected a comparison after {selector.text}", hint, at=at)
        self.i += len(op)
        value = self.value()
        if op not in ("=", "!=") and not isinstance(value, Number):
            raise self.fail(f"{op} compares numbers", at=at)
        return Compare(selector, op, value)

    def value(self) -> Value:
        self.blank()
        start = self.i
        if self.take('"'):
            end = self.text.find('"', self.i)
            if end < 0:
                raise self.fail("unclosed quote", at=start)
            self.i = end + 1
            return Text(self.text[start + 1 : end])
        if self.take("%"):
            end = self.text.find("%", self.i)
            if end < 0:
                raise self.fail("unclosed regular expression", "end it with %", at=start)
            regex = self.text[start + 1 : end]
            _check_regex(self.text, start, regex)
            self.regexes += 1
            if self.regexes > MAX_REGEX:
                raise self.fail(f"at most {MAX_REGEX} regular expressions per pattern", at=start)
            self.i = end + 1
            return Regex(regex)
        match = re.compile(r"[^\s()&|}\],]+").match(self.text, self.i)
        if not match:
            raise self.fail("expected a value")
        self.i = match.end()
        raw = match.group(0)
        return Number(float(raw), raw) if NUMBER.fullmatch(raw) else Text(raw)

    # -- space-delimited -----------------------------------------------------------------
    def spaced(self) -> Spaced:
        self.expect("[", "[")
        before: list[Field] = []
        after: list[Field] = []
        rest_at = -1
        while True:
            self.blank()
            if self.take("..."):
                if rest_at >= 0:
                    raise self.fail("only one ... per pattern is supported", at=self.i - 3)
                rest_at = self.i - 3
            elif self.peek(",") or self.peek("]"):
                (after if rest_at >= 0 else before).append(Field("", None))
            else:
                (after if rest_at >= 0 else before).append(self.entry())
            if self.take("]"):
                break
            self.expect(",", ", or ]")
        self.end("]")
        spaced = Spaced(tuple(before), tuple(after), rest_at >= 0)
        if spaced.fields == (Field("", None),) and not spaced.rest:
            return Spaced((), (), True)  # `[]`: every event
        return spaced

    def entry(self) -> Field:
        """`name`, or `name` with conditions on itself: `status=404 || status=410`."""
        at = self.i
        match = _NAME.match(self.text, self.i)
        if match and not self._has_condition(match.end()):
            self.i = match.end()
            return Field(match.group(0), None)
        if not match and not self.peek("("):
            raise self.fail("expected a field name, ... or ]")
        expr = self.either(json=False)
        names = {s.text for s in _selectors(expr)}
        if len(names) != 1:
            raise self.fail("a field's conditions must all name the same field", at=at)
        return Field(names.pop(), expr)

    def _has_condition(self, at: int) -> bool:
        rest = self.text[at:].lstrip()
        return rest[:1] in ("=", "!", "<", ">") or rest[:2] in ("||", "&&")


def _selectors(expr: Expr) -> list[Selector]:
    if isinstance(expr, Compare | Check):
        return [expr.selector]
    return [s for item in expr.items for s in _selectors(item)]


def selectors(pattern: Pattern) -> list[Selector]:
    """Every selector the pattern reads, in order, without repeats."""
    found: list[Selector] = []
    if isinstance(pattern, Json):
        found = _selectors(pattern.expr)
    elif isinstance(pattern, Spaced):
        found = [s for f in pattern.fields if f.expr for s in _selectors(f.expr)]
    return list(dict.fromkeys(found))


def lint(pattern: Pattern) -> list[str]:
    """Warnings for patterns that parse but probably do not say what was meant."""
    warnings = []
    if isinstance(pattern, Json) and isinstance(pattern.expr, Either):
        negated = [i for i in pattern.expr.items if isinstance(i, Compare) and i.op == "!="]
        if negated:
            names = ", ".join(i.selector.text for i in negated)
            warnings.append(
                f"`||` with a `!=` comparison ({names}) matches almost every event; "
                "exclusions are usually joined with `&&`"
            )
    return warnings
