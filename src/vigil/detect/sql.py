"""Run a SQL unit over the lake for a time range and turn its rows into findings and hits.

A unit's query sees `{{since}}` and `{{until}}` (TIMESTAMPTZ literals) and its parameters as
`{{name}}`, and returns one row per (group, window) with the columns `window_start`,
`first_seen`, `last_seen`, `hits`, `account`, `region`, the unit's `group_by` columns and,
optionally, `actor`, `summary`, `evidence` (a list of record ids) and `severity` (the row's
own, where it differs from the unit's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from vigil.detect.correlate import Event, sequences
from vigil.detect.routing import name_ranges
from vigil.detect.templates import literal, render, rendered
from vigil.detect.tuning import excepted_sql
from vigil.detect.units import Unit, UnitError
from vigil.errors import QueryError
from vigil.model.finding import Finding, Hit, finding_id
from vigil.query.engine import Engine, translated
from vigil.query.s3_requests import READS, bounded

OUTPUT: Final = ("window_start", "first_seen", "last_seen", "hits", "account", "region")


def unit_sql(unit: Unit, since: datetime, until: datetime,
             names: tuple[tuple[str, str], ...] | None = None) -> str:  # fmt: skip
    """The unit's SQL for [since, until), over its table without the records its tuning
    excepts; with `names` (the ranges of event names it can match) the lake is read through
    them, which skips the row groups without those names."""
    sql = rendered(unit, since, until)
    keep = []
    excepted = excepted_sql(unit)
    if excepted:
        keep.append(f"NOT coalesce({excepted}, false)")
    if names:
        ranges = [f"(eventname >= {_quoted(a)} AND eventname <= {_quoted(b)})" for a, b in names]
        keep.append("(" + " OR ".join(ranges) + ")")
    if unit.source in READS:  # a derived relation, read over just the run's days
        lo = literal(since - reach(unit))
        return shadowed(sql, unit.source, " AND ".join(keep) or "true",
                        bounded(lo, literal(until)))  # fmt: skip
    return shadowed(sql, unit.source, " AND ".join(keep)) if keep else sql


def reach(unit: Unit) -> timedelta:
    """How far before `since` a unit reads: its look-back (`lookback_days` or
    `lookback_minutes`) or one window, whichever is longest."""
    p = unit.parameters
    return max(timedelta(days=float(p.get("lookback_days", 0))),
               timedelta(minutes=float(p.get("lookback_minutes", 0))),
               timedelta(minutes=float(p.get("window_minutes", 60))))  # fmt: skip


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_LEADING_WITH: Final = re.compile(r"^(\s*(?:--[^\n]*\n\s*)*)WITH\s+", re.IGNORECASE)


def shadowed(sql: str, table: str, keep: str, base: str | None = None) -> str:
    """The query over just the table's records that meet `keep` (not excepted by tuning, in
    the unit's range of names): a CTE of the table's name shadows it for the whole query
    (first, so the query's own CTEs read it too). `base` is a query it reads instead of the
    table (a derived relation over a bounded range)."""
    cte = f"{table} AS (SELECT * FROM {f'({base})' if base else table} WHERE {keep})"
    found = _LEADING_WITH.match(sql)
    if found:
        return f"{sql[: found.end()]}{cte},\n{sql[found.end() :]}"
    return f"WITH {cte}\n{sql}"


def spark_sql(unit: Unit) -> str:
    """The unit's SQL as the Spark engine runs it (its macros inlined, carried over to Spark
    SQL); raises QueryError if it cannot be."""
    from vigil.query.spark.expand import vigil_macros

    return vigil_macros().spark(unit_sql(unit, datetime(2000, 1, 1), datetime(2000, 1, 2)))


def run_unit(
    con: Engine, unit: Unit, since: datetime, until: datetime
) -> list[tuple[Finding, Hit]]:
    for table in unit.requires:  # e.g. no threat list: nothing to find, no scan
        if not con.rows(f"SELECT count(*) FROM {table}")[0][0]:
            return []
    names = name_ranges(unit) if unit.source == "cloudtrail" else None
    try:
        sql = translated(con, unit_sql(unit, since, until, names))
        rows = con.query(sql).to_pylist()
    except QueryError as exc:
        raise UnitError(f"{unit.query_path}: {exc}") from exc
    corr = unit.sigma.correlation if unit.sigma is not None else None
    if corr is not None and corr.temporal:  # the base records, in order: completions
        rows = completions(unit, rows, since)
    return results(unit, rows)


def results(unit: Unit, rows: list[dict[str, Any]]) -> list[tuple[Finding, Hit]]:
    """A unit's result rows as findings and hits (each row checked for the columns)."""
    out = []
    for row in rows:
        missing = [c for c in (*OUTPUT, *unit.group_by) if c not in row]
        if missing:
            raise UnitError(f"{unit.query_path}: result lacks column(s) {', '.join(missing)}")
        out.append(_result(unit, row))
    return out


