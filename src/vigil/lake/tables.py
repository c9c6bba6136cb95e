"""The lake's tables: data columns, partition columns and how rows map to partitions.

Partition columns are `aws_account`, `aws_region` and `date` for every table. They never
collide with a log field (flow logs carry their own `region` and `account_id`), and `date` is
the name AWS's Athena flow-log table uses, so `WHERE date = DATE '2024-03-01'` works unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa

from vigil.formats import (
    cloudtrail_model,
    flowlog_fields,
    route53_resolver_records,
    s3_access_fields,
)
from vigil.formats.addresses import ipv4_integers

PARTITIONS: Final = ("aws_account", "aws_region", "date")
UNKNOWN: Final = "unknown"
SOURCE_FILE: Final = "source_file"
EPOCH_DAY: Final = date(1970, 1, 1)
# One value per object: dictionary-encoded in memory and in Parquet, read back as text.
SOURCE_FILE_TYPE: Final = pa.dictionary(pa.int32(), pa.string())  # records with no time at all


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema  # data columns, in order; partition columns are not stored in files
    time_column: str  # what `date` is derived from
    dedup_key: tuple[str, ...]
    dictionary_columns: tuple[str, ...]
    statistics_columns: tuple[str, ...] = ()  # min/max kept for row-group pruning
    compression: tuple[str, int | None] = ("zstd", 1)  # for fresh ingest; compaction uses zstd 3
    ipv4_columns: tuple[str, ...] = ()  # address columns stored also as `<name>_ipv4` UINT32
    # rows of a file sorted by these, in row groups of `row_group_rows`: a query for a few
    # event names then reads the row groups whose min/max hold them (none: arrival order)
    cluster_by: tuple[str, ...] = ()
    row_group_rows: int | None = None
    # where a record names its own account and Region (tables other than flow logs and
    # CloudTrail, which have their own rules): the key's (or the user's) values win, these fill in
    account_column: str | None = None
    region_column: str | None = None


FLOW_LOGS: Final = TableSpec(
    name="flow_logs",
    schema=pa.schema(
        [
            *flowlog_fields.lake_schema(),
            pa.field("flow_log_id", pa.string()),
            pa.field("srcaddr_ipv4", pa.uint32()),
            pa.field("dstaddr_ipv4", pa.uint32()),
        ]
    ),
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
    statistics_columns=(
        "start",
        "end",
        "srcport",
        "dstport",
        "protocol",
        "action",
        "log_status",
        "interface_id",
        "tcp_flags",
    ),
    compression=("snappy", None),  # the hot path: 2.5M records/s leaves no time for zstd
    ipv4_columns=("srcaddr", "dstaddr"),
)

CLOUDTRAIL: Final = TableSpec(
    name="cloudtrail",
    schema=cloudtrail_model.lake_schema(),
    time_column=cloudtrail_model.EVENT_TS,
    dedup_key=("recipientaccountid", "eventid"),
    dictionary_columns=(
        "eventversion", "eventsource", "eventname", "awsregion", "sourceipaddress", "useragent",
        "errorcode", "eventtype", "apiversion", "recipientaccountid", "eventcategory",
        "vpcendpointid", "readonly", "managementevent", "useridentity.type",
        "useridentity.accountid", "useridentity.invokedby", "tlsdetails.tlsversion",
        "tlsdetails.ciphersuite", "tlsdetails.clientprovidedhostheader", SOURCE_FILE,
    ),
    statistics_columns=("event_ts", "eventname", "eventsource"),
    cluster_by=("eventsource", "eventname", "event_ts"),
    row_group_rows=16_384,
)  # fmt: skip

# CloudWatch Logs events (PutLogEvents, or logs routed by `vigil ingest`). Times are epoch
# milliseconds as AWS gives them; the partition account and region are the log group's.
LOG_EVENTS: Final = TableSpec(
    name="log_events",
    schema=pa.schema(
        [
            pa.field("log_group", pa.string()),
            pa.field("log_stream", pa.string()),
            pa.field("timestamp", pa.int64()),
            pa.field("ingestion_time", pa.int64()),
            pa.field("message", pa.string()),
            pa.field("event_id", pa.string()),
        ]
    ),
    time_column="timestamp",
    dedup_key=("event_id",),
    dictionary_columns=("log_group", "log_stream", SOURCE_FILE),
    statistics_columns=("log_group", "log_stream", "timestamp", "ingestion_time"),
)

# Route 53 Resolver query logs (spec §11): Athena's documented columns, `query_timestamp` as
# logged (text) and `query_ts` its time; top-level keys the table does not know are kept in
# `extra_fields` (a JSON object), so a newer format version loses nothing. `registered_domain`
# is the name's public suffix and one label more (the Public Suffix List Vigil ships), filled
# at ingest: what volume and threat-list detections group by.
DNS_LOGS: Final = TableSpec(
    name="dns_logs",
    schema=pa.schema(
        [
            *route53_resolver_records.SCHEMA,
            pa.field("registered_domain", pa.string()),
            pa.field("srcaddr_ipv4", pa.uint32()),
        ]
    ),
    time_column="query_ts",
    dedup_key=("vpc_id", "query_timestamp", "query_name", "query_type", "srcaddr", "srcport",
               "transport", "rcode"),
    dictionary_columns=("version", "account_id", "region", "vpc_id", "query_type", "query_class",
                        "rcode", "transport", "firewall_rule_action", "firewall_rule_group_id",
                        "firewall_domain_list_id", SOURCE_FILE),
    statistics_columns=("query_ts", "rcode", "query_type"),
    ipv4_columns=("srcaddr",),
    account_column="account_id",
    region_column="region",
)  # fmt: skip

# S3 server access logs (spec §12): Athena's documented columns in the logged order, `-` as
# NULL, the numbers as numbers; `key` as logged (URL-encoded) with `key_decoded` beside it,
# `requestdatetime` as logged with `request_ts` its time. Fields AWS appends after the known
# ones are kept, as logged, in `extra_fields`. The records name neither account nor Region:
# the partitioned key layout does, or the user (`--account`, `--region`).
S3_ACCESS_LOGS: Final = TableSpec(
    name="s3_access_logs",
    schema=pa.schema([*s3_access_fields.SCHEMA, pa.field("remoteip_ipv4", pa.uint32())]),
    time_column="request_ts",
    dedup_key=("bucket_name", "requestid", "operation"),
    dictionary_columns=("bucketowner", "bucket_name", "operation", "errorcode", "sigv",
                        "ciphersuite", "authtype", "endpoint", "tlsversion", "aclrequired",
                        SOURCE_FILE),
    statistics_columns=("request_ts", "operation", "httpstatus"),
    ipv4_columns=("remoteip",),
)  # fmt: skip

TABLES: Final[dict[str, TableSpec]] = {
    "flow_logs": FLOW_LOGS,
    "cloudtrail": CLOUDTRAIL,
    "log_events": LOG_EVENTS,
    "dns_logs": DNS_LOGS,
    "s3_access_logs": S3_ACCESS_LOGS,
}


def full_schema(spec: TableSpec, extra: pa.Schema | None = None) -> pa.Schema:
    """Data columns + any unknown columns the source had + the lineage column."""
    fields = list(spec.schema)
    if extra is not None:
        known = set(spec.schema.names) | {SOURCE_FILE}
        fields += [f for f in extra if f.name not in known and f.name not in PARTITIONS]
    fields.append(pa.field(SOURCE_FILE, SOURCE_FILE_TYPE))
    return pa.schema(fields)


def conform(spec: TableSpec, table: pa.Table, source_file: str) -> pa.Table:
    """The parsed columns in their lake types, plus lineage. Fields a format lacks are not
    written (an all-NULL column costs as much to encode as a real one); the catalog's views
    and compaction give every table its full schema."""
    n = table.num_rows
    types = {f.name: f.type for f in spec.schema}
    names, columns = [], []
    for name, column in zip(table.column_names, table.columns, strict=True):
        target = types.get(name, column.type)
        names.append(name)
        columns.append(column if column.type == target else column.cast(target))
    for name in spec.ipv4_columns:
        if name in table.column_names and f"{name}_ipv4" not in table.column_names:
            names.append(f"{name}_ipv4")
            columns.append(ipv4_integers(table.column(name)))
    indices = pa.array(np.zeros(n, dtype=np.int32))
    names.append(SOURCE_FILE)
    columns.append(pa.DictionaryArray.from_arrays(indices, pa.array([source_file])))
    return pa.table(columns, names=names)


def as_lake_types(spec: TableSpec, table: pa.Table) -> pa.Table:
    """Every lake column, in order and in its type (after a round trip through DuckDB, or to
    fill the fields a format lacked); missing columns are NULL."""
    schema = full_schema(spec, table.schema)
    n = table.num_rows
    present = dict(zip(table.column_names, table.columns, strict=True))
    columns = [
        present[f.name].cast(f.type) if f.name in present else pa.nulls(n, f.type) for f in schema
    ]
    return pa.table(columns, schema=schema)
