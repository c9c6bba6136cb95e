"""CloudWatch search expressions (the first argument of SEARCH): which stored metrics match
`'{Namespace, DimName, ...} SearchTerm'`.

- The schema `{...}` (optional) takes the namespace and exactly those dimension names: a metric
  with other or more dimensions is not in `{AWS/EC2,InstanceId}`. Names with spaces or other
  characters are written in double quotes.
- A term in double quotes matches a namespace, metric name, dimension name or value exactly
  (`\\"`, `\\\\`, `\\(`, `\\)` escape). A bare term matches by tokens: names are split at
  camel case, digits and other characters (`CustomCount1`: custom, count, 1, and the whole
  customcount1); one token matches whatever its case, several in a row (`CustomCount`) match
  the same tokens in the same case.
- `MetricName=x`, `Namespace=x` and `DimName=x` look at that property only (x quoted: exact).
- Terms side by side mean AND; `AND`, `OR`, `NOT` (upper case) and parentheses group, NOT
  first, then AND, then OR. `:aws.AccountId=...` matches every metric (one account here).
Pure: the query and metrics in, the matches out."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from vigil.metrics.math_values import MathError
from vigil.metrics.store import Metric

MAX_QUERY: Final = 1024
MAX_RESULTS: Final = 500
_LEX: Final = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"=]+)=|([^\s()"]+))')
_TOKEN: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
Test = Callable[[Metric], bool]


def matching(query: str, metrics: list[Metric]) -> list[Metric]:
    """The metrics the search finds, at most 500, in the order given."""
    test = compile_search(query)
    return [m for m in metrics if test(m)][:MAX_RESULTS]


def compile_search(query: str) -> Test:
    if len(query) > MAX_QUERY:
        raise MathError(f"a search is at most {MAX_QUERY} characters")
    text = query.strip()
    schema: Test | None = None
    if text.startswith("{"):
        end = text.find("}")
        if end < 0:
            raise MathError(f"search {query!r}: the schema's {{ has no }}")
        schema = _schema(text[1:end], query)
        text = text[end + 1 :].lstrip().removeprefix(",")
    terms = _Parser(_lex(text, query), query).parse() if text.strip() else None
    if schema is None and terms is None:
        raise MathError(f"search {query!r}: give a schema {{Namespace,...}}, terms or both")
    return lambda m: (schema is None or schema(m)) and (terms is None or terms(m))


def _schema(inside: str, query: str) -> Test:
    names = [n.strip() for n in re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', inside) if n.strip()]
    names = [_unquote(n[1:-1]) if n.startswith('"') else n for n in names]
    if not names:
        raise MathError(f"search {query!r}: the schema names a namespace first")
    namespace, dims = names[0], frozenset(names[1:])
    return lambda m: m.namespace == namespace and frozenset(k for k, _ in m.dimensions) == dims


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _lex(text: str, query: str) -> list[tuple[str, str]]:
    """(kind, text): ( ) AND OR NOT exact word, and prop for `Name=` (its value follows)."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _LEX.match(text, pos)
        if not match or match.end() == pos:
            raise MathError(f"search {query!r}: cannot read {text[pos:]!r}")
        pos = match.end()
        opened, closed, exact, prop, word = match.groups()
        if opened or closed:
            out.append((opened or closed, ""))
        elif exact is not None:
            out.append(("exact", _unquote(exact)))
        elif prop is not None:
            out.append(("prop", prop))
        elif word in ("AND", "OR", "NOT"):
            out.append((word, ""))
        else:
            out.append(("word", word))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], query: str) -> None:
        self.tokens, self.query, self.at = tokens, query, 0

    def fail(self, why: str) -> MathError:
        return MathError(f"search {self.query!r}: {why}")

    def peek(self) -> str:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise self.fail("it ends where a term was expected")
        self.at += 1
        return self.tokens[self.at - 1]

    def parse(self) -> Test:
        test = self.either()
        if self.at < len(self.tokens):
            raise self.fail(f"unexpected {self.tokens[self.at][1] or self.tokens[self.at][0]}")
        return test

    def either(self) -> Test:
        tests = [self.both()]
        while self.peek() == "OR":
            self.take()
            tests.append(self.both())
        return tests[0] if len(tests) == 1 else lambda m: any(t(m) for t in tests)

    def both(self) -> Test:
        tests = [self.unary()]
        while self.peek() not in ("", "OR", ")"):
            if self.peek() == "AND":
                self.take()
            tests.append(self.unary())
        return tests[0] if len(tests) == 1 else lambda m: all(t(m) for t in tests)

    def unary(self) -> Test:
        if self.peek() == "NOT":
            self.take()
            inner = self.unary()
            return lambda m: not inner(m)
        kind, text = self.take()
        if kind == "(":
            inner = self.either()
            if self.take()[0] != ")":
                raise self.fail("a ( is not closed")
            return inner
        if kind == "exact":
            return lambda m: text in _strings(m)
        if kind == "word":
            return lambda m: any(_partial(text, s) for s in _strings(m))
        if kind == "prop":
            return self.prop(text)
        raise self.fail(f"unexpected {kind}")

    def prop(self, name: str) -> Test:
        kind, value = self.take()
        if kind not in ("exact", "word"):
            raise self.fail(f"{name}= needs a value")
        if name == ":aws.AccountId":
            return lambda m: True

        def read(m: Metric) -> list[str]:
            if name == "MetricName":
                return [m.name]
            if name == "Namespace":
                return [m.namespace]
            return [v for k, v in m.dimensions if k == name]

        if kind == "exact":
            return lambda m: value in read(m)
        return lambda m: any(_partial(value, s) for s in read(m))


def _strings(m: Metric) -> list[str]:
    return [m.namespace, m.name] + [x for pair in m.dimensions for x in pair]


def tokens(text: str) -> list[str]:
    """A name's tokens in their own case: camel case, digits and other characters split."""
    return _TOKEN.findall(text)


def _partial(term: str, text: str) -> bool:
    parts = [tokens(p) for p in re.split(r"[^A-Za-z0-9]+", term) if p]
    if not parts:
        return False
    have = tokens(text)
    whole = "".join(ch for ch in text if ch.isalnum()).lower()
    if "".join(ch for ch in term if ch.isalnum()).lower() == whole:
        return True  # the whole name is a token too (customcount1)
    if len(parts) == 1 and len(parts[0]) == 1:
        return parts[0][0].lower() in {t.lower() for t in have}
    wanted = [(t, len(p) == 1) for p in parts for t in p]
    for start in range(len(have) - len(wanted) + 1):
        window = have[start : start + len(wanted)]
        if all(h.lower() == w.lower() if loose else h == w
               for h, (w, loose) in zip(window, wanted, strict=True)):  # fmt: skip
            return True
    return False