def completions(unit: Unit, rows: list[dict[str, Any]], since: datetime) -> list[dict[str, Any]]:
    """A temporal correlation's hits from its base records (`vigil.detect.correlate`): one row
    per completion that ends in the run's range, in the shape every unit returns."""
    corr = unit.sigma.correlation if unit.sigma is not None else None
    assert corr is not None
    by_id = {str(r["eventid"]): r for r in rows}
    events = [
        ((r["account"], *(r[k] for k in unit.group_by)),
         Event(r["event_ts"].timestamp(), str(r["eventid"]), tuple(r["_rules"] or ())))
        for r in rows
    ]  # fmt: skip
    out = []
    for group, done in sequences(events, corr.count, corr.seconds,
                                 corr.kind == "temporal_ordered"):  # fmt: skip
        if done.last < since.timestamp():
            continue
        key = tuple(group) if isinstance(group, tuple) else (group,)
        first, last = by_id[done.events[0].ident], by_id[done.events[-1].ident]
        ordered = sorted(done.events, key=lambda e: (e.moment, e.ident))
        out.append({
            "window_start": datetime.fromtimestamp(done.first, UTC),
            "first_seen": datetime.fromtimestamp(done.first, UTC),
            "last_seen": datetime.fromtimestamp(done.last, UTC),
            "hits": len(done.events), "account": key[0], "region": first["region"],
            "actor": last["_who"], **{k: first[k] for k in unit.group_by},
            "summary": f"{unit.title}: {len(done.events)} steps",
            "evidence": [e.ident for e in ordered],
        })  # fmt: skip
    return out


def _severity(unit: Unit, given: Any) -> float:
    """A row may say its own severity (a grant to everyone weighs more than to one account),
    within GuardDuty's scale; otherwise the unit's."""
    try:
        value = float(given)
    except (TypeError, ValueError):
        return unit.severity
    return min(10.0, max(1.0, value))


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _result(unit: Unit, row: dict[str, Any]) -> tuple[Finding, Hit]:
    key = {c: row[c] for c in unit.group_by}
    account, region = str(row["account"]), str(row["region"])
    fid = finding_id(unit.id, unit.type, account, key)
    bound = {c: v for c, v in key.items()}
    evidence = (
        render(unit.evidence, bound, keep=("first_seen", "last_seen")) if unit.evidence else ""
    )
    finding = Finding(
        id=fid, unit=unit.id, type=unit.type, title=unit.title, description=unit.description,
        severity=_severity(unit, row.get("severity")), account=account, region=region,
        resource_type=unit.resource_type, resource_id=str(row.get(unit.resource_column)),
        key={k: _iso(v) for k, v in key.items()}, first_seen="", last_seen="", count=0,
        actor=None, summary=None, evidence_query=evidence, sample_evidence=[],
        mitre=list(unit.mitre), nist_csf=list(unit.nist_csf), tactics=list(unit.tactics),
        parameters=dict(unit.parameters),
    )  # fmt: skip
    hit = Hit(
        finding_id=fid, window_start=_iso(row["window_start"]), first_seen=_iso(row["first_seen"]),
        last_seen=_iso(row["last_seen"]), count=int(row["hits"]),
        actor=None if row.get("actor") is None else str(row["actor"]),
        summary=None if row.get("summary") is None else str(row["summary"]),
        # sorted: the same ids in the same order from any engine, whatever order it lists them
        evidence=sorted(str(e) for e in (row.get("evidence") or []))[:20],
    )  # fmt: skip
    return finding, hit
