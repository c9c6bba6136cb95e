"""Turn lists of decoded msgspec structs into Arrow arrays, fast.

Attributes are fetched with one `attrgetter` call per record and transposed with `zip` (both
in C); raw JSON parts are joined into one buffer and wrapped as an Arrow string array without
a Python call per value. Nested structs are built from their non-null members and spread back
with `take`.
"""

from __future__ import annotations

from itertools import count
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

_TRUE = {True: True, False: False, "true": True, "false": False, "True": True, "False": False}
_ATTRIBUTES: dict[type, dict[str, str]] = {}


def _attributes(cls: type) -> dict[str, str]:
    """Lower-cased attribute name → attribute name for a Struct class (cached)."""
    known = _ATTRIBUTES.get(cls)
    if known is None:
        fields: tuple[str, ...] = getattr(cls, "__struct_fields__", ())
        known = _ATTRIBUTES[cls] = {name.lower(): name for name in fields}
    return known


def columns_of(records: list[Any], attrs: list[str]) -> list[list[Any]]:
    """The values of each attribute across records (one C-level pass per record)."""
    if not records:
        return [[] for _ in attrs]
    if len(attrs) == 1:
        return [[getattr(r, attrs[0]) for r in records]]
    return [list(col) for col in zip(*map(attrgetter(*attrs), records), strict=True)]


def build_array(values: list[Any], typ: pa.DataType) -> pa.Array:
    """An Arrow array of type `typ` from decoded values (structs, Raw JSON, flags, text)."""
    if pa.types.is_struct(typ):
        return _struct_array(values, typ)
    if pa.types.is_list(typ):
        return _list_array(values, typ)
    if pa.types.is_map(typ):
        pairs = [None if v is None else [(str(k), _text(x)) for k, x in v.items()] for v in values]
        return pa.array(pairs, type=typ)
    if pa.types.is_boolean(typ):
        try:
            return pa.array(values, type=typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # booleans written as strings
            return pa.array([_TRUE.get(v) if v is not None else None for v in values], type=typ)
    if values and isinstance(values[0], msgspec.Raw):
        return raw_array(values)
    return pa.array(values, type=typ)


def raw_array(values: list[msgspec.Raw]) -> pa.Array:
    """Raw JSON values as text in one buffer, byte for byte; JSON null (or nothing) is NULL.

    NULLs are found from the lengths and the bytes of four-byte values alone.
    """
    n = len(values)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join(values)
    wide = offsets[-1] >= 2**31
    offsets_buffer = pa.py_buffer(offsets if wide else offsets.astype(np.int32))
    null = lengths == 0
    four = np.flatnonzero(lengths == 4)
    if len(four):
        raw = np.frombuffer(data, dtype=np.uint8)
        words = raw[offsets[four][:, None] + np.arange(4)]
        null[four] = (words == np.frombuffer(b"null", dtype=np.uint8)).all(axis=1)
    nulls = int(null.sum())
    validity = pa.py_buffer(np.packbits(~null, bitorder="little")) if nulls else None
    typ = pa.large_string() if wide else pa.string()
    array = pa.Array.from_buffers(typ, n, [validity, offsets_buffer, pa.py_buffer(data)], nulls)
    return array.cast(pa.string()) if wide else array


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def _struct_array(values: list[Any], typ: pa.StructType) -> pa.Array:
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values), type=typ)
    attrs = _attributes(type(present[0]))
    names = [attrs[f.name] for f in typ]
    children = [
        build_array(col, f.type) for col, f in zip(columns_of(present, names), typ, strict=True)
    ]
    packed = pa.StructArray.from_arrays(children, fields=list(typ))
    if len(present) == len(values):
        return packed
    counter = count()
    spread = pa.array([next(counter) if v is not None else None for v in values], pa.int64())
    return packed.take(spread)


def _list_array(values: list[Any], typ: pa.ListType) -> pa.Array:
    offsets = [0]
    flat: list[Any] = []
    for v in values:
        if v:
            flat.extend(v)
        offsets.append(len(flat))
    inner = build_array(flat, typ.value_type)
    mask = pa.array([v is None for v in values], type=pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), inner, mask=mask)
