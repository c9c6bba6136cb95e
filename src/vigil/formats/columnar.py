"""Turn lists of decoded msgspec structs into Arrow arrays without per-record dicts."""

from __future__ import annotations

from typing import Any

import msgspec
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
        return pa.array([_TRUE.get(v) if v is not None else None for v in values], type=typ)
    if values and any(isinstance(v, msgspec.Raw) for v in values[:1]):
        return pa.array([raw_text(v) for v in values], type=typ)
    return pa.array(values, type=typ)


def raw_text(value: msgspec.Raw | None) -> str | None:
    """Raw JSON as text; JSON null (or nothing) as NULL."""
    if value is None:
        return None
    data = bytes(value)
    return None if data == b"null" or not data else data.decode("utf-8")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def _struct_array(values: list[Any], typ: pa.StructType) -> pa.Array:
    present = next((v for v in values if v is not None), None)
    if present is None:
        return pa.nulls(len(values), type=typ)
    attrs = _attributes(type(present))
    children = []
    for field in typ:
        attr = attrs[field.name]
        column = [getattr(v, attr) if v is not None else None for v in values]
        children.append(build_array(column, field.type))
    mask = pa.array([v is None for v in values], type=pa.bool_())
    return pa.StructArray.from_arrays(children, fields=list(typ), mask=mask)


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
