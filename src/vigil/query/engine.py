"""The engine seam: the one place SQL meets the lake.

An `Engine` holds the lake's views (built from the table specs, so every column exists with
its type), the helper macros in its own dialect (`is_private_addr`, `ipv4_to_int`,
`is_trusted_addr`, the Athena names such as `from_unixtime`) and answers SQL with Arrow tables.
DuckDB, embedded, is the implementation today; `Settings.engine` chooses it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, Self

from vigil.config import ENGINES, QueryLimits, Settings, memory_bytes
from vigil.errors import BusyError, ConfigError, QueryError
from vigil.query.answer import Answer, Cancel

if TYPE_CHECKING:
    import pyarrow as pa

SPARK_HINT = "pip install 'cloudvigil[spark]' (pyspark, with Java 17 or later on the machine)"
TABLES_HINT = "tables: flow_logs, cloudtrail, log_events"


class Engine(Protocol):
    dialect: str  # its SQLGlot dialect name

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The result as an Arrow table; an engine error is a QueryError."""
        ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def bounded(self, sql: str, *, max_rows: int | None = None, max_bytes: int | None = None,
                seconds: float | None = None,
                cancel: threading.Event | None = None) -> Answer:  # fmt: skip
        """Rows as they stream, stopping at `max_rows` or `max_bytes`; interrupted after
        `seconds` or when `cancel` is set (a QueryError saying which)."""
        ...

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """The result in record batches of about `rows`, for results larger than memory."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Vigil's own statements (macros, views over loaded tables), in DuckDB's SQL."""
        ...

    def own_sql(self, sql: str) -> str:
        """Vigil's SQL (DuckDB's dialect, its macros) as this engine runs it."""
        ...

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
    spill: Path | None = None,
    geoip: Path | None = None,
) -> Engine:
    """An engine over the lake's views (`lake` None: no views, for reading given files);
    beyond `memory_limit` it spills into `spill` (at most four times the limit); with `geoip`
    (a folder of MMDB files) the `geoip_*` functions for users' queries."""
    chosen = engine or (lake.engine if isinstance(lake, Settings) else "duckdb")
    if chosen not in ENGINES:
        raise ConfigError(
            f"engine {chosen!r} is not available", hint=f"engines: {', '.join(ENGINES)}"
        )
    if chosen == "spark" and isinstance(lake, Settings):
        return _spark(lake, read_only)
    from vigil.query.duckdb import DuckDBEngine

    where = lake.lake_dir if isinstance(lake, Settings) else lake
    if threads is None and isinstance(lake, Settings):
        threads = lake.limits.threads  # a server's: one core left for its requests
    return DuckDBEngine(where, read_only=read_only, threads=threads, memory_limit=memory_limit,
                        spill=spill, geoip=geoip)  # fmt: skip


def _spark(settings: Settings, read_only: bool, lake: Path | None = None, *,
           views: bool = True) -> Engine:  # fmt: skip
    """The Spark engine over the home's lake (or `lake`, a folder of its own; `views` False:
    none); without pyspark installed, one clear error."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError("engine spark needs pyspark, which is not installed",
                          hint=SPARK_HINT) from None  # fmt: skip
    from vigil.query.spark import open_spark

    spark = settings.spark
    where = (settings if lake is None else lake) if views else None
    engine: Engine = open_spark(where, read_only=read_only,
                                master=spark.master, remote=spark.remote,
                                conf=dict(spark.conf))  # fmt: skip
    return engine


def open_lake_engine(lake: Path, how: Settings | None, **duckdb: Any) -> Engine:
    """An engine of the kind `how` chooses (its `engine` and `spark` settings; None: DuckDB)
    over the lake folder `lake` (a scratch lake of a unit's cases, the home's own)."""
    if how is not None and how.engine == "spark":
        return _spark(how, duckdb.get("read_only", True), lake)
    return open_engine(lake, **duckdb)


def translated(engine: Engine, sql: str) -> str:
    """Vigil's SQL (written for DuckDB: units, evidence, helpers' queries) in the engine's
    dialect; SQL that cannot be carried over is a QueryError saying why."""
    return engine.own_sql(sql)


@contextmanager
def engine_kept(settings: Settings | None) -> Iterator[None]:
    """Around a run of many short-lived engines (each unit case's, each of the demo's steps):
    Spark started once and kept until the run ends, each engine a session of its own on it.
    DuckDB starts in milliseconds: nothing to keep."""
    if settings is None or settings.engine != "spark":
        yield
        return
    keeper = _spark(settings, True, lake=None, views=False)
    try:
        yield
    finally:
        keeper.close()


class Bounded:
    """An engine for what clients send, every statement under the settings' limits."""

    def __init__(self, engine: Engine, limits: QueryLimits, cancel: Cancel | None) -> None:
        self.engine = engine
        self.limits = limits
        self.cancel = cancel

    def query(self, sql: str, max_rows: int | None = None, *, capped: bool = True,
              native: bool = False) -> Answer:  # fmt: skip
        """`max_rows` and the settings' cap, the smaller; SQL that limits itself to what an AWS
        API returns (Insights, FilterLogEvents: 10,000) passes `capped=False`, so its paging
        stays exact. The SQL is Vigil's (DuckDB's dialect, carried over to the engine's) unless
        `native`: a user's, already in the engine's dialect."""
        cap = self.limits.max_rows if capped else None
        rows = cap if max_rows is None else max_rows if cap is None else min(max_rows, cap)
        sql = sql if native else self.engine.own_sql(sql)
        return self.engine.bounded(sql, max_rows=rows, max_bytes=self.limits.max_bytes,
                                   seconds=self.limits.seconds, cancel=self.cancel)  # fmt: skip

    def rows(self, sql: str, *, capped: bool = True) -> list[tuple[Any, ...]]:
        table = self.query(sql, capped=capped).table
        return list(zip(*(c.to_pylist() for c in table.columns), strict=True))


