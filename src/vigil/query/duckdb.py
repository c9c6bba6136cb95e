"""DuckDB, embedded: the default engine. In-memory, one view per lake table over its Parquet
files, the helper macros, and a locked-down mode for users' SQL."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Self

import duckdb
import pyarrow as pa
from duckdb.func import FunctionNullHandling

from vigil.config import memory_bytes
from vigil.errors import QueryError
from vigil.formats.cloudtrail_identity import MACROS as IDENTITY_MACROS
from vigil.formats.cloudtrail_identity import ipv6_prefix48
from vigil.lake.snapshot import Reader
from vigil.lake.store import LakeStore, S3Store, store_at
from vigil.lake.tables import PARTITIONS, SOURCE_FILE, TABLES, TableSpec, full_schema
from vigil.query.answer import Answer
from vigil.query.geoip import functions as geoip_functions
from vigil.query.s3_requests import STATEMENTS as S3_REQUESTS

# Columns computed in the view, not stored: they cost nothing unless a query uses them.
# (`srcaddr_ipv4` and `dstaddr_ipv4` are stored: ingest computes them.)
DERIVED: Final[dict[str, str]] = {
    "flow_logs": 'to_timestamp("start") AS start_time, to_timestamp("end") AS end_time',
    "cloudtrail": "",
    "log_events": 'epoch_ms("timestamp") AS event_time',
}

MACROS: Final = (
    # NULL unless the text is a dotted-quad IPv4 address (each octet 0-255). Casts, not a
    # regular expression: this runs on every row of large scans.
    "CREATE OR REPLACE MACRO ipv4_to_int(ip) AS "
    "CASE WHEN length(ip) - length(replace(ip, '.', '')) = 3 "
    "THEN (TRY_CAST(split_part(ip, '.', 1) AS UTINYINT)::UBIGINT << 24) "
    "+ (TRY_CAST(split_part(ip, '.', 2) AS UTINYINT)::UBIGINT << 16) "
    "+ (TRY_CAST(split_part(ip, '.', 3) AS UTINYINT)::UBIGINT << 8) "
    "+ TRY_CAST(split_part(ip, '.', 4) AS UTINYINT)::UBIGINT END",
    # RFC 1918 and carrier-grade NAT IPv4, IPv6 unique-local and link-local: cheap prefix tests.
    "CREATE OR REPLACE MACRO is_private_ip(ip) AS starts_with(ip, '10.') "
    "OR starts_with(ip, '192.168.') "
    "OR (starts_with(ip, '172.') AND TRY_CAST(split_part(ip, '.', 2) AS INT) BETWEEN 16 AND 31) "
    "OR (starts_with(ip, '100.') AND TRY_CAST(split_part(ip, '.', 2) AS INT) BETWEEN 64 AND 127) "
    "OR starts_with(lower(ip), 'fc') OR starts_with(lower(ip), 'fd') "
    "OR starts_with(lower(ip), 'fe80:')",
    # The same on the stored integers (`srcaddr_ipv4`): 10/8, 172.16/12, 192.168/16, 100.64/10.
    "CREATE OR REPLACE MACRO is_private_ipv4(n) AS (n >> 24) = 10 OR (n >> 20) = 2753 "
    "OR (n >> 16) = 49320 OR (n >> 22) = 401",
    # Integer test where the address is IPv4, the text test otherwise (IPv6).
    "CREATE OR REPLACE MACRO is_private_addr(n, ip) AS "
    "coalesce(is_private_ipv4(n), is_private_ip(ip))",
    "CREATE OR REPLACE MACRO ipv4_in_cidr(ip, cidr) AS "
    "ipv4_to_int(ip) >> (32 - split_part(cidr, '/', 2)::INT) = "
    "ipv4_to_int(split_part(cidr, '/', 1)) >> (32 - split_part(cidr, '/', 2)::INT)",
    # Presto/Athena names used by the AWS documentation's example queries.
    "CREATE OR REPLACE MACRO from_unixtime(s) AS to_timestamp(s)",
    "CREATE OR REPLACE MACRO to_iso8601(t) AS strftime(t, '%Y-%m-%dT%H:%M:%S.%gZ')",
    "CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
    "CREATE OR REPLACE MACRO day_of_week(d) AS isodow(d)",
    "CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
    # Shannon entropy of a string's characters in bits per character (0 for ''): DNS
    # exfiltration packs encoded data into long labels of high entropy.
    "CREATE OR REPLACE MACRO label_entropy(s) AS CASE WHEN length(s) = 0 THEN 0.0 ELSE "
    "0.0 - list_sum(list_transform(map_values(list_aggregate(string_split(s, ''), 'histogram')), "
    "lambda n: n / length(s) * log2(n / length(s)))) END",
)

# `n` the stored IPv4 integer (NULL for IPv6), `ip` the text: the text is parsed only where
# there is no integer.
TRUSTED_ADDR: Final = (
    "CREATE OR REPLACE MACRO is_trusted_addr(n, ip) AS EXISTS (SELECT 1 FROM "
    "trusted_list u WHERE n BETWEEN u.lo AND u.hi OR "
    "(n IS NULL AND ipv6_key(ip) BETWEEN u.lo6 AND u.hi6))"
)

# The table names the AWS Athena documentation uses, so its examples run verbatim.
ALIASES: Final[dict[str, str]] = {"vpc_flow_logs": "flow_logs", "cloudtrail_logs": "cloudtrail"}

# What a user's SQL may call, judged on the statement as DuckDB parses it (not on its text:
# `"read_text"(…)` and `read_text/**/(…)` are the same call). Table functions: only these, which
# make rows without reading anything. Scalar functions: all but these, which tell the server's
# environment and settings. A table named like a path ('x.parquet', 's3://…') would be a
# replacement scan, a file read in disguise. DuckDB itself is also locked to the lake.
TABLE_FUNCTIONS: Final = frozenset(
    {"range", "generate_series", "unnest", "json_each", "json_tree", "s3_requests_between"}
)  # the last reads only the lake
REFUSED_FUNCTIONS: Final = frozenset({"getenv", "current_setting", "getvariable"})
_PATH_LIKE: Final = re.compile(r"[/\\.:*?]")
LAKE_HINT: Final = "query the lake tables: flow_logs, cloudtrail, log_events"
_EXPLAIN: Final = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*EXPLAIN\s+(?:ANALY[SZ]E\s+)?",
    re.IGNORECASE | re.DOTALL,
)
_ALLOWED: Final = {"SELECT", "EXPLAIN"}
# What a user's SQL may read: the lake's tables, the Athena names, the trail's verdicts.
RELATIONS: Final = frozenset({*TABLES, *ALIASES, "trail_validation", "s3_requests"})
BATCH_ROWS: Final = 2048  # DuckDB's vector size: the first rows arrive without waiting for more
WATCH_EVERY: Final = 0.05  # seconds between looks at a running query's clock and cancel


class DuckDBEngine:
    dialect = "duckdb"

    def __init__(
        self,
        lake: Path | None,
        *,
        read_only: bool = True,
        threads: int | None = None,
        memory_limit: str | None = None,
        spill: Path | None = None,
        geoip: Path | None = None,
    ) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        # lake files are written once under new names: their footers can be kept between
        # queries (a detection run reads the same files once per unit)
        self.con.execute("SET parquet_metadata_cache = true")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = {literal(memory_limit)}")
        self.spill: Path | None = None
        if spill is None:  # never DuckDB's default, a `.tmp` in whatever folder we run in
            shared = Path(tempfile.gettempdir()) / f"vigil-spill-{os.getuid()}"
            self.con.execute(f"SET temp_directory = {literal(str(shared))}")
        if spill is not None:  # a folder of its own: engines at once never share spill files
            self.spill = spill / f"{os.getpid()}-{secrets.token_hex(4)}"
            self.spill.mkdir(parents=True, exist_ok=True)
            self.con.execute(f"SET temp_directory = {literal(str(self.spill))}")
            if memory_limit:
                cap = 4 * memory_bytes(memory_limit)
                self.con.execute(f"SET max_temp_directory_size = '{cap}B'")
        varchar = duckdb.sqltype("VARCHAR")
        self.con.create_function(
            "ipv6_key", ipv6_key, [varchar], varchar, null_handling=FunctionNullHandling.SPECIAL
        )
        self.con.create_function("ipv6_prefix48", ipv6_prefix48, [varchar], varchar,
                                 null_handling=FunctionNullHandling.SPECIAL)  # fmt: skip
        for macro in (*MACROS, *IDENTITY_MACROS):
            self.con.execute(macro)
        if geoip is not None:  # users' queries only: a Python call per row
            for fname, (function, returns) in geoip_functions(geoip).items():
                self.con.create_function(fname, function, [varchar], duckdb.sqltype(returns),
                                         null_handling=FunctionNullHandling.SPECIAL)  # fmt: skip
        self.lake = lake
        self.reader = Reader(lake) if lake is not None else None
        if lake is not None:
            try:
                self._views(lake, read_only)
            except BaseException:
                self.close()  # its claim on the lake's files, its spill folder
                raise

    def _views(self, lake: Path, read_only: bool) -> None:
        assert self.reader is not None
        listed = self.reader.list(list(TABLES))  # the files stay until this engine closes
        store = _store(lake, listed)
        for name, spec in TABLES.items():
            _create_view(self.con, name, spec, listed[name], store)
        validation = lake.absolute() / "_validation"
        if any(validation.glob("*.parquet")):  # `vigil trail validate` verdicts, latest per file
            pattern = str(validation / "*.parquet").replace("'", "''")
            self.con.execute(
                "CREATE OR REPLACE VIEW trail_validation AS SELECT * FROM read_parquet("
                f"'{pattern}') QUALIFY row_number() OVER "
                "(PARTITION BY uri ORDER BY validated_at DESC) = 1"
            )
        for alias, name in ALIASES.items():
            self.con.execute(f"CREATE OR REPLACE VIEW {alias} AS SELECT * FROM {name}")
        for statement in S3_REQUESTS:  # both S3 sources as one relation (query/s3_requests)
            self.con.execute(statement)
        if read_only:
            lake_dir = str(lake.absolute()).replace("'", "''")
            self.con.execute(f"SET allowed_directories = ['{lake_dir}/']")
            self.con.execute("SET enable_external_access = false")
            self.con.execute("SET lock_configuration = true")

    def query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        try:
            relation = self.con.sql(sql, params=list(params) or None)
            if relation is None:  # a statement with no result
                return pa.table({})
            return relation.to_arrow_table()
        except duckdb.Error as exc:
            raise QueryError(first_line(exc)) from exc

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise QueryError(first_line(exc)) from exc

    def bounded(self, sql: str, *, max_rows: int | None = None, max_bytes: int | None = None,
                seconds: float | None = None,
                cancel: threading.Event | None = None) -> Answer:  # fmt: skip
        """The result streams in batches and reading stops one row past `max_rows`, so a
        query of millions of rows holds only what is returned. A watcher interrupts DuckDB
        when `seconds` have passed or `cancel` is set."""
        stop = threading.Event()
        why: list[str] = []

        def watch() -> None:
            deadline = time.monotonic() + seconds if seconds else None
            while not stop.wait(WATCH_EVERY):
                if cancel is not None and cancel.is_set():
                    why.append("its request was abandoned")
                elif deadline is not None and time.monotonic() >= deadline:
                    why.append(f"it ran past {seconds:g} s, the server's limit (query_timeout)")
                else:
                    continue
                self.con.interrupt()
                return

        watcher = threading.Thread(target=watch, name="query-watch", daemon=True)
        watcher.start()
        try:
            batches, count, size, truncated = [], 0, 0, False
            reader = self.con.sql(sql).to_arrow_reader(BATCH_ROWS)
            for batch in reader:
                room = batch.num_rows
                if max_rows is not None:
                    room = min(room, max_rows - count)
                if max_bytes is not None and size + batch.nbytes > max_bytes:  # wide rows
                    share = (max_bytes - size) / max(1, batch.nbytes)
                    room = min(room, int(batch.num_rows * share))
                batches.append(batch.slice(0, room))
                count, size = count + room, size + batches[-1].nbytes
                if room < batch.num_rows:
                    truncated = True
                    break
            return Answer(pa.Table.from_batches(batches, reader.schema), truncated)
        except duckdb.InterruptException as exc:
            reason = why[0] if why else "interrupted"
            raise QueryError(
                f"the query was stopped: {reason}",
                hint="narrow it: a time range, a LIMIT, fewer columns",
            ) from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryError(f"the query needs more memory than it may use: {first_line(exc)}",
                             hint="narrow it, or raise query_memory_limit") from exc  # fmt: skip
        except duckdb.Error as exc:
            raise QueryError(first_line(exc)) from exc
        finally:
            stop.set()
            watcher.join()

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        try:
            reader: pa.RecordBatchReader = self.con.sql(sql).to_arrow_reader(rows)
            yield from reader
        except duckdb.Error as exc:
            raise QueryError(first_line(exc)) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            self.con.execute(sql, list(params))
        except duckdb.Error as exc:
            raise QueryError(first_line(exc)) from exc

    def load_table(self, name: str, table: pa.Table) -> None:
        self.con.register(f"_{name}_arrow", table)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_arrow")
        self.con.unregister(f"_{name}_arrow")

    def refresh(self, tables: Sequence[str]) -> None:
        if self.lake is None or self.reader is None:
            return
        for name in tables:
            self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        listed = self.reader.list(list(TABLES))
        store = _store(self.lake, listed)
        for name, spec in TABLES.items():
            _create_view(self.con, name, spec, listed[name], store)
        for name in tables:
            self.con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM main.{name}")

    def has_relation(self, name: str) -> bool:
        found = self.con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? UNION ALL "
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
            [name, name],
        ).fetchall()
        return any(row[0] for row in found)

    def files(self, paths: Sequence[Path], *, hive: bool = False) -> str:
        store = store_at(None, paths[:1])
        if store.remote:  # index entries of objects on S3: an Arrow dataset of them
            name = f"_files_{secrets.token_hex(6)}"
            self.con.register(name, _dataset(store, paths, None, hive))
            return name
        listed = ", ".join(literal(str(p)) for p in paths)
        return (
            f"read_parquet([{listed}], union_by_name = true, "
            f"hive_partitioning = {'true' if hive else 'false'})"
        )

    def define_trusted_addr(self) -> None:
        self.con.execute(TRUSTED_ADDR)

    def own_sql(self, sql: str) -> str:
        return sql

    def close(self) -> None:
        self.con.close()
        if self.reader is not None:
            self.reader.close()
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _store(lake: Path, listed: dict[str, list[Path]]) -> LakeStore:
    """Where the listed files are: the lake's folder, or objects on S3 (its index)."""
    return store_at(lake, next((files[:1] for files in listed.values() if files), []))


