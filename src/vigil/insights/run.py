"""Running an Insights query on log groups or a lake table."""

from __future__ import annotations

import pyarrow as pa

from vigil.config import Settings
from vigil.errors import ConfigError, QueryError
from vigil.insights.compile import to_sql
from vigil.insights.sources import Source, group_source, table_source
from vigil.logs.groups import LogStore
from vigil.query.answer import Cancel
from vigil.query.engine import client_engine


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
