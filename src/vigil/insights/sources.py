"""What an Insights query reads: log groups, or a lake table, and how field names resolve.

Log groups expose `@timestamp`, `@message`, `@logStream`, `@log` and `@ingestionTime`; other
fields are discovered in JSON messages (`a.b.c`, `items.0.id`) and, for flow-log groups, the
default format's camelCase names. The lake tables answer to the names Insights users know
(`srcAddr`, `eventName`, `userIdentity.arn`, `additionalEventData.MFAUsed`) and to Athena's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from vigil.clock import now_ms
from vigil.errors import QueryError
from vigil.logs.groups import LogGroup
from vigil.logs.pattern_sql import literal
from vigil.logs.read import live_events_sql, time_range

# Insights' names for default-format flow logs, with their position in the record
FLOW_FIELDS: Final = ("version", "accountId", "interfaceId", "srcAddr", "dstAddr", "srcPort",
                      "dstPort", "protocol", "packets", "bytes", "startTime", "endTime",
                      "action", "logStatus")  # fmt: skip
FLOW_COLUMNS: Final = dict(zip(FLOW_FIELDS, ("version", "account_id", "interface_id", "srcaddr",
                                             "dstaddr", "srcport", "dstport", "protocol", "packets",
                                             "bytes", "start", "end", "action", "log_status"),
                               strict=True))  # fmt: skip
POINTER_COLUMNS: Final = ("__ptr_group", "__ptr_stream", "__ptr_ts", "__ptr_id")
NUMERIC_FLOW: Final = frozenset({"version", "srcport", "dstport", "protocol", "packets", "bytes",
                                 "start", "end", "tcp_flags", "traffic_path"})  # fmt: skip


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Source:
    """The base relation and the resolution of names not defined by the query itself."""

    sql: str
    kinds: dict[str, str] = field(default_factory=dict)  # column → num | str | time
    table: str | None = None
    pointer_columns: tuple[str, ...] = ()  # what says which event a row is (its @ptr)

    def resolve(self, name: str) -> tuple[str, str]:
        """(SQL expression, kind) of a field the base relation offers."""
        if name in self.kinds:
            return quote_name(name), self.kinds[name]
        if self.table == "flow_logs":
            column = FLOW_COLUMNS.get(name) or name.lower().replace("-", "_")
            kind = "num" if column in NUMERIC_FLOW else "str"
            return quote_name(column), kind
        if self.table == "cloudtrail":  # its field map loads the Arrow schema: only here
            from vigil.formats.cloudtrail_fields import UnmappedField, sql_expr

            try:
                return sql_expr(name), "str"
            except UnmappedField as exc:
                raise QueryError(str(exc), hint="CloudTrail fields: eventName, userIdentity.arn, "
                                 "requestParameters.bucketName, …") from exc  # fmt: skip
        if name in FLOW_FIELDS:  # a flow-log group's default-format record
            position = FLOW_FIELDS.index(name) + 1
            return f"nullif(split_part(\"@message\", ' ', {position}), '')", "any"
        path = "$" + "".join(f"[{p}]" if p.isdigit() else f'."{p}"' for p in name.split("."))
        found = f'json_extract_string("@message", {literal(path)})'
        return f'CASE WHEN json_valid("@message") THEN {found} END', "any"


def group_source(groups: list[LogGroup], start: int | None, end: int | None) -> Source:
    now = now_ms()
    parts = [
        'SELECT CAST(epoch_ms("timestamp") AS TIMESTAMPTZ) AS "@timestamp", '
        'message AS "@message", '
        'CAST(epoch_ms(ingestion_time) AS TIMESTAMPTZ) AS "@ingestionTime", '
        f'log_stream AS "@logStream", {literal(g.account + ":" + g.name)} AS "@log", '
        f'log_group AS "__ptr_group", log_stream AS "__ptr_stream", "timestamp" AS "__ptr_ts", '
        'event_id AS "__ptr_id" '
        f"FROM ({live_events_sql(g, start, end, now)})"
        for g in groups
    ]
    kinds = {"@timestamp": "time", "@message": "str", "@logStream": "str", "@log": "str",
             "@ingestionTime": "time"}  # fmt: skip
    return Source(" UNION ALL ".join(parts), kinds, pointer_columns=POINTER_COLUMNS)


def table_source(table: str, start: int | None, end: int | None) -> Source:
    if table == "flow_logs":
        message = "concat_ws(' ', " + ", ".join(
            f"coalesce(CAST({quote_name(c)} AS VARCHAR), '-')" for c in FLOW_COLUMNS.values()
        ) + ")"  # fmt: skip
        where = time_range(start, end, '"start" * 1000')
        sql = (f"SELECT *, to_timestamp(\"start\") AS \"@timestamp\", {message} AS \"@message\" "
               "FROM flow_logs")  # fmt: skip
    elif table == "cloudtrail":
        where = time_range(start, end, "epoch_ms(event_ts)")
        sql = ("SELECT *, event_ts AS \"@timestamp\", to_json(c) AS \"@message\" "
               "FROM cloudtrail c")  # fmt: skip
    else:
        raise QueryError(f"no table {table!r} for Insights", hint="--table flow_logs or cloudtrail")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return Source(sql, {"@timestamp": "time", "@message": "str"}, table)
