"""Filter patterns compiled to DuckDB SQL over stored events (the batch path).

The same rules as `pattern_match`: a JSON event is parsed once per row (`json_extract` with a
list of paths), a space-delimited one tokenised once (`regexp_extract_all` with the matcher's
expression). Every user value reaches SQL as a quoted literal, never spliced raw.
`filter_sql(source, pattern)` wraps a relation: the rows whose `message` matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.logs import pattern as p
from vigil.logs import shapes
from vigil.logs.pattern_match import TOKENS, term_regex

_JSON = "__vigil_json"
_TOKS = "__vigil_tokens"
_NOT_SCALAR = "('VARCHAR', 'NULL', 'OBJECT', 'ARRAY')"
_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def regex_literal(regex: str) -> str:
    return literal("(?s)" + regex)  # Python's side uses re.DOTALL


def like_literal(glob: str) -> str:
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return literal(escaped.replace("*", "%"))


@dataclass(frozen=True)
class SqlFilter:
    derived: tuple[tuple[str, str], ...]  # (alias, expression) to compute per row first
    condition: str
    prefilter: str = "true"  # a necessary condition on the raw column, checked before derived


def compile_sql(pattern: p.Pattern | str, column: str = "message") -> SqlFilter:
    tree = p.parse(pattern) if isinstance(pattern, str) else pattern
    if isinstance(tree, p.Terms):
        return SqlFilter((), _terms(tree, column))
    if isinstance(tree, p.Json):
        paths = p.selectors(tree)
        index = {s.path: i + 1 for i, s in enumerate(paths)}
        listed = ", ".join(literal(json_path(s.path)) for s in paths)
        extract = f"CASE WHEN json_valid({column}) THEN json_extract({column}, [{listed}]) END"
        derived = ((_JSON, extract),)
        return SqlFilter(derived, _expr(tree.expr, lambda s: f"{_JSON}[{index[s.path]}]", True))
    return _compile_spaced(tree, column)


def _compile_spaced(tree: p.Spaced, column: str) -> SqlFilter:
    """Cheapest first. Texts the message must contain and its loose shape (one RE2 pass)
    rule out most events. When every condition is `=` text, an event that fits the strict
    shape (the tokeniser's own split) is decided by one more pass; the rest, and every event
    of other patterns, are tokenised as `pattern_match` does."""
    needed = [n for f in tree.fields if f.expr for n in [_needed(f.expr, column)] if n]
    if shapes.selective(tree):
        needed.append(f"regexp_full_match({column}, {literal(shapes.loose(tree))})")
    prefilter = " AND ".join(needed) if needed else "true"
    shape, tested = shapes.strict(tree)
    if tested is None:
        return SqlFilter(((_TOKS, tokens_sql(column)),), _spaced(tree), prefilter)
    exact = f"list_transform([{tokens_sql(column)}], lambda {_TOKS}: {_spaced(tree)})[1]"
    decided = (
        f"CASE WHEN regexp_full_match({column}, {literal(shape)}) "
        f"THEN regexp_full_match({column}, {literal(tested)}) ELSE coalesce({exact}, false) END"
    )
    return SqlFilter((), f"({prefilter} AND {decided})")


def filter_sql(source: str, pattern: p.Pattern | str, column: str = "message") -> str:
    """`SELECT *` of the source's rows that match (derived helper columns left out)."""
    compiled = compile_sql(pattern, column)
    if not compiled.derived:
        return f"SELECT * FROM ({source}) WHERE {compiled.condition}"
    extra = ", ".join(f"{expr} AS {alias}" for alias, expr in compiled.derived)
    hidden = ", ".join(alias for alias, _ in compiled.derived)
    return (
        f"SELECT * EXCLUDE ({hidden}) FROM (SELECT *, {extra} FROM ({source}) "
        f"WHERE {compiled.prefilter}) WHERE {compiled.condition}"
    )


def json_path(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f'."{part}"' for part in path)


def tokens_sql(column: str) -> str:
    """The message's tokens, still wrapped; `unwrap` strips [ ] and " " where a field is read."""
    return f"regexp_extract_all({column}, {literal(TOKENS.pattern)})"


def unwrap(t: str) -> str:
    return (
        f"CASE WHEN length({t}) >= 2 AND (({t}[1] = '[' AND {t}[-1] = ']') OR ({t}[1] = '\"' "
        f"AND {t}[-1] = '\"')) THEN {t}[2:-2] ELSE {t} END"
    )


def _needed(expr: p.Expr, column: str) -> str:
    """A text the message must contain for a space-delimited condition to hold ("" if none):
    a token is a substring of the message, so an equal (or glob) token's fixed text is too."""
    if isinstance(expr, p.Both):
        parts = [n for n in (_needed(e, column) for e in expr.items) if n]
        return " AND ".join(parts)
    if isinstance(expr, p.Either):
        parts = [_needed(e, column) for e in expr.items]
        return "(" + " OR ".join(parts) + ")" if all(parts) else ""
    if isinstance(expr, p.Compare) and expr.op == "=" and isinstance(expr.value, p.Text):
        longest = max(expr.value.text.split("*"), key=len)
        return f"contains({column}, {literal(longest)})" if longest else ""
    return ""


def _terms(tree: p.Terms, column: str) -> str:
    if not tree.terms:
        return "true"
    parts = []
    for term in tree.terms:
        found = f"regexp_matches({column}, {regex_literal(term_regex(term))})"
        if not term.regex:
            found = f"(contains({column}, {literal(term.text)}) AND {found})"
        parts.append(f"NOT {found}" if term.kind == "none" else found)
    joiner = " OR " if tree.terms[0].kind == "any" else " AND "
    return "(" + joiner.join(parts) + ")"


def _spaced(tree: p.Spaced) -> str:
    n_before, n_after = len(tree.before), len(tree.after)
    count = (
        f"len({_TOKS}) >= {n_before + n_after}" if tree.open_end else f"len({_TOKS}) = {n_before}"
    )
    position: dict[str, str] = {}
    for i, f in enumerate(tree.before):
        position[f.name] = unwrap(f"{_TOKS}[{i + 1}]")
    for i, f in enumerate(tree.after):
        position[f.name] = unwrap(f"{_TOKS}[len({_TOKS}) - {n_after - i - 1}]")
    tests = [_expr(f.expr, lambda s: position[s.text], False) for f in tree.fields if f.expr]
    return "(" + " AND ".join([count, *tests]) + ")"


def _expr(expr: p.Expr, value_of: object, json: bool) -> str:
    get = value_of  # Selector -> SQL expression of its value (JSON, or a token's text)
    assert callable(get)
    if isinstance(expr, p.Both | p.Either):
        joiner = " AND " if isinstance(expr, p.Both) else " OR "
        return "(" + joiner.join(_expr(e, get, json) for e in expr.items) + ")"
    v = get(expr.selector)
    if isinstance(expr, p.Check):
        if expr.kind == "missing":
            return f"({_JSON} IS NOT NULL AND {v} IS NULL)"
        if expr.kind == "null":
            return f"coalesce(json_type({v}) = 'NULL', false)"
        return (
            f"coalesce(json_type({v}) = 'BOOLEAN' AND CAST({v} AS VARCHAR) = '{expr.kind}', false)"
        )
    return _compare(expr, v, json)


def _compare(expr: p.Compare, v: str, json: bool) -> str:
    op, value = expr.op, expr.value
    negate = op == "!="
    if isinstance(value, p.Number):
        as_number = f"CAST({v} AS DOUBLE) {_SQL_OPS[op]} {value.value!r}"
        as_text = (
            f"{_text(v, json)} {_SQL_OPS[op]} {literal(value.text)}"
            if op in ("=", "!=")
            else "false"
        )
        if json:
            kind = f"json_type({v})"
            return (
                f"coalesce(CASE WHEN {kind} IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') "
                f"THEN {as_number} WHEN {kind} = 'VARCHAR' THEN {as_text} "
                f"WHEN {kind} = 'BOOLEAN' THEN {str(negate).lower()} ELSE false END, false)"
            )
        numeric = f"regexp_full_match({v}, {literal(p.NUMBER.pattern)})"
        return f"coalesce(CASE WHEN {numeric} THEN {as_number} ELSE {as_text} END, false)"
    if isinstance(value, p.Regex):
        test = f"regexp_matches({_text(v, json)}, {regex_literal(value.text)})"
    elif value.glob and value.text == "*" and json:  # any scalar the field holds (as in Python)
        present = f"coalesce(json_type({v}) NOT IN ('NULL', 'OBJECT', 'ARRAY'), false)"
        return "false" if negate else present
    elif value.glob:
        test = f"{_text(v, json)} LIKE {like_literal(value.text)} ESCAPE '\\'"
    else:
        test = f"{_text(v, json)} = {literal(value.text)}"
    if not json:
        return f"coalesce({'NOT ' if negate else ''}{test}, false)"
    is_string = f"json_type({v}) = 'VARCHAR'"
    if not negate:
        return f"coalesce({is_string} AND {test}, false)"
    other = f"json_type({v}) NOT IN {_NOT_SCALAR}"
    return f"coalesce(({is_string} AND NOT {test}) OR {other}, false)"


def _text(v: str, json: bool) -> str:
    return f"({v} ->> '$')" if json else v
