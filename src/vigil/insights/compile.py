"""Insights commands to one DuckDB query, stage by stage (each command wraps the relation
before it). Values are quoted literals; names are quoted identifiers.

Fields are typed loosely, as in Insights: text discovered in JSON compares numerically with a
number and textually with a string; arithmetic and numeric aggregates cast to DOUBLE.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from vigil.errors import QueryError
from vigil.insights import parse as q
from vigil.insights.sources import Source, quote_name
from vigil.logs.pattern_sql import literal

DEFAULT_LIMIT: Final = 1000
MAX_LIMIT: Final = 10_000
_UNITS: Final = {"s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
                  "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
                  "h": "hours", "hr": "hours", "hour": "hours", "hours": "hours",
                  "d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks",
                  "weeks": "weeks"}  # fmt: skip
_SIMPLE: Final = {
    "abs": "abs", "ceil": "ceil", "floor": "floor", "greatest": "greatest", "least": "least",
    "log": "ln", "sqrt": "sqrt", "coalesce": "coalesce", "concat": "concat", "ltrim": "ltrim",
    "rtrim": "rtrim", "trim": "trim", "strlen": "length", "toupper": "upper",
    "tolower": "lower", "replace": "replace", "strcontains": "contains",
}  # fmt: skip
_NUMERIC_FUNCS: Final = {"abs", "ceil", "floor", "greatest", "least", "log", "sqrt", "strlen"}
_V6: Final = "coalesce(regexp_full_match({0}, '[0-9A-Fa-f:.]+') AND contains({0}, ':'), false)"
# (name, arity or -1): (SQL with {0}, {1}…, argument kinds t=text n=number r=raw p=period, result)
_TEMPLATES: Final[dict[tuple[str, int], tuple[str, str, str]]] = {
    ("ispresent", 1): ("({0} IS NOT NULL)", "r", "bool"),
    ("isempty", 1): ("coalesce({0} = '', true)", "t", "bool"),
    ("isblank", 1): ("coalesce(trim({0}) = '', true)", "t", "bool"),
    ("substr", 2): ("substring({0}, CAST({1} AS BIGINT) + 1)", "tn", "str"),
    ("substr", 3): ("substring({0}, CAST({1} AS BIGINT) + 1, CAST({2} AS BIGINT))", "tnn", "str"),
    ("frommillis", 1): ("epoch_ms(CAST({0} AS BIGINT))", "n", "time"),
    ("tomillis", 1): ("epoch_ms({0})", "r", "num"),
    ("datefloor", 2): ("time_bucket({1}, {0})", "rp", "time"),
    ("dateceil", 2): ("(time_bucket({1}, {0}) + {1})", "rp", "time"),
    ("isvalidipv4", 1): ("(ipv4_to_int({0}) IS NOT NULL)", "t", "bool"),
    ("isvalidipv6", 1): (_V6, "t", "bool"),
    ("isvalidip", 1): ("((ipv4_to_int({0}) IS NOT NULL) OR " + _V6 + ")", "t", "bool"),
    ("isipinsubnet", 2): ("coalesce(ipv4_in_cidr({0}, {1}), false)", "tt", "bool"),
    ("isipv4insubnet", 2): ("coalesce(ipv4_in_cidr({0}, {1}), false)", "tt", "bool"),
}
_AGGREGATES: Final = {"count", "count_distinct", "sum", "avg", "min", "max", "stddev", "pct",
                      "earliest", "latest", "sortsfirst", "sortslast"}  # fmt: skip


@dataclass
class _Scope:
    source: Source
    defined: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (sql, kind)
    after_stats: bool = False

    def resolve(self, name: str) -> tuple[str, str]:
        if name in self.defined:
            return self.defined[name]
        if self.after_stats:
            raise QueryError(f"{name!r} is not a column of the stats result",
                             hint="after stats, use its aggregates and by-fields")  # fmt: skip
        return self.source.resolve(name)


def period_interval(text: str) -> str:
    match = re.fullmatch(r"(\d{1,9})([A-Za-z]+)", text)
    if not match or match.group(2) not in _UNITS:
        raise QueryError(f"{text!r} is not a period", hint="bin(5m), bin(1h), bin(30s)")
    return f"INTERVAL '{int(match.group(1))} {_UNITS[match.group(2)]}'"


def _regex(pattern: str) -> str:
    return literal(re.sub(r"\(\?<([A-Za-z_])", r"(?P<\1", pattern))  # Java-style named groups


def _num(sql: str, kind: str) -> str:
    return sql if kind == "num" else f"TRY_CAST({sql} AS DOUBLE)"


def _text(sql: str, kind: str) -> str:
    return sql if kind == "str" else f"CAST({sql} AS VARCHAR)"


class Compiler:
    def __init__(self, source: Source, *, pointers: bool = False) -> None:
        self.scope = _Scope(source)
        self.pointers = pointers and bool(source.pointer_columns)
        # The events that matched: the relation through the filters, fields and parses before
        # the first stats, without sort, limit or dedup (GetQueryResults' recordsMatched).
        self.matched = source.sql

    def expr(self, e: q.Expr) -> tuple[str, str]:
        if isinstance(e, q.Lit):
            if isinstance(e.value, float):
                return repr(e.value), "num"
            return literal(e.value), "str"
        if isinstance(e, q.Ref):
            return self.scope.resolve(e.name)
        if isinstance(e, q.Unary):
            inner, kind = self.expr(e.operand)
            return (
                (f"(NOT {inner})", "bool") if e.op == "not" else (f"(-{_num(inner, kind)})", "num")
            )
        if isinstance(e, q.Call):
            return self.call(e)
        return self.binary(e)

    def binary(self, e: q.Binary) -> tuple[str, str]:
        left, lkind = self.expr(e.left)
        if isinstance(e.right, tuple):
            items = [self.expr(i) for i in e.right]
            numeric = all(k == "num" for _, k in items)
            target = _num(left, lkind) if numeric else _text(left, lkind)
            listed = ", ".join(sql for sql, _ in items)
            negate = "NOT " if e.op == "not in" else ""
            return f"coalesce({target} {negate}IN ({listed}), false)", "bool"
        right, rkind = self.expr(e.right)
        if e.op in ("and", "or"):
            return f"({left} {e.op.upper()} {right})", "bool"
        if e.op in ("like", "not like", "=~"):
            if isinstance(e.right, q.Lit) and e.right.regex:
                test = f"regexp_matches({_text(left, lkind)}, {_regex(str(e.right.value))})"
            else:
                test = f"contains({_text(left, lkind)}, {_text(right, rkind)})"
            negate = "NOT " if e.op == "not like" else ""
            return f"coalesce({negate}{test}, false)", "bool"
        if e.op in ("=", "!=", "<", "<=", ">", ">="):
            op = "<>" if e.op == "!=" else e.op
            if "num" in (lkind, rkind) and "time" not in (lkind, rkind):
                left, right = _num(left, lkind), _num(right, rkind)
            elif "str" in (lkind, rkind) and "time" not in (lkind, rkind):
                left, right = _text(left, lkind), _text(right, rkind)
            return f"coalesce({left} {op} {right}, false)", "bool"
        if e.op == "^":
            return f"power({_num(left, lkind)}, {_num(right, rkind)})", "num"
        return f"({_num(left, lkind)} {e.op} {_num(right, rkind)})", "num"

    def _stats_column(self, e: q.Call) -> tuple[str, str]:
        """After stats an aggregate names its column, as in `stats count(*) | sort count(*)`."""
        wanted = _same_aggregate(q.expr_text(e))
        for name, found in self.scope.defined.items():
            if _same_aggregate(name) == wanted:
                return found
        columns = ", ".join(self.scope.defined)
        raise QueryError(f"{q.expr_text(e)!r} is not a column of the stats result",
                         hint=f"after stats, use its columns: {columns}")  # fmt: skip

    def call(self, e: q.Call) -> tuple[str, str]:
        name = e.name.lower()
        if name in _AGGREGATES and self.scope.after_stats:
            return self._stats_column(e)
        args = [self.expr(a) for a in e.args if not (isinstance(a, q.Ref) and a.name == "*")]
        if name in _AGGREGATES:
            return self.aggregate(name, e, args)
        if name == "bin":
            if len(e.args) != 1 or not isinstance(e.args[0], q.Lit):
                raise QueryError("bin takes a period, as in bin(5m)")
            return f'time_bucket({period_interval(str(e.args[0].value))}, "@timestamp")', "time"
        if name in _SIMPLE:
            parts = [_num(s, k) if name in _NUMERIC_FUNCS - {"strlen"} else s for s, k in args]
            return (
                f"{_SIMPLE[name]}({', '.join(parts)})",
                "num" if name in _NUMERIC_FUNCS else "str",
            )
        template = _TEMPLATES.get((name, len(e.args))) or _TEMPLATES.get((name, -1))
        if template is None:
            raise QueryError(f"unknown function {e.name}() with {len(e.args)} argument(s)",
                             hint="see the Insights function list")  # fmt: skip
        text, argkinds, result = template
        values = []
        for arg, (sql, kind), want in zip(e.args, args, argkinds, strict=False):
            if want == "p":
                values.append(period_interval(str(arg.value) if isinstance(arg, q.Lit) else ""))
            else:
                values.append({"t": _text, "n": _num}.get(want, lambda s, k: s)(sql, kind))
        return text.format(*values), result

    def aggregate(self, name: str, e: q.Call, args: list[tuple[str, str]]) -> tuple[str, str]:
        if name == "count":
            return ("count(*)" if not args else f"count({args[0][0]})"), "num"
        if not args:
            raise QueryError(f"{e.name}() needs a field")
        sql, kind = args[0]
        if name == "count_distinct":
            return f"count(DISTINCT {sql})", "num"
        if name in ("sum", "avg", "stddev"):
            func = {"sum": "sum", "avg": "avg", "stddev": "stddev_samp"}[name]
            return f"CAST({func}({_num(sql, kind)}) AS DOUBLE)", "num"
        if name in ("min", "max"):
            return (
                f"{name}({_num(sql, kind) if kind != 'time' else sql})",
                kind if kind == "time" else "num",
            )
        if name == "pct":
            if len(e.args) != 2 or not isinstance(e.args[1], q.Lit):
                raise QueryError("pct takes a field and a percentile: pct(latency, 95)")
            fraction = float(e.args[1].value) / 100
            return f"quantile_disc({_num(sql, kind)}, {fraction})", "num"
        if name in ("earliest", "latest"):
            func = "arg_min" if name == "earliest" else "arg_max"
            return f'{func}({sql}, "@timestamp")', kind
        return (f"min({sql})" if name == "sortsfirst" else f"max({sql})"), kind

    # -- commands --------------------------------------------------------------------------
    def compile(self, commands: list[q.Command]) -> str:
        rel = self.scope.source.sql
        shown: list[str] = []
        display: list[str] | None = None
        order: list[str] = []
        limit: int | None = None
        stats = False
        for c in commands:
            if isinstance(c, q.Fields):
                cols = []
                for item in c.items:
                    name = item.alias or q.expr_text(item.expr)
                    sql, kind = self.expr(item.expr)
                    cols.append(f"{sql} AS {self.define(name, kind)}")
                    shown.append(name)
                rel = self._both(rel, stats, _around(f"SELECT *, {', '.join(cols)} FROM "))
            elif isinstance(c, q.Filter):
                test = self.expr(c.expr)[0]
                rel = self._both(rel, stats, _around("SELECT * FROM ", f" WHERE {test}"))
            elif isinstance(c, q.Parse):
                rel = self._both(rel, stats, self.parse(c))
            elif isinstance(c, q.Stats):
                rel, shown = self.stats(c, rel)
                stats, order = True, [quote_name(n) for n in shown[: len(c.by)]]
            elif isinstance(c, q.Sort):
                order = [
                    f"{self.expr(e)[0]} {'DESC' if d else 'ASC'} NULLS LAST" for e, d in c.keys
                ]
            elif isinstance(c, q.Limit):
                limit = min(c.count, MAX_LIMIT)
                rel = f"SELECT * FROM ({rel}) {self._order(order, stats)} LIMIT {limit}"
            elif isinstance(c, q.Display):
                display = [self._column(e) for e in c.fields]
            elif isinstance(c, q.Dedup):
                keys = [self.expr(e)[0] for e in c.fields]
                nulls = " OR ".join(f"{k} IS NULL" for k in keys)
                window = f"PARTITION BY {', '.join(keys)} {self._order(order, stats)}"
                rel = f"SELECT * FROM ({rel}) QUALIFY row_number() OVER ({window}) = 1 OR {nulls}"
        columns = display or shown or ["@timestamp", "@message"]
        select = ", ".join(
            f"{self.scope.resolve(c)[0]} AS {quote_name(c)}" for c in dict.fromkeys(columns)
        )
        if self.pointers and not stats:  # a row that is one event says which (its @ptr)
            select += ", " + ", ".join(quote_name(c) for c in self.scope.source.pointer_columns)
        final = limit if limit is not None else DEFAULT_LIMIT
        return f"SELECT {select} FROM ({rel}) {self._order(order, stats)} LIMIT {final}"

    def _both(self, rel: str, stats: bool, wrap: Callable[[str], str]) -> str:
        """`wrap` over the result's relation, and over the matched events' while no stats has
        aggregated them."""
        if not stats:
            self.matched = wrap(self.matched)
        return wrap(rel)

    def _column(self, e: q.Expr) -> str:
        return e.name if isinstance(e, q.Ref) else q.expr_text(e)

    def define(self, name: str, kind: str) -> str:
        """A column the query defines, under an internal name (no clash with the source's
        columns, which DuckDB compares without case); the final SELECT restores the name."""
        internal = quote_name(f"__v{len(self.scope.defined)}")
        self.scope.defined[name] = (internal, kind)
        return internal

    def _order(self, order: list[str], stats: bool) -> str:
        if order:
            return "ORDER BY " + ", ".join(order)
        return "" if stats else 'ORDER BY "@timestamp" DESC'

    def parse(self, c: q.Parse) -> Callable[[str], str]:
        source, kind = self.expr(c.field)
        if c.regex:
            pattern = _regex(c.pattern)
        else:
            pieces = [re.escape(p) for p in c.pattern.split("*")]
            captures = ["(.*?)"] * (len(pieces) - 2) + ["(.*)"] if len(pieces) > 1 else []
            body = pieces[0] + "".join(g + p for g, p in zip(captures, pieces[1:], strict=True))
            pattern = literal(body)
        names = "[" + ", ".join(literal(n) for n in c.names) + "]"
        cols = ", ".join(f"nullif(__parsed.{quote_name(n)}, '') AS {self.define(n, 'any')}"
                         for n in c.names)  # fmt: skip
        extract = f"regexp_extract({_text(source, kind)}, {pattern}, {names}) AS __parsed"
        return _around(f"SELECT * EXCLUDE (__parsed), {cols} FROM (SELECT *, {extract} FROM ", ")")

    def stats(self, c: q.Stats, rel: str) -> tuple[str, list[str]]:
        groups, aggs, names = [], [], []
        kinds: dict[str, tuple[str, str]] = {}
        for item in c.by:
            sql, kind = self.expr(item.expr)
            name = item.alias or q.expr_text(item.expr)
            groups.append(sql)
            names.append(name)
            kinds[name] = (sql, kind)
        for item in c.aggregates:
            sql, kind = self.expr(item.expr)
            name = item.alias or q.expr_text(item.expr)
            aggs.append(f"{sql} AS {quote_name(name)}")
            names.append(name)
            kinds[name] = (sql, kind)
        select = [f"{g} AS {quote_name(n)}" for g, n in zip(groups, names, strict=False)] + aggs
        group_by = f" GROUP BY {', '.join(groups)}" if groups else ""
        self.scope.defined = {n: (quote_name(n), k[1]) for n, k in kinds.items()}
        self.scope.after_stats = True
        return f"SELECT {', '.join(select)} FROM ({rel}){group_by}", names


def _around(head: str, tail: str = "") -> Callable[[str], str]:
    """A relation wrapped: `head (relation) tail`."""
    return lambda rel: f"{head}({rel}){tail}"


def _same_aggregate(text: str) -> str:
    """count() and count(*) are one aggregate; names compare without case or spaces."""
    return re.sub(r"\s+", "", text.lower()).replace("(*)", "()")


def to_sql(query: str, source: Source) -> str:
    return Compiler(source).compile(q.parse(query))


def to_sql_counted(query: str, source: Source) -> tuple[str, str]:
    """The query's SQL with each event row's pointer columns, and the SQL of its statistics:
    events matched (through the filters, before stats, limit and dedup), events scanned (the
    source's, in the groups and time range) and their bytes (UTF-8 bytes of the messages)."""
    compiler = Compiler(source, pointers=True)
    sql = compiler.compile(q.parse(query))
    stats = (
        f"SELECT (SELECT count(*) FROM ({compiler.matched})) AS matched, count(*) AS scanned, "
        f'coalesce(sum(strlen("@message")), 0) AS bytes FROM ({source.sql})'
    )
    return sql, stats
