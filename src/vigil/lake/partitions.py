"""Rows to lake partitions: which account, Region and day each row belongs to, per table (flow
logs and CloudTrail have their own rules; other tables name the record's own account and Region
columns in their spec)."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from vigil.lake.tables import CLOUDTRAIL, EPOCH_DAY, FLOW_LOGS, TABLES, UNKNOWN, TableSpec

PartKey = tuple[str, str, date]  # (aws_account, aws_region, date)


def partition_slices(
    spec: TableSpec,
    table: pa.Table,
    account: str | pa.Array | None,
    region: str | None,
    day: date | None,
) -> list[tuple[PartKey, pa.Table]]:
    """Split rows by partition without adding columns to them (partitions are directories).

    The account is the key's when known (or the one the user gave), else the records' own
    (CloudTrail: recipientAccountId, else userIdentity.accountId). Flow-log records carry no region
    unless the format has `region`, so the key's region wins there; CloudTrail records carry
    `awsRegion`, which wins over the delivery region. The date is the event's (UTC), falling
    back to the key's delivery date. The common case (one account, region and day per object)
    costs a few vector operations and no copy.
    """
    n = table.num_rows
    if n == 0:
        return []
    single = _single_partition(spec, table, account, region)
    if single is not None:
        return [(single, table)]
    if spec is FLOW_LOGS:
        acct = _constant_or(account, _column(table, "account_id"), n)
        reg = _constant_or(region, _column(table, "region"), n)
        days = pc.cast(pc.cast(_column(table, "start"), pa.timestamp("s")), pa.date32())
    elif spec is not CLOUDTRAIL:
        acct = _constant_or(account, _own(table, spec.account_column), n)
        reg = _constant_or(region, _own(table, spec.region_column), n)
        days = pc.cast(_column(table, spec.time_column), pa.date32())
    else:
        acct = _constant_or(account, _record_account(table), n)
        reg = pc.fill_null(_column(table, "awsregion"), region or UNKNOWN)
        days = pc.cast(_column(table, spec.time_column), pa.date32())
    days = pc.fill_null(days, pa.scalar(day or EPOCH_DAY, pa.date32()))
    columns = [pc.dictionary_encode(c).combine_chunks() for c in (acct, reg, days)]
    sizes = [len(c.dictionary) for c in columns]
    if sizes == [1, 1, 1]:
        return [(_key(columns, 0, 0, 0), table)]
    code = pc.add(
        pc.multiply(columns[0].indices.cast(pa.int64()), sizes[1] * sizes[2]),
        pc.add(pc.multiply(columns[1].indices.cast(pa.int64()), sizes[2]), columns[2].indices),
    )
    out = []
    for value in pc.unique(code).to_pylist():
        a, rest = divmod(value, sizes[1] * sizes[2])
        r, d = divmod(rest, sizes[2])
        out.append((_key(columns, a, r, d), table.filter(pc.equal(code, value))))
    return out


def _single_partition(
    spec: TableSpec, table: pa.Table, account: str | pa.Array | None, region: str | None
) -> PartKey | None:
    """The common case, checked with min/max only: one account, one region, one day."""
    if not isinstance(account, str):
        return None
    if spec is FLOW_LOGS:
        if region is None:
            return None
        days = pc.cast(pc.cast(_column(table, "start"), pa.timestamp("s")), pa.date32())
    elif spec is not CLOUDTRAIL:
        if region is None:
            regions = _own(table, spec.region_column)
            span = pc.min_max(regions).as_py()
            if regions.null_count or span["min"] != span["max"]:
                return None
            region = span["min"]
        days = pc.cast(_column(table, spec.time_column), pa.date32())
    else:
        regions = _column(table, "awsregion")
        span = pc.min_max(regions).as_py()
        if regions.null_count or span["min"] != span["max"]:
            return None
        region = span["min"]
        days = pc.cast(_column(table, spec.time_column), pa.date32())
    bounds = pc.min_max(days).as_py()
    if days.null_count or bounds["min"] != bounds["max"] or region is None:
        return None
    return (_safe(account), _safe(region), bounds["min"])


_PART_VALUE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _safe(value: str) -> str:
    """A partition value is a directory name: an account or Region, never a path, a huge
    string or odd bytes (those rows go under `unknown`; the column keeps what they said)."""
    return value if _PART_VALUE.fullmatch(value) else UNKNOWN


def _key(columns: list[pa.DictionaryArray], a: int, r: int, d: int) -> PartKey:
    return (
        _safe(str(columns[0].dictionary[a].as_py())),
        _safe(str(columns[1].dictionary[r].as_py())),
        columns[2].dictionary[d].as_py(),
    )


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    """A column, or NULLs of its lake type when the source format did not have it."""
    if name in table.column_names:
        return table[name]
    typ = next(s.schema.field(name).type for s in TABLES.values() if name in s.schema.names)
    return pa.chunked_array([pa.nulls(table.num_rows, typ)])


def _own(table: pa.Table, name: str | None) -> pa.ChunkedArray:
    """A record's own account or Region column (NULL where the table has none)."""
    if name is None or name not in table.column_names:
        return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])
    return table[name].cast(pa.string())


def _record_account(table: pa.Table) -> pa.ChunkedArray:
    """A CloudTrail record's own account: recipientAccountId, else the caller's
    (userIdentity.accountId)."""
    recipient = _column(table, "recipientaccountid").cast(pa.string())
    if "useridentity" not in table.column_names or not recipient.null_count:
        return recipient
    caller = pc.struct_field(table["useridentity"], "accountid").cast(pa.string())
    return pc.coalesce(recipient, caller)


def _constant_or(value: str | pa.Array | None, column: pa.ChunkedArray, n: int) -> pa.ChunkedArray:
    """The key's value (one for all rows, or one per row), else the records' own."""
    if isinstance(value, pa.Array):
        return pa.chunked_array([value])
    if value is not None:
        return pa.chunked_array([pa.repeat(pa.scalar(value), n)])
    return pc.fill_null(column.cast(pa.string()), UNKNOWN)
