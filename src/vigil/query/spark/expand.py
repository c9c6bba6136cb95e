"""Vigil's SQL (written for DuckDB) carried over to Spark SQL.

DuckDB macros are inlined where a query calls them, as DuckDB itself does: the call is
replaced by the macro's body with the arguments in place of its parameters (a struct
argument's fields stay fields: `ct_actor(useridentity)` reads `useridentity.type`), then
SQLGlot writes the whole statement in Spark's dialect. A table macro
(`s3_requests_between(lo, hi)`) becomes a subquery. Macros Spark defines natively as SQL
functions (`macros.FUNCTIONS`) are left as calls. No Python runs per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from vigil.errors import QueryError
from vigil.query.spark.carry import rewrite
from vigil.query.spark.macros import NATIVE

_MACRO: Final = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+"
    r"(TABLE\s+)?(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_T = exp.DataType.Type
_SIGNED: Final = {_T.UTINYINT: _T.SMALLINT, _T.USMALLINT: _T.INT, _T.UINT: _T.BIGINT,
                  _T.UBIGINT: _T.BIGINT}  # fmt: skip
DEPTH: Final = 20  # macros calling macros: deeper is a definition calling itself


@dataclass(frozen=True)
class Macro:
    params: tuple[str, ...]
    body: exp.Expression  # an expression, or a query for a table macro
    table: bool


class Macros:
    """The DuckDB macros a Spark engine has been given, and the SQL carried over with them."""

    def __init__(self, native: frozenset[str] = frozenset(),
                 known: dict[str, Macro] | None = None) -> None:  # fmt: skip
        self.native = native  # defined in Spark itself: calls stay calls
        self.known: dict[str, Macro] = dict(known or {})

    def add(self, statement: str) -> bool:
        """Keep a `CREATE MACRO` statement (True); anything else is not one (False)."""
        found = _MACRO.match(statement)
        if found is None:
            return False
        name, params, table, body = found.groups()
        if name.lower() in self.native:
            return True
        names = tuple(p.strip().lower() for p in params.split(",") if p.strip())
        try:
            tree = cast(exp.Expression, (
                sqlglot.parse_one(body, read="duckdb")
                if table
                else sqlglot.parse_one(f"SELECT {body}", read="duckdb").expressions[0]
            ))  # fmt: skip
        except SqlglotError as exc:
            raise QueryError(f"macro {name}: {exc}") from None
        self.known[name.lower()] = Macro(names, tree, bool(table))
        return True

    def spark(self, sql: str) -> str:
        """DuckDB's SQL with the macros inlined, in Spark's dialect."""
        try:
            parsed = cast(exp.Expression, sqlglot.parse_one(sql, read="duckdb"))
            tree = rewrite(self.expand(parsed, 0))
            for cte in tree.find_all(exp.CTE):  # DuckDB's hint; Spark decides for itself
                cte.set("materialized", None)
            for kind in tree.find_all(exp.DataType):  # Spark has no unsigned integers
                wider = _SIGNED.get(kind.this)
                if wider is not None:
                    kind.set("this", wider)
            out = tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as exc:
            raise QueryError(f"cannot carry the SQL over to Spark: {exc}") from None
        return out

    def expand(self, tree: exp.Expression, depth: int) -> exp.Expression:
        if depth > DEPTH:
            raise QueryError("macros nested too deep (a macro that calls itself?)")

        def one(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
                return self._table(node, depth)
            if isinstance(node, exp.Anonymous):
                macro = self.known.get(node.name.lower())
                if macro is not None and not macro.table:
                    args = [self.expand(a, depth + 1) for a in node.expressions]
                    body = self.expand(self._bound(node.name, macro, args), depth + 1)
                    return exp.Paren(this=body)  # `NOT m(x)` negates all of m's body
            return node

        return tree.transform(one)

    def _table(self, node: exp.Table, depth: int) -> exp.Expression:
        call = node.this
        macro = self.known.get(call.name.lower())
        if macro is None or not macro.table:
            return node
        args = [self.expand(a, depth + 1) for a in call.expressions]
        query = self.expand(self._bound(call.name, macro, args), depth + 1)
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(call.name))
        return exp.Subquery(this=query, alias=alias)

    def _bound(self, name: str, macro: Macro, args: list[exp.Expression]) -> exp.Expression:
        """The macro's body with each parameter replaced by its argument."""
        if len(args) != len(macro.params):
            raise QueryError(f"{name}() takes {len(macro.params)} argument(s), {len(args)} given")
        given = dict(zip(macro.params, args, strict=True))
        body = macro.body.copy()
        for column in list(body.find_all(exp.Column)):
            parts = column.parts
            arg = given.get(parts[0].name.lower()) if parts else None
            if arg is None:
                continue
            value: exp.Expression = exp.paren(arg.copy()) if not _atomic(arg) else arg.copy()
            for part in parts[1:]:  # a struct parameter's fields
                value = exp.Dot(this=value, expression=part.copy())
            if column is body:
                body = value
            else:
                column.replace(value)
        return body


def _atomic(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Column, exp.Literal, exp.Dot, exp.Paren, exp.Func, exp.Cast))


@cache
def _vigils() -> dict[str, Macro]:
    from vigil.formats.cloudtrail_identity import MACROS as IDENTITY
    from vigil.query.s3_requests import ACTOR_MACRO, MACRO

    macros = Macros(NATIVE)
    for statement in (*IDENTITY, ACTOR_MACRO, MACRO):
        macros.add(statement)
    return macros.known


def vigil_macros() -> Macros:
    """Vigil's own macros (CloudTrail identities, `s3_requests_between`) parsed once a process;
    each caller's copy takes the macros its engine is given later (intel's, trusted ranges)."""
    return Macros(NATIVE, _vigils())