class _Slots:
    """`size` queries at once; up to twice `size` more wait for a slot (watching their cancel
    and their time), any beyond are refused at once: waiting requests hold server threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self.waiting = 0
        self.cond = threading.Condition()

    def take(self, seconds: float | None, cancel: Cancel | None) -> None:
        deadline = None if seconds is None else time.monotonic() + seconds
        with self.cond:
            if self.free == 0 and self.waiting >= 2 * self.size:
                raise self._busy()
            self.waiting += 1
            try:
                while self.free == 0:
                    if cancel is not None and cancel.is_set():
                        raise QueryError("the query was stopped: its request was abandoned")
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise self._busy()
                    self.cond.wait(WAIT_STEP if left is None else min(left, WAIT_STEP))
                self.free -= 1
            finally:
                self.waiting -= 1

    def give(self) -> None:
        with self.cond:
            self.free += 1
            self.cond.notify()

    def _busy(self) -> BusyError:
        return BusyError(f"{self.size} queries are running, the server's limit "
                         "(query_concurrency)", hint="try again in a moment")  # fmt: skip


WAIT_STEP = 0.1  # seconds between a waiting query's looks at its cancel
_slots: dict[int, _Slots] = {}
_slots_lock = threading.Lock()


@contextmanager
def client_engine(settings: Settings, cancel: Cancel | None = None) -> Iterator[Bounded]:
    """An engine for a client's queries (the native API, the console, Insights, log events),
    under `settings.limits`: one of `concurrency` slots (waited for up to the time limit, then
    refused as busy), DuckDB's memory limit spilling to `<home>/tmp`, and each statement's
    time, row limit and cancellation."""
    limits = settings.limits
    with _slots_lock:
        slots = _slots.setdefault(limits.concurrency, _Slots(limits.concurrency))
    slots.take(limits.seconds, cancel)
    try:
        spill = None
        if limits.memory:
            memory_bytes(limits.memory)  # checked before DuckDB sees it
            spill = settings.temp_dir / "queries"
        from vigil.query.geoip import folder

        geoip = folder(settings.home)
        with open_engine(settings, memory_limit=limits.memory, spill=spill,
                         geoip=geoip) as engine:  # fmt: skip
            yield Bounded(engine, limits, cancel)
    finally:
        slots.give()


def check_read_only(sql: str) -> None:
    """Refuse anything but queries, with a reason the user can act on."""
    from vigil.query.duckdb import check_read_only as check

    check(sql)


DIALECTS: Final = ("duckdb", "athena", "spark")  # what a user's SQL may be written in
ENGINE_DIALECT: Final = {"duckdb": "duckdb", "spark": "spark"}


def in_dialect(sql: str, given: str | None, engine: str) -> str:
    """The SQL in the engine's dialect: written in `given` (duckdb, athena, spark) and
    transpiled by SQLGlot when that is not the engine's own; a statement SQLGlot cannot
    carry over is a QueryError saying why."""
    target = ENGINE_DIALECT.get(engine, "duckdb")
    source = "trino" if given == "athena" else (given or target)
    if given is not None and given not in DIALECTS:
        raise ConfigError(f"no SQL dialect {given!r}", hint=", ".join(DIALECTS))
    if source == target:
        return sql
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    try:
        out = sqlglot.transpile(sql, read=source, write=target,
                                unsupported_level=ErrorLevel.RAISE)  # fmt: skip
    except SqlglotError as exc:
        raise QueryError(f"cannot carry the {given} SQL over to {target}: {exc}") from None
    if len(out) != 1:
        raise QueryError("one statement at a time")
    return out[0]


def read_only_query(
    settings: Settings,
    sql: str,
    *,
    max_rows: int | None = None,
    cancel: Cancel | None = None,
    dialect: str | None = None,
) -> Answer:
    """A user's SQL (`vigil query`, the native API, evidence): refused unless it only reads
    the lake's tables; read up to `max_rows` (and the settings' limits). `dialect` is what the
    SQL is written in, when not the engine's own. DuckDB's SQL (Vigil's own: evidence) runs
    on any engine as the engine carries Vigil's SQL over, its macros included."""
    vigils = dialect == "duckdb"
    if not vigils:
        sql = in_dialect(sql, dialect, settings.engine)
    # the check parses DuckDB's SQL: Spark's is judged as SQLGlot carries it over
    native = settings.engine == "duckdb" or vigils
    check_read_only(sql if native else in_dialect(sql, settings.engine, "duckdb"))
    with client_engine(settings, cancel) as engine:
        return _hinted(lambda: engine.query(sql, max_rows, native=not vigils))


@contextmanager
def read_only_session(
    settings: Settings, cancel: Cancel | None = None
) -> Iterator[Callable[[str], pa.Table]]:
    """Several read-only queries on one engine (a page of views pays the set-up once)."""
    with client_engine(settings, cancel) as engine:

        def run(sql: str) -> pa.Table:
            check_read_only(sql)
            return _hinted(lambda: engine.query(sql)).table

        yield run


def _hinted(run: Callable[[], Answer]) -> Answer:
    try:
        return run()
    except QueryError as exc:
        raise QueryError(exc.message, hint=exc.hint or TABLES_HINT) from exc


def run_query(lake: Path, sql: str) -> pa.Table:
    """The same over a lake folder."""
    check_read_only(sql)
    with open_engine(lake) as engine:
        try:
            return engine.query(sql)
        except QueryError as exc:
            raise QueryError(str(exc), hint=TABLES_HINT) from exc
