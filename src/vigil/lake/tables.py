"""The lake's tables: data columns, partition columns and how rows map to partitions.

Partition columns are `aws_account`, `aws_region` and `date` for every table. They never
collide with a log field (flow logs carry their own `region` and `account_id`), and `date` is
the name AWS's Athena flow-log table uses, so `WHERE date = DATE '2024-03-01'` works unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from vigil.formats import cloudtrail_model, flowlog_fields

PARTITIONS: Final = ("aws_account", "aws_region", "date")
UNKNOWN: Final = "unknown"
SOURCE_FILE: Final = "source_file"
EPOCH_DAY: Final = date(1970, 1, 1)  # records with no time at all


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema  # data columns, in order; partition columns are not stored in files
    time_column: str  # what `date` is derived from
    dedup_key: tuple[str, ...]
    dictionary_columns: tuple[str, ...]


FLOW_LOGS: Final = TableSpec(
    name="flow_logs",
    schema=flowlog_fields.lake_schema().append(pa.field("flow_log_id", pa.string())),
    time_column="start",
    dedup_key=(
        "interface_id",
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "start",
        "end",
        "action",
        "log_status",
    ),
    dictionary_columns=(
        "account_id",
        "interface_id",
        "action",
        "log_status",
        "vpc_id",
        "subnet_id",
        "instance_id",
        "type",
        "region",
        "az_id",
        "flow_direction",
        "pkt_src_aws_service",
        "pkt_dst_aws_service",
        "flow_log_id",
        SOURCE_FILE,
    ),
)

CLOUDTRAIL: Final = TableSpec(
    name="cloudtrail",
    schema=cloudtrail_model.lake_schema(),
    time_column=cloudtrail_model.EVENT_TS,
    dedup_key=("recipientaccountid", "eventid"),
    dictionary_columns=(),
)

TABLES: Final[dict[str, TableSpec]] = {"flow_logs": FLOW_LOGS, "cloudtrail": CLOUDTRAIL}


def full_schema(spec: TableSpec, extra: pa.Schema | None = None) -> pa.Schema:
    """Data columns + any unknown columns the source had + the lineage column."""
    fields = list(spec.schema)
    if extra is not None:
        known = set(spec.schema.names) | {SOURCE_FILE}
        fields += [f for f in extra if f.name not in known and f.name not in PARTITIONS]
    fields.append(pa.field(SOURCE_FILE, pa.string()))
    return pa.schema(fields)


def conform(spec: TableSpec, table: pa.Table, source_file: str) -> pa.Table:
    """Give a parsed table every lake column (nulls where the format lacked a field)."""
    schema = full_schema(spec, table.schema)
    n = table.num_rows
    columns = []
    for field in schema:
        if field.name == SOURCE_FILE:
            columns.append(pa.repeat(pa.scalar(source_file), n))
        elif field.name in table.column_names:
            columns.append(table[field.name].cast(field.type))
        else:
            columns.append(pa.nulls(n, field.type))
    return pa.table(columns, schema=schema)


def as_lake_types(spec: TableSpec, table: pa.Table) -> pa.Table:
    """Columns in the lake's order and types (e.g. after a round trip through DuckDB)."""
    schema = full_schema(spec, table.schema)
    return pa.table([table[f.name].cast(f.type) for f in schema], schema=schema)


def partition_values(
    spec: TableSpec,
    table: pa.Table,
    account: str | None,
    region: str | None,
    day: date | None,
) -> pa.Table:
    """Add the partition columns: the key's account when known, else the records'.

    Flow-log records carry no region unless the format has `region`, so the key's region
    wins there; CloudTrail records carry `awsRegion`, which wins over the delivery region.
    The date is the event's (UTC), falling back to the key's delivery date.
    """
    n = table.num_rows
    if spec is FLOW_LOGS:
        acct = _constant_or(account, table["account_id"], n)
        reg = _constant_or(region, table["region"], n)
        days = pc.cast(pc.cast(table["start"], pa.timestamp("s")), pa.date32())
    else:
        acct = _constant_or(account, table["recipientaccountid"], n)
        reg = pc.fill_null(table["awsregion"], region or UNKNOWN)
        days = pc.cast(table[spec.time_column], pa.date32())
    days = pc.fill_null(days, pa.scalar(day or EPOCH_DAY, pa.date32()))
    return (
        table.append_column("aws_account", acct)
        .append_column("aws_region", reg)
        .append_column("date", days)
    )


def _constant_or(value: str | None, column: pa.ChunkedArray, n: int) -> pa.ChunkedArray:
    if value is not None:
        return pa.chunked_array([pa.repeat(pa.scalar(value), n)])
    return pc.fill_null(column.cast(pa.string()), UNKNOWN)
