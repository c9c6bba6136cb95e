"""Spark: the Engine protocol over the lake's Parquet files, in Spark SQL.

One temporary view per lake table, read with the table spec's schema; the helper functions
as SQL functions (`macros`). Queries are Spark SQL (`dialect`): callers transpile DuckDB SQL
first (SQLGlot)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final, Self, TypeVar

import pyarrow as pa
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession

from vigil.errors import ConfigError, QueryError
from vigil.lake.snapshot import Reader
from vigil.lake.store import LakeStore, S3Store, store_at
from vigil.lake.tables import TABLES
from vigil.query.answer import Answer
from vigil.query.duckdb import TRUSTED_ADDR
from vigil.query.s3_requests import bounded
from vigil.query.spark.expand import vigil_macros
from vigil.query.spark.macros import DERIVED, FUNCTIONS
from vigil.query.spark.schema import signed, struct, table_schema
from vigil.query.spark.session import add_tag, interrupt, on_connect, release, remove_tag

# The table names the AWS Athena documentation uses, as in the DuckDB engine.
ALIASES: Final[dict[str, str]] = {"vpc_flow_logs": "flow_logs", "cloudtrail_logs": "cloudtrail"}
NOT_YET: Final = "not supported on Spark yet"
# What Spark says when the JVM has no file system for s3a:// (hadoop-aws is not on its path)
NO_S3A: Final = ("No FileSystem for scheme", "S3AFileSystem", "UnsupportedFileSystem")
S3A_HINT: Final = (
    "give Spark the S3A connector: hadoop-aws of its Hadoop version and the AWS SDK bundle "
    "(spark.jars.packages: org.apache.hadoop:hadoop-aws:<version>), which EMR and Databricks "
    "have; or run on duckdb (engine: duckdb), which reads it through Arrow's S3 filesystem"
)
# The unbounded `s3_requests` view's range: Spark's timestamps have no infinities.
EARLIEST: Final = "1900-01-01"
LATEST: Final = "9000-01-01"
T = TypeVar("T")


class SparkEngine:
    dialect = "spark"

    def __init__(self, spark: SparkSession, lake: Path | None, *, owns: bool,
                 read_only: bool = True, defined: bool = False) -> None:  # fmt: skip
        self.spark = spark
        self.owns = owns  # it started Spark, so closing stops it
        self.reusable = False  # its session is given back for the next engine when it closes
        self.read_only = read_only  # users' SQL is checked before it gets here (check_read_only)
        self.lake = lake
        self.reader = Reader(lake) if lake is not None else None
        self.cached: list[str] = []
        self.tag = f"vigil-{uuid.uuid4().hex}"  # this engine's jobs, stopped when it closes
        add_tag(self.spark, self.tag)
        self.macros = vigil_macros()
        try:
            for statement in () if defined else FUNCTIONS:
                self.spark.sql(statement)
            self.reusable = not owns and not on_connect(spark)
            self._views()
        except BaseException:
            self.close()
            raise

    def _views(self) -> None:
        if self.lake is None or self.reader is None:
            return
        listed = self.reader.list(list(TABLES))  # the files stay until this engine closes
        store = store_at(self.lake, next((f[:1] for f in listed.values() if f), []))
        for name, spec in TABLES.items():
            schema = table_schema(spec)
            files = [_uri(store, f) for f in listed[name]]
            if files:  # basePath: the partition values come from the folders' names
                base = _uri(store, self.lake / name, entry=False)
                frame = _read(self.spark.read.schema(schema).option("basePath", base), files)
            else:
                frame = self.spark.createDataFrame([], schema)
            frame.createOrReplaceTempView(f"_files_{name}")
            derived = DERIVED.get(name, "")
            extra = f", {derived}" if derived else ""
            self.spark.sql(
                f"CREATE OR REPLACE TEMPORARY VIEW {name} AS SELECT *{extra} FROM _files_{name}"
            )
        for alias, name in ALIASES.items():
            self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {alias} AS SELECT * FROM {name}")
        self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW s3_requests AS {_every_request()}")

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> DataFrame:
        return self.spark.sql(sql, args=list(params) or None)

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return _guarded(lambda: self._frame(sql, params).toArrow())

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        table = self.query(sql, params)
        return list(zip(*(c.to_pylist() for c in table.columns), strict=True))

    def bounded(self, sql: str, *, max_rows: int | None = None, max_bytes: int | None = None,
                seconds: float | None = None,
                cancel: threading.Event | None = None) -> Answer:  # fmt: skip
        """At most `max_rows` + 1 rows are collected (one more tells the result was cut);
        a watcher interrupts the query (its tag) when `seconds` have passed or `cancel` is
        set."""
        group = f"vigil-{uuid.uuid4().hex}"  # a tag: classic Spark and Spark Connect alike
        stop = threading.Event()
        why: list[str] = []

        def watch() -> None:
            step = 0.05
            waited = 0.0
            while not why and not stop.wait(step):
                waited += step
                if cancel is not None and cancel.is_set():
                    why.append("its request was abandoned")
                elif seconds is not None and waited >= seconds:
                    why.append(f"it ran past {seconds:g} s, the server's limit (query_timeout)")
            # An interrupt stops the jobs running under the tag, not one still being planned:
            # again until the query gives up.
            while why:
                interrupt(self.spark, group)
                if stop.wait(0.25):
                    return

        add_tag(self.spark, group)
        watcher = threading.Thread(target=watch, name="query-watch", daemon=True)
        watcher.start()
        try:
            frame = _guarded(lambda: self._frame(sql))
            if max_rows is not None:
                frame = frame.limit(max_rows + 1)
            table = _guarded(frame.toArrow)
        except QueryError as exc:
            if why:
                raise QueryError(
                    f"the query was stopped: {why[0]}",
                    hint="narrow it: a time range, a LIMIT, fewer columns",
                ) from exc
            raise
        finally:
            stop.set()
            watcher.join()
            remove_tag(self.spark, group)
        keep = table.num_rows if max_rows is None else min(table.num_rows, max_rows)
        if max_bytes is not None and table.nbytes > max_bytes:  # wide rows
            keep = min(keep, int(table.num_rows * max_bytes / max(1, table.nbytes)))
        return Answer(table.slice(0, keep), keep < table.num_rows)

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """The result in batches of `rows`; it is collected whole first (held in memory)."""
        yield from self.query(sql).to_batches(max_chunksize=rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A macro is kept (inlined where queries call it); other statements carried over."""
        if not self.macros.add(sql):
            spark = self.own_sql(sql)
            _guarded(lambda: self._frame(spark, params))

    def own_sql(self, sql: str) -> str:
        return self.macros.spark(sql)

    def load_table(self, name: str, table: pa.Table) -> None:
        def load() -> None:
            typed = signed(table)  # an empty table's types cannot be inferred (Spark Connect)
            frame = self.spark.createDataFrame(typed, schema=struct(typed.schema))
            frame.createOrReplaceTempView(name)

        _guarded(load)

    def has_relation(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def refresh(self, tables: Sequence[str]) -> None:
        """The lake's files listed again, and `tables` held in memory as they are now."""
        for name in self.cached:
            self.spark.catalog.uncacheTable(name)
        self.cached = []
        _guarded(self._views)
        for name in tables:
            self.execute(f"CACHE TABLE {name}")
            self.cached.append(name)

    def files(self, paths: Sequence[Path], *, hive: bool = False) -> str:
        raise QueryError(f"reading given files is {NOT_YET}")

    def define_trusted_addr(self) -> None:
        self.macros.add(TRUSTED_ADDR)

    def close(self) -> None:
        try:
            interrupt(self.spark, self.tag)  # a result cut short leaves no task reading on
            if self.owns:
                self.spark.stop()
            else:  # another engine's Spark: only what this one made goes
                for name in self.cached:
                    self.spark.catalog.uncacheTable(name)
                remove_tag(self.spark, self.tag)
                if self.reusable:
                    self.reusable = False
                    release(self.spark)
        finally:
            if self.reader is not None:
                self.reader.close()
                self.reader = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@cache
def _every_request() -> str:
    """The unbounded `s3_requests` view's query in Spark SQL (carried over once a process)."""
    return vigil_macros().spark(bounded(f"TIMESTAMP '{EARLIEST}'", f"TIMESTAMP '{LATEST}'"))


def _uri(store: LakeStore, path: Path, *, entry: bool = True) -> str:
    """Where Spark reads a lake file: its path, or for an index entry of an object on S3 the
    object's s3a:// URI (the listing is the index's: Spark is given the objects, never a
    prefix to list)."""
    if not isinstance(store, S3Store):
        return str(path.absolute())
    return "s3a://" + (store.uri(path).removeprefix("s3://") if entry else store.key(path))


def _read(reader: Any, files: list[str]) -> DataFrame:
    """The files as a frame: a lake on S3 that this Spark cannot reach is a ConfigError."""
    try:
        return reader.parquet(*files)  # type: ignore[no-any-return]
    except (PySparkException, Py4JError) as exc:
        text = str(exc)
        if files[0].startswith("s3a://") and any(sign in text for sign in NO_S3A):
            where = files[0].split("/")[2]
            raise ConfigError(f"Spark cannot read the lake's objects in s3://{where}: it has "
                              "no S3A connector", hint=S3A_HINT) from None  # fmt: skip
        raise _query_error(exc) from exc


def _guarded(run: Callable[[], T]) -> T:
    """Spark's errors as QueryError, the message's first line (the plan follows it)."""
    try:
        return run()
    except (PySparkException, Py4JError) as exc:
        raise _query_error(exc) from exc


def _query_error(exc: Exception) -> QueryError:
    lines = str(exc).strip().splitlines()
    return QueryError(lines[0] if lines else type(exc).__name__)
