"""The fast path for CloudTrail log files: DuckDB's JSON reader builds the typed columns.

msgspec splits `{"Records": […]}` into raw records without looking inside them; DuckDB's C++
JSON reader parses them with the lake's types (the variable-shape parts are skipped); msgspec
picks out those parts as raw JSON text, byte for byte. No Python object is built per field.
Anything the fast path does not expect (a record on several lines, web identity attributes,
a value DuckDB cannot type) makes it return None, and the caller takes the careful path.
"""

from __future__ import annotations

import io
import threading
import types
import typing
from typing import Any, Final

import duckdb
import msgspec
import pyarrow as pa

from vigil.formats.cloudtrail_model import COLUMNS, EVENT_TS, RawLogFile, Record
from vigil.formats.columnar import _attributes, columns_of, raw_array
from vigil.formats.timestamps import all_plausible, event_ts

RAW_FIELDS: Final = tuple(
    attr for attr, hint in typing.get_type_hints(Record).items() if hint is msgspec.Raw
)
_NULL: Final = msgspec.Raw(b"null")


class _RawParts(msgspec.Struct, gc=False):
    requestParameters: msgspec.Raw = _NULL
    responseElements: msgspec.Raw = _NULL
    additionalEventData: msgspec.Raw = _NULL
    serviceEventDetails: msgspec.Raw = _NULL
    edgeDeviceDetails: msgspec.Raw = _NULL
    insightDetails: msgspec.Raw = _NULL


class _RawPartsFile(msgspec.Struct, gc=False):
    Records: list[_RawParts]


assert set(RAW_FIELDS) == set(_RawParts.__struct_fields__)
_SPLIT: Final = msgspec.json.Decoder(RawLogFile)
_PARTS: Final = msgspec.json.Decoder(_RawPartsFile)
_SKIP: Final = frozenset({"webIdFederationData"})  # a map Arrow's JSON reader cannot type


def _unwrap(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        return members[0] if len(members) == 1 else hint
    return hint


def _json_type(typ: pa.DataType, hint: Any) -> pa.DataType:
    """The lake type with CloudTrail's own (camelCase) field names, for Arrow's reader."""
    hint = _unwrap(hint)
    if pa.types.is_struct(typ):
        names = _attributes(hint)
        hints = typing.get_type_hints(hint)
        fields = [
            pa.field(names[f.name], _json_type(f.type, hints[names[f.name]]))
            for f in typ
            if names[f.name] not in _SKIP
        ]
        return pa.struct(fields)
    if pa.types.is_list(typ):
        return pa.list_(_json_type(typ.value_type, typing.get_args(hint)[0]))
    return typ


def _read_schema() -> pa.Schema:
    hints = typing.get_type_hints(Record)
    return pa.schema(
        [
            pa.field(attr, _json_type(typ, hints[attr]))
            for _, attr, typ in COLUMNS
            if attr not in RAW_FIELDS
        ]
    )


READ_SCHEMA: Final = _read_schema()


def _duck_type(typ: pa.DataType) -> str:
    if pa.types.is_struct(typ):
        return "STRUCT(" + ", ".join(f'"{f.name}" {_duck_type(f.type)}' for f in typ) + ")"
    if pa.types.is_list(typ):
        return _duck_type(typ.value_type) + "[]"
    return "BOOLEAN" if pa.types.is_boolean(typ) else "VARCHAR"


DUCK_COLUMNS: Final = {f.name: _duck_type(f.type) for f in READ_SCHEMA}
_local = threading.local()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per worker thread, single-threaded (ingest parallelises files)."""
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:")
        con.execute("SET threads = 1")
        con.execute("SET memory_limit = '256MB'")
        _local.con = con
    return con


def fast_tables(files: list[bytes]) -> list[pa.Table] | None:
    """The Athena columns of each `{"Records": […]}` file, parsed together in one pass (so
    small files cost no more than big ones), or None to use the careful path."""
    if any(_multiline(data) or b'"webIdFederationData"' in data for data in files):
        return None
    try:
        split = [_SPLIT.decode(data).Records for data in files]
        records = [r for file in split for r in file]
        if not records:
            return None
        ndjson = io.BytesIO(b"\n".join(records))
        relation = _duckdb().read_json(ndjson, columns=DUCK_COLUMNS, format="newline_delimited")
        parsed = relation.to_arrow_table()
        parts = [p for data in files for p in _PARTS.decode(data).Records]
    except (msgspec.DecodeError, duckdb.Error):
        return None
    if parsed.num_rows != len(records) or len(parts) != len(records):
        return None
    raw = dict(zip(RAW_FIELDS, columns_of(parts, list(RAW_FIELDS)), strict=True))
    arrays = []
    for _, attr, typ in COLUMNS:
        if attr in raw:
            arrays.append(raw_array(raw[attr]))
        else:
            arrays.append(_renamed(parsed.column(attr).combine_chunks(), typ))
    table = pa.table(arrays, names=[col for col, _, _ in COLUMNS])
    table = table.append_column(EVENT_TS, event_ts(table["eventtime"]))
    if not all_plausible(table[EVENT_TS]):  # a time that cannot be read: rejected one by one
        return None
    out = []
    offset = 0
    for file in split:
        out.append(table.slice(offset, len(file)))
        offset += len(file)
    return out


def _multiline(data: bytes) -> bool:
    """A newline before the end: a pretty-printed file, which the line reader cannot take."""
    at = data.find(b"\n")
    return at != -1 and bool(data[at:].strip())


def _renamed(array: pa.Array, typ: pa.DataType) -> pa.Array:
    """`array` under the lake's lower-case field names (shared, not copied); fields the reader
    skipped are NULL."""
    if pa.types.is_struct(typ):
        by_lower = {array.type.field(i).name.lower(): i for i in range(array.type.num_fields)}
        children = [
            _renamed(array.field(by_lower[f.name]), f.type)
            if f.name in by_lower
            else pa.nulls(len(array), f.type)
            for f in typ
        ]
        mask = array.is_null() if array.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(typ), mask=mask)
    if pa.types.is_list(typ):
        values = _renamed(array.values, typ.value_type)
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(array.offsets, values, type=typ, mask=mask)
    return array if array.type == typ else array.cast(typ)