def _dataset(store: LakeStore, files: Sequence[Path], schema: pa.Schema | None,
             hive: bool) -> Any:  # fmt: skip
    assert isinstance(store, S3Store)
    return store.dataset(files, schema, hive)


def _create_view(con: duckdb.DuckDBPyConnection, name: str, spec: TableSpec,
                 files: Sequence[Path], store: LakeStore | None = None) -> None:  # fmt: skip
    """The view is the table's full, typed schema (an empty relation) united by name with its
    files, so every column exists and has its type even when no file has it yet. The files
    are the ones listed when the engine opened (a snapshot), not a glob read at each query.
    Objects on S3 are an Arrow dataset of that schema, which DuckDB scans with the query's
    filters and columns pushed down (partitions that cannot match are never read)."""
    derived = DERIVED.get(name, "")
    extra = f", {derived}" if derived else ""
    schema = full_schema(spec)
    schema = pa.schema([f.with_type(pa.string()) if f.name == SOURCE_FILE else f for f in schema])
    for column in PARTITIONS:
        schema = schema.append(pa.field(column, pa.date32() if column == "date" else pa.string()))
    if store is not None and store.remote:
        con.register(f"_objects_{name}", _dataset(store, files, schema, True))
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT *{extra} FROM _objects_{name}")
        return
    con.register(f"_schema_{name}", schema.empty_table())
    source = f"SELECT * FROM _schema_{name}"
    if files:  # the list as a variable: not thousands of literals parsed at every bind
        con.execute(f"SET VARIABLE _files_{name} = ?", [[str(f.absolute()) for f in files]])
        source += (
            f" UNION ALL BY NAME SELECT * FROM read_parquet(getvariable('_files_{name}'), "
            "hive_partitioning = true, "
            "union_by_name = true, "
            "hive_types = {'aws_account': VARCHAR, 'aws_region': VARCHAR, 'date': DATE})"
        )
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT *{extra} FROM ({source})")


