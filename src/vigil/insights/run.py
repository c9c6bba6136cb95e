"""Running an Insights query on log groups or a lake table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigil.config import Settings
from vigil.errors import ConfigError, QueryError
from vigil.insights.compile import to_sql, to_sql_counted
from vigil.insights.pointer import Pointer, seal
from vigil.insights.sources import POINTER_COLUMNS, Source, group_source, table_source
from vigil.logs.groups import LogStore
from vigil.query.answer import Cancel
from vigil.query.engine import client_engine

if TYPE_CHECKING:  # Arrow loads with the first query, not with the command line
    import pyarrow as pa


def source_for(
    settings: Settings,
    groups: list[str] | None,
    table: str | None,
    start: int | None,
    end: int | None,
) -> Source:
    if bool(groups) == bool(table):
        raise ConfigError("give --log-group (one or more) or --table", hint="--table flow_logs")
    if table:
        return table_source(table, start, end)
    with LogStore(settings) as store:
        found = [store.group(g) for g in groups or []]
    return group_source(found, start, end)


def run_insights(
    settings: Settings,
    query: str,
    *,
    groups: list[str] | None = None,
    table: str | None = None,
    start: int | None = None,
    end: int | None = None,
    cancel: Cancel | None = None,
) -> pa.Table:
    """The query's rows (at most its `limit`, 10,000), under the settings' query limits;
    `cancel` stops it (StopQuery, a client gone)."""
    sql = to_sql(query, source_for(settings, groups, table, start, end))
    with client_engine(settings, cancel) as engine:
        try:
            return engine.query(sql, capped=False).table  # Insights' own limit: 10,000
        except QueryError as exc:  # an engine error in generated SQL: say so, not the SQL
            raise QueryError(
                f"the query failed: {exc.message}", hint=exc.hint or "check field names and types"
            ) from exc


@dataclass(frozen=True)
class Answer:
    """StartQuery's result: its rows (each event row with its `@ptr`) and its statistics."""

    table: pa.Table
    matched: int
    scanned: int
    bytes_scanned: int
    groups: int


def run_query(
    settings: Settings,
    query: str,
    *,
    groups: list[str],
    start: int | None = None,
    end: int | None = None,
    cancel: Cancel | None = None,
) -> Answer:
    """An Insights query over log groups as StartQuery runs it: rows with pointers, and
    GetQueryResults' statistics."""
    sql, stats_sql = to_sql_counted(query, source_for(settings, groups, None, start, end))
    with client_engine(settings, cancel) as engine:
        try:
            table = engine.query(sql, capped=False).table
            matched, scanned, nbytes = engine.rows(stats_sql, capped=False)[0]
        except QueryError as exc:
            raise QueryError(
                f"the query failed: {exc.message}", hint=exc.hint or "check field names and types"
            ) from exc
    return Answer(_with_pointers(settings, table), int(matched), int(scanned), int(nbytes),
                  len(set(groups)))  # fmt: skip


def _with_pointers(settings: Settings, table: pa.Table) -> pa.Table:
    """The pointer columns sealed into one `@ptr` column (rows of stats have none)."""
    if POINTER_COLUMNS[0] not in table.column_names:
        return table
    parts = [table.column(c).to_pylist() for c in POINTER_COLUMNS]
    ptrs = [seal(settings, Pointer(g, s, int(t), e)) for g, s, t, e in zip(*parts, strict=True)]
    kept = table.drop_columns(list(POINTER_COLUMNS))
    import pyarrow as pa

    return kept.append_column("@ptr", pa.array(ptrs, pa.string()))
