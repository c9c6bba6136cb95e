"""The engine seam: the one place SQL meets the lake.

An `Engine` holds the lake's views (built from the table specs, so every column exists with
its type), the helper macros in its own dialect (`is_private_addr`, `ipv4_to_int`,
`is_trusted_addr`, the Athena names such as `from_unixtime`) and answers SQL with Arrow tables.
DuckDB, embedded, is the implementation today; `Settings.engine` chooses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

from vigil.config import Settings
from vigil.errors import ConfigError, QueryError

if TYPE_CHECKING:
    import pyarrow as pa

ENGINES = ("duckdb",)


class Engine(Protocol):
    dialect: str  # its SQLGlot dialect name

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The result as an Arrow table; an engine error is a QueryError."""
        ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """The result in record batches of about `rows`, for results larger than memory."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def load_table(self, name: str, table: pa.Table) -> None:
        """A temporary table with these rows (intel lists, account lists, ranges)."""
        ...

    def has_relation(self, name: str) -> bool: ...

    def refresh(self, tables: Sequence[str]) -> None:
        """Read the lake's files again, and hold these tables in memory as they are now
        (a small lake queried many times: a committed batch)."""

    def files(self, paths: Sequence[Path], *, hive: bool = False) -> str:
        """A FROM source reading exactly these Parquet files (freshly written ones)."""
        ...

    def define_trusted_addr(self) -> None:
        """`is_trusted_addr(n, ip)` over the loaded `trusted_list`."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def open_engine(
    lake: Path | Settings | None,
    *,
    read_only: bool = True,
    threads: int | None = None,
    memory_limit: str | None = None,
    engine: str | None = None,
) -> Engine:
    """An engine over the lake's views (`lake` None: no views, for reading given files)."""
    chosen = engine or (lake.engine if isinstance(lake, Settings) else "duckdb")
    if chosen not in ENGINES:
        raise ConfigError(f"engine {chosen!r} is not available", hint="engines: duckdb")
    from vigil.query.duckdb import DuckDBEngine

    where = lake.lake_dir if isinstance(lake, Settings) else lake
    return DuckDBEngine(where, read_only=read_only, threads=threads, memory_limit=memory_limit)


def check_read_only(sql: str) -> None:
    """Refuse anything but queries, with a reason the user can act on."""
    from vigil.query.duckdb import check_read_only as check

    check(sql)


def read_only_query(settings: Settings, sql: str) -> pa.Table:
    """A user's SQL (`vigil query`): refused unless it only reads the lake's tables."""
    check_read_only(sql)
    with open_engine(settings) as engine:
        try:
            return engine.query(sql)
        except QueryError as exc:
            raise QueryError(str(exc), hint="tables: flow_logs, cloudtrail") from exc


@contextmanager
def read_only_session(settings: Settings) -> Iterator[Callable[[str], pa.Table]]:
    """Several read-only queries on one engine (a page of views pays the set-up once)."""
    with open_engine(settings) as engine:

        def run(sql: str) -> pa.Table:
            check_read_only(sql)
            try:
                return engine.query(sql)
            except QueryError as exc:
                raise QueryError(str(exc), hint="tables: flow_logs, cloudtrail") from exc

        yield run


def run_query(lake: Path, sql: str) -> pa.Table:
    """The same over a lake folder."""
    check_read_only(sql)
    with open_engine(lake) as engine:
        try:
            return engine.query(sql)
        except QueryError as exc:
            raise QueryError(str(exc), hint="tables: flow_logs, cloudtrail") from exc