def check_read_only(sql: str) -> None:
    """Refuse anything but queries, with a reason the user can act on."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"SQL does not parse: {first_line(exc)}") from exc
    if not statements:
        raise QueryError("no SQL statement given")
    for statement in statements:
        kind = str(statement.type).rsplit(".", 1)[-1].upper()
        if kind not in _ALLOWED:
            raise QueryError(
                f"{kind} statements are refused: `vigil query` is read-only",
                hint="only SELECT (and EXPLAIN) run here; the lake changes through vigil ingest",
            )
        _check_calls(statement.query, kind)


def _check_calls(text: str, kind: str) -> None:
    """The functions and tables one parsed statement names, against what users may call."""
    inner = text
    if kind == "EXPLAIN":  # EXPLAIN [ANALYZE] and one SELECT, which is what is checked
        inner = _EXPLAIN.sub("", text, count=1)
        if (
            inner == text
            or inner.lstrip().startswith("(")
            or [str(s.type).rsplit(".", 1)[-1] for s in duckdb.extract_statements(inner)]
            != ["SELECT"]
        ):
            raise QueryError("EXPLAIN is taken as EXPLAIN [ANALYZE] SELECT …, without options")
    tree = _parsed(inner)
    known = set(RELATIONS) | {str(n).lower() for n in _cte_names(tree)}
    for node in _nodes(tree):
        if node.get("type") == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name not in TABLE_FUNCTIONS:
                raise QueryError(f"{name}() is refused: table functions read files or the "
                                 "server's state", hint=LAKE_HINT)  # fmt: skip
        elif node.get("class") == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name in REFUSED_FUNCTIONS:
                raise QueryError(f"{name}() is refused: it reads the server's settings")
        elif node.get("type") == "BASE_TABLE" or (
            node.get("type") == "SHOW_REF" and node.get("show_type") == "SHOW"
        ):
            _check_table(node, known)


def _parsed(sql: str) -> dict[str, Any]:
    con = duckdb.connect(":memory:")
    try:
        raw = con.execute("SELECT json_serialize_sql(?::VARCHAR, skip_null := true, "
                          "skip_empty := true)", [sql]).fetchone()  # fmt: skip
    except duckdb.Error as exc:
        raise QueryError(f"SQL cannot be checked: {first_line(exc)}") from exc
    finally:
        con.close()
    tree: dict[str, Any] = json.loads(raw[0]) if raw else {}
    if tree.get("error"):
        raise QueryError(f"SQL cannot be checked: {tree.get('error_message', 'not a query')}",
                         hint="only SELECT (and EXPLAIN SELECT) run here")  # fmt: skip
    return tree


def _check_table(node: dict[str, Any], known: set[str]) -> None:
    """Only the lake's tables (and the query's own CTEs): not a file by its name (a
    replacement scan), not the catalog (pg_catalog, information_schema: settings, paths)."""
    name = str(node.get("table_name", ""))
    if _PATH_LIKE.search(name):
        raise QueryError(f"{name!r} names a file, which is refused", hint=LAKE_HINT)
    schema = str(node.get("schema_name") or "").lower()
    catalog = str(node.get("catalog_name") or "").lower()
    if name.lower() not in known or schema not in ("", "main") or catalog not in ("", "memory"):
        shown = ".".join(p for p in (catalog, schema, name) if p)
        raise QueryError(f"{shown} is not a table of the lake", hint=LAKE_HINT)


def _cte_names(tree: Any) -> Iterator[str]:
    for node in _nodes(tree):
        for entry in (node.get("cte_map") or {}).get("map") or []:
            if isinstance(entry, dict) and entry.get("key"):
                yield str(entry["key"])


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in the parsed statement, depth first."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ipv6_key(text: str | None) -> str | None:
    """An IPv6 address as 32 hex digits (NULL for anything else), for range tests in SQL."""
    try:
        address = ipaddress.IPv6Address((text or "").split("%", 1)[0])
    except ValueError:
        return None
    return f"{int(address):032x}"
