"""DuckDB, embedded: the default engine. In-memory, one view per lake table over its Parquet
files, the helper macros, and a locked-down mode for users' SQL."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Self

import duckdb
import pyarrow as pa
from duckdb.func import FunctionNullHandling

from vigil.errors import QueryError
from vigil.lake.catalog import table_files
from vigil.lake.tables import PARTITIONS, SOURCE_FILE, TABLES, TableSpec, full_schema

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
)

# The table names the AWS Athena documentation uses, so its examples run verbatim.
ALIASES: Final[dict[str, str]] = {"vpc_flow_logs": "flow_logs", "cloudtrail_logs": "cloudtrail"}

_FILE_FUNCTIONS: Final = re.compile(
    r"\b(read_\w+|parquet_\w+|sniff_csv|glob|delta_scan|iceberg_scan|sqlite_scan|"
    r"postgres_scan|mysql_scan|query_table|getenv)\s*\(",
    re.IGNORECASE,
)
_ALLOWED: Final = {"SELECT", "EXPLAIN"}


class DuckDBEngine:
    dialect = "duckdb"

    def __init__(
        self,
        lake: Path | None,
        *,
        read_only: bool = True,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        varchar = duckdb.sqltype("VARCHAR")
        self.con.create_function(
            "ipv6_key", ipv6_key, [varchar], varchar, null_handling=FunctionNullHandling.SPECIAL
        )
        for macro in MACROS:
            self.con.execute(macro)
        self.lake = lake
        if lake is not None:
            self._views(lake, read_only)

    def _views(self, lake: Path, read_only: bool) -> None:
        for name, spec in TABLES.items():
            _create_view(self.con, lake, name, spec)
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
        if self.lake is None:
            return
        for name in tables:
            self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        for name, spec in TABLES.items():
            _create_view(self.con, self.lake, name, spec)
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
        listed = ", ".join(literal(str(p)) for p in paths)
        return (
            f"read_parquet([{listed}], union_by_name = true, "
            f"hive_partitioning = {'true' if hive else 'false'})"
        )

    def define_trusted_addr(self) -> None:
        # `n` the stored IPv4 integer (NULL for IPv6), `ip` the text: the text is parsed only
        # where there is no integer.
        self.con.execute(
            "CREATE OR REPLACE MACRO is_trusted_addr(n, ip) AS EXISTS (SELECT 1 FROM "
            "trusted_list u WHERE n BETWEEN u.lo AND u.hi OR "
            "(n IS NULL AND ipv6_key(ip) BETWEEN u.lo6 AND u.hi6))"
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _create_view(con: duckdb.DuckDBPyConnection, lake: Path, name: str, spec: TableSpec) -> None:
    """The view is the table's full, typed schema (an empty relation) united by name with its
    files, so every column exists and has its type even when no file has it yet."""
    derived = DERIVED.get(name, "")
    extra = f", {derived}" if derived else ""
    schema = full_schema(spec)
    schema = pa.schema([f.with_type(pa.string()) if f.name == SOURCE_FILE else f for f in schema])
    for column in PARTITIONS:
        schema = schema.append(pa.field(column, pa.date32() if column == "date" else pa.string()))
    con.register(f"_schema_{name}", schema.empty_table())
    source = f"SELECT * FROM _schema_{name}"
    if table_files(lake, name):
        pattern = str(lake.absolute() / name / "*" / "*" / "*" / "*.parquet").replace("'", "''")
        source += (
            f" UNION ALL BY NAME SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, "
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
    found = _FILE_FUNCTIONS.search(sql)
    if found:
        raise QueryError(
            f"{found.group(1)}() reads files directly and is refused",
            hint="query the lake tables: flow_logs, cloudtrail",
        )


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
