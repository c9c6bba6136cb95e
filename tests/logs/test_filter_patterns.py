"""Filter patterns: the conformance table, Python = SQL, and errors with their column."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DATA
from vigil.errors import PatternError
from vigil.logs.pattern import parse
from vigil.logs.pattern_match import compile_pattern
from vigil.logs.pattern_sql import filter_sql

TABLE = yaml.safe_load((DATA / "filter_patterns.yaml").read_text())
MESSAGES: dict[str, str] = TABLE["messages"]
CASES = TABLE["cases"]


def sql_matches(pattern: str, messages: list[str]) -> list[bool]:
    con = duckdb.connect()
    con.register("events", pa.table({"i": list(range(len(messages))), "message": messages}))
    hits = {r[0] for r in con.sql(filter_sql("SELECT * FROM events", pattern)).fetchall()}
    return [i in hits for i in range(len(messages))]


@pytest.mark.parametrize("case", CASES, ids=[c["pattern"] or "(empty)" for c in CASES])
def test_conformance(case: dict) -> None:  # type: ignore[type-arg]
    matcher = compile_pattern(case["pattern"])
    names = list(MESSAGES)
    expected = {n: True for n in case.get("match", [])} | {n: False for n in case.get("miss", [])}
    assert expected, "a case must say what it matches or not"
    python = {n: matcher.matches(MESSAGES[n]) for n in names}
    sql = dict(zip(names, sql_matches(case["pattern"], [MESSAGES[n] for n in names]), strict=True))
    for name, want in expected.items():
        assert python[name] is want, f"python: {case['pattern']!r} on {name}"
    assert sql == python, f"SQL and Python disagree on {case['pattern']!r}"
    for name, values in (case.get("extract") or {}).items():
        assert matcher.extract(MESSAGES[name]) == values


@pytest.mark.parametrize("case", TABLE["errors"], ids=[c["pattern"] for c in TABLE["errors"]])
def test_errors_name_the_column(case: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(PatternError) as raised:
        parse(case["pattern"])
    assert case["says"] in str(raised.value)
    assert raised.value.column == case["column"], str(raised.value)


WORDS = st.sampled_from(["ERROR", "WARN", "INFO", "404", "GET", "x-1", "[ERROR]", "a.b", "200",
                         '"GET /x"', "[a b]", "[a", "b]", '"q', "", "x\ty", "[]", "4.0e2", "[a]b]",
                         "a]b", '"a b"'])  # fmt: skip
LINES = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
JSON_LINES = st.fixed_dictionaries(
    {},
    optional={
        "a": st.one_of(st.integers(-5, 5), st.sampled_from(["ERROR", "x", "4*", "5"]), st.none(),
                       st.booleans(), st.lists(st.integers(0, 3), max_size=2)),
        "b": st.fixed_dictionaries({}, optional={"c": st.sampled_from(["GET", "PUT", 3, None])}),
    },
).map(lambda d: __import__("json").dumps(d))  # fmt: skip
PATTERNS = st.one_of(
    st.lists(st.sampled_from(["ERROR", "WARN", "-INFO", '"GET 404"', "%[0-9]{3}%"]), max_size=3, unique=True)
    .map(" ".join),
    st.sampled_from(["?ERROR ?404", "?WARN ?%x-[0-9]%"]),
    st.builds(lambda sel, op, val: f"{{ {sel} {op} {val} }}",
              st.sampled_from(["$.a", "$.b.c", "$.a[0]"]), st.sampled_from(["=", "!=", ">", "<="]),
              st.sampled_from(["1", "-2", "5", "0.5"])),
    st.builds(lambda sel, val, neg: f"{{ {sel} {'!=' if neg else '='} {val} }}",
              st.sampled_from(["$.a", "$.b.c"]), st.sampled_from(['"ERROR"', "4*", "%R+O%", "GET", "*"]),
              st.booleans()),
    st.sampled_from(["{ $.a IS NULL || $.b.c NOT EXISTS }", "{ $.a IS TRUE && $.b.c = GET }",
                     "{ $.a IS FALSE }", "{ ($.a = 1 || $.a = x) && $.b NOT EXISTS }"]),
    st.builds(lambda f, rest: f"[{f}{', ...' if rest else ', w2'}]",
              st.sampled_from(["w1=ERROR", "w1!=WARN", "w1=4*", "w1>100", "w1=200 || w1=404"]),
              st.booleans()),
    st.sampled_from(["[a, b, c]", "[..., last=200]", "[a, ..., z=GET]", "[w1=ERROR, w2, w3]",
                     '[a, ..., z="GET /x"]', "[w1=*R*, ...]", "[w1, w2=b*, ...]", "[w1=a*, w2]",
                     "[w1=\"[ERROR]\", ...]", "[w1=ERROR || w1=WARN, w2=*, w3]", '[w1="a]b", ...]',
                     '[w1="*]*", w2]', '[w1="a b", ...]', "[w1=b*, w2=*b, w3=*]", "[w1, w2, w3, w4]"]),
)  # fmt: skip


@pytest.mark.slow  # hundreds of generated cases in both engines
@settings(max_examples=400, deadline=None)
@given(PATTERNS, st.lists(st.one_of(LINES, JSON_LINES), min_size=1, max_size=8))
def test_python_and_sql_agree(pattern: str, messages: list[str]) -> None:
    matcher = compile_pattern(pattern)
    assert [matcher.matches(m) for m in messages] == sql_matches(pattern, messages)


# Space-delimited events whose split is easy to get wrong: brackets and quotes touching,
# unclosed, holding spaces or the other wrapper; and patterns whose values hold them too.
AWKWARD_MESSAGES = [
    "[a]b] x y",
    "a]b x y",
    "[a b] x y",
    '"a b" x y',
    "[a x y",
    '"a x y',
    "[a] x y",
    '"a"b" x',
    "[]x y z",
    'x "y" z',
    "x  y   z",
    " x y z ",
    "x\ty z",
    "[a]b] [a] b]",
    '"a]b" x y',
    "b x b",
    "xb bb b",
    "[x] [y] [z] [w]",
    "a b c d e",
    "[5xx] 200 7",
    '5 [5] "5"',
]
AWKWARD_PATTERNS = [
    '[w1="a]b", ...]',
    '[w1="*]*", w2]',
    '[w1="a b", ...]',
    "[w1=b*, w2=*b, w3=*]",
    "[w1, w2, w3, w4]",
    "[w1, w2, w3]",
    "[w1=a, ...]",
    "[w1=a || w1=x, w2, w3]",
    "[..., w=b]",
    "[w1=5*, w2, w3]",
    "[w1, w2=*, ...]",
    '[w1="[a]", ...]',
    "[w1=*x*, ...]",
    "[w1=a, w2=*, w1=x]",
    '[w1="", w2]',
    "[w1=y, ..., w9=b]",
]


@pytest.mark.parametrize("pattern", AWKWARD_PATTERNS)
def test_awkward_splits_agree(pattern: str) -> None:
    matcher = compile_pattern(pattern)
    expected = [matcher.matches(m) for m in AWKWARD_MESSAGES]
    assert sql_matches(pattern, AWKWARD_MESSAGES) == expected
