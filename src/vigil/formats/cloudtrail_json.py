"""A lake row of the `cloudtrail` table back to the record AWS wrote: CloudTrail's own key
names (`userIdentity.invokedBy`, not `useridentity.invokedby`), the JSON-text parts as JSON,
absent fields left out. Used where records travel on as JSON (log groups, events)."""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

import msgspec

from vigil.formats.cloudtrail_model import COLUMNS, Record
from vigil.inputs import loads


@cache
def _names(cls: type) -> dict[str, tuple[str, type | None]]:
    """lower-case name → (CloudTrail's name, the nested Struct class if any)."""
    hints = typing.get_type_hints(cls)
    out: dict[str, tuple[str, type | None]] = {}
    for field in msgspec.structs.fields(cls):
        nested = None
        for arg in _args(hints[field.name]):
            inner = _args(arg)[0] if typing.get_origin(arg) is list else arg
            if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
                nested = inner
        out[field.name.lower()] = (field.name, nested)
    return out


def _args(hint: Any) -> tuple[Any, ...]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _rename(value: Any, cls: type | None) -> Any:
    if value is None or cls is None:
        return value
    if isinstance(value, list):
        return [_rename(v, cls) for v in value]
    if isinstance(value, dict):
        names = _names(cls)
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            name, nested = names.get(key, (key, None))
            out[name] = _rename(item, nested)
        return out
    return value


_RAW = {column for column, attr, _ in COLUMNS if Record.__annotations__.get(attr) == "msgspec.Raw"}


def record_of(row: dict[str, Any]) -> dict[str, Any]:
    names = _names(Record)
    record: dict[str, Any] = {}
    for column, attr, _ in COLUMNS:
        value = row.get(column)
        if value is None:
            continue
        if column in _RAW and isinstance(value, str):
            record[attr] = loads(value)
        else:
            record[attr] = _rename(value, names[column][1])
    return record
