"""Which CloudTrail event names a unit can possibly match, read from its SQL: a committed
batch that holds none of them cannot make the unit fire, so the batch detector skips it (most
batches hold a few dozen names; most units watch a handful).

Every SELECT that reads the `cloudtrail` table must restrict `eventname` in its WHERE clause,
through ANDs and ORs of `eventname = '…'`, `IN (…)`, a LIKE with one trailing %, starts_with,
or a regular expression anchored on literal words (`^(AddPermission|UpdateFunctionUrlConfig)`)
(also under lower() and CAST, as the Sigma backend writes them); otherwise the unit may match
any record and always runs. Names are compared lower-case (an over-approximation for the
case-sensitive ones); a name ending in * is a prefix."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

import sqlglot
from sqlglot import exp

from vigil.detect.new_terms import batch_rows_sql
from vigil.detect.templates import render, rendered
from vigil.detect.units import Unit

ANY: Final = None
Names = frozenset[str] | None


def event_names(unit: Unit) -> Names:
    """The lower-case event names the unit can match in a committed batch, or None: any."""
    return _read(unit, fold=True, batch=True)


def name_ranges(unit: Unit) -> tuple[tuple[str, str], ...] | None:
    """The event names (as CloudTrail spells them) the unit can match over the lake, as
    ranges (a name is its own range, a prefix runs to its last extension), or None. A run
    reads the lake through an OR of these ranges: DuckDB pushes it into the scan as a real
    filter, so the row groups of a file (clustered by service and name) without those names
    are never read (an IN list would only be a hint)."""
    names = _read(unit, fold=False, batch=False)
    if not names:
        return None
    return tuple(sorted((n[:-1], n[:-1] + "\U0010ffff") if n.endswith("*") else (n, n)
                        for n in names))  # fmt: skip


_READ: dict[tuple[str, str, str, bool, bool], Names] = {}  # parsing costs ~6 ms a unit


def _read(unit: Unit, *, fold: bool, batch: bool) -> Names:
    """Remembered per unit, query, parameters and reading (tuning's exceptions do not
    change which names a unit can match)."""
    key = (unit.id, unit.query, repr(sorted(unit.parameters.items())), fold, batch)
    if key not in _READ:
        if len(_READ) > 10_000:  # units edited over a long-running server
            _READ.clear()
        _READ[key] = _parse(unit, fold=fold, batch=batch)
    return _READ[key]


def _parse(unit: Unit, *, fold: bool, batch: bool) -> Names:
    """From the SQL a committed batch runs (`batch`: a new-terms unit's record rule), or the
    SQL a run over the lake runs (all of it, its coverage of each account included)."""
    if unit.source != "cloudtrail":
        return ANY
    since, until = datetime(2000, 1, 1), datetime(2000, 1, 2)
    if batch and unit.new_terms is not None and unit.sigma is not None:
        moments = {"since": since, "until": until, "until_date": until.date()}
        sql = render(batch_rows_sql(unit.sigma, unit.new_terms), moments)
    else:
        sql = rendered(unit, since, until)
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:  # a query sqlglot cannot read is simply always run
        return ANY
    found: set[str] = set()
    readers = 0
    for select in tree.find_all(exp.Select):
        if not _reads_cloudtrail(select):
            continue
        readers += 1
        where = select.args.get("where")
        names = _names(where.this, fold) if where is not None else ANY
        if names is ANY:
            return ANY
        found |= names
    return frozenset(found) if readers else ANY


def _reads_cloudtrail(select: exp.Select) -> bool:
    """The SELECT's own FROM and JOINs (not its subqueries') name the lake table."""
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    tables = [s.this for s in sources if isinstance(s, (exp.From, exp.Join))]
    # (the tuning's shadowing CTE is named cloudtrail too: reading it is reading the lake)
    return any(isinstance(t, exp.Table) and t.name.lower() == "cloudtrail" for t in tables)


def _names(node: exp.Expr | None, fold: bool = True) -> Names:
    if node is None:
        return ANY
    if isinstance(node, exp.Paren):
        return _names(node.this, fold)
    if isinstance(node, exp.And):
        left, right = _names(node.left, fold), _names(node.right, fold)
        if left is ANY:
            return right
        if right is ANY:
            return left
        return left & right
    if isinstance(node, exp.Or):
        left, right = _names(node.left, fold), _names(node.right, fold)
        return ANY if left is ANY or right is ANY else left | right
    if isinstance(node, exp.EQ):
        for column, value in ((node.left, node.right), (node.right, node.left)):
            text = _literal(value, fold)
            if _is_eventname(column) and text is not None:
                return frozenset({text})
        return ANY
    if isinstance(node, exp.Escape):
        return _names(node.this, fold)
    if isinstance(node, (exp.Like, exp.ILike)) and _is_eventname(node.this):
        text = _literal(node.expression, fold)
        if text is not None and "_" not in text and "%" not in text.rstrip("%"):
            return frozenset({text.rstrip("%") + "*" if text.endswith("%") else text})
        return ANY
    if isinstance(node, exp.StartsWith) and _is_eventname(node.this):
        text = _literal(node.expression, fold)
        return ANY if text is None else frozenset({text + "*"})
    if isinstance(node, exp.RegexpLike) and _is_eventname(node.this):
        text = _literal(node.expression, fold)
        return ANY if text is None else _anchored(text)
    if isinstance(node, exp.In) and _is_eventname(node.this):
        texts = [_literal(v, fold) for v in node.expressions]
        if texts and all(t is not None for t in texts) and not node.args.get("query"):
            return frozenset(t for t in texts if t is not None)
    return ANY


_WORD: Final = re.compile(r"[A-Za-z0-9]+")


def _anchored(pattern: str) -> Names:
    """`^word…`, `^(a|b)…`, `^(?:a|b)…` as prefixes (exact when `$` follows at once)."""
    if not pattern.startswith("^"):
        return ANY
    rest = pattern[1:]
    group = re.match(r"\((?:\?:)?([A-Za-z0-9|]+)\)", rest)
    if group:
        words, rest = group.group(1).split("|"), rest[group.end() :]
    else:
        word = _WORD.match(rest)
        if word is None:
            return ANY
        words, rest = [word.group(0)], rest[word.end() :]
    if not all(words) or rest[:1] in ("?", "*", "+", "{"):
        return ANY  # the last word or group is optional: no prefix is certain
    return frozenset(words if rest == "$" else (w + "*" for w in words))


def matches(names: Names, present: frozenset[str]) -> bool:
    """Whether a batch holding the event names `present` (lower-case) can make the unit fire."""
    if names is None:
        return True
    prefixes = tuple(n[:-1] for n in names if n.endswith("*"))
    return bool(names & present) or any(p.startswith(prefixes) for p in present)


def _bare(node: exp.Expr) -> exp.Expr:
    while isinstance(node, (exp.Lower, exp.Cast, exp.Paren)):
        node = node.this
    return node


def _is_eventname(node: exp.Expr) -> bool:
    bare = _bare(node)
    return isinstance(bare, exp.Column) and bare.name.lower() == "eventname"


def _literal(node: exp.Expr, fold: bool = True) -> str | None:
    bare = _bare(node)
    if not (isinstance(bare, exp.Literal) and bare.is_string):
        return None
    return str(bare.this).lower() if fold else str(bare.this)
