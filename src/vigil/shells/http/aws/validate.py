"""A call's parameters checked against the operation's input shape in botocore's model before
any handler sees them, as AWS's front end does: required members, each value's type (a string
where a number belongs, an object where a JSON string belongs), integers within 32/64 bits,
finite doubles, lengths and ranges (`min`/`max`) and enums. All the problems come back in one
error with AWS's code for the service and each member's path.

Each shape is compiled once into a checker function (a 10,000-event PutLogEvents is checked in
a few milliseconds); a member's path is spelled out only when it has a problem."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

from vigil.shells.http.aws import AwsApiError
from vigil.shells.http.aws.protocol import Call, timestamp

CODES: Final = {
    "logs": "InvalidParameterException", "events": "ValidationException",
    "cloudwatch": "InvalidParameterValue", "securityhub": "InvalidInputException",
}  # fmt: skip
MISSING: Final = {"cloudwatch": "MissingParameter"}
BOUNDS: Final = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
DATAPOINT_LIMIT: Final = 2.0**360  # CloudWatch refuses metric values beyond ±2^360
MAX_REPORTED: Final = 10
_OUTSIDE_BODY: Final = frozenset({"uri", "querystring", "header", "headers"})

Path = tuple[Any, ...]  # (parent path, member name or list position), spelled out on a problem


class Found:
    """The problems and the missing members seen so far."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.missing: list[str] = []

    def problem(self, text: str) -> None:
        if len(self.problems) <= MAX_REPORTED:
            self.problems.append(text)


Checker = Callable[[Any, Path, Found], None]


def check(call: Call) -> None:
    """Raise AWS's validation error for the service when the parameters do not fit."""
    shape = call.op_model.input_shape
    if shape is None:
        return
    found = Found()
    _compiled(call.service, shape, call.protocol == "rest-json")(call.params, (), found)
    problems, missing = found.problems, found.missing
    if not problems and not missing:
        return
    if missing and not problems and call.service in MISSING:
        raise AwsApiError(MISSING[call.service],
                       f"The parameter {missing[0]} must be specified.")  # fmt: skip
    listed = problems + [f"Value null at '{m}' failed to satisfy constraint: Member must not "
                         "be null" for m in missing]  # fmt: skip
    count = len(listed)
    shown = "; ".join(listed[:MAX_REPORTED]) + ("; …" if count > MAX_REPORTED else "")
    noun = "error" if count == 1 else "errors"
    raise AwsApiError(CODES.get(call.service, "ValidationException"),
                   f"{count} validation {noun} detected: {shown}")  # fmt: skip


_CACHE: dict[tuple[str, str, bool], Checker] = {}


def _compiled(service: str, shape: Shape, body_only: bool = False) -> Checker:
    key = (service, shape.name, body_only)
    if key not in _CACHE:
        _CACHE[key] = _placeholder(key)  # a shape that contains itself
        _CACHE[key] = _build(service, shape, body_only)
    return _CACHE[key]


def _placeholder(key: tuple[str, str, bool]) -> Checker:
    return lambda value, path, found: _CACHE[key](value, path, found)


def spell(path: Path) -> str:
    parts: list[str] = []
    while path:
        path, step = path
        parts.append(f"{step + 1}.member" if isinstance(step, int) else str(step))
    return ".".join(reversed(parts)) or "the body"


def _build(service: str, shape: Shape, body_only: bool) -> Checker:
    if isinstance(shape, StructureShape):
        return _structure(service, shape, body_only)
    if isinstance(shape, ListShape):
        return _list(service, shape)
    if isinstance(shape, MapShape):
        return _map(service, shape)
    return _scalar(shape)


def _structure(service: str, shape: StructureShape, body_only: bool) -> Checker:
    members = {name: _compiled(service, member) for name, member in shape.members.items()}
    required = [name for name in shape.required_members
                if not (body_only and _outside(shape.members[name]))]  # fmt: skip

    def structure(value: Any, path: Path, found: Found) -> None:
        if type(value) is not dict:
            found.problem(_wrong(value, path, "an object"))
            return
        for name in required:
            if value.get(name) is None:
                found.missing.append(spell((path, name)))
        for name, item in value.items():
            checker = members.get(name)
            if checker is not None and item is not None:
                checker(item, (path, name), found)

    return structure


def _outside(member: Shape) -> bool:
    """A member carried in the path, query string or headers, not the body."""
    return member.serialization.get("location") in _OUTSIDE_BODY


def _list(service: str, shape: ListShape) -> Checker:
    item_check = _compiled(service, shape.member)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def listed(value: Any, path: Path, found: Found) -> None:
        if type(value) is not list:
            found.problem(_wrong(value, path, "a list"))
            return
        _length(low, high, len(value), value, path, found)
        for i, item in enumerate(value):
            if item is None:
                found.missing.append(spell((path, i)))
            else:
                item_check(item, (path, i), found)

    return listed


def _map(service: str, shape: MapShape) -> Checker:
    key_check = _compiled(service, shape.key)
    value_check = _compiled(service, shape.value)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def mapped(value: Any, path: Path, found: Found) -> None:
        if type(value) is not dict:
            found.problem(_wrong(value, path, "an object"))
            return
        _length(low, high, len(value), value, path, found)
        for key, item in value.items():
            key_check(key, (path, f"{key} (a key)"), found)
            if item is None:
                found.missing.append(spell((path, str(key))))
            else:
                value_check(item, (path, str(key)), found)

    return mapped


def _scalar(shape: Shape) -> Checker:
    kind = shape.type_name
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if kind == "string":
        enum = frozenset(shape.metadata.get("enum") or ())
        listed = ", ".join(shape.metadata.get("enum") or ())

        def string(value: Any, path: Path, found: Found) -> None:
            if type(value) is not str:
                found.problem(_wrong(value, path, "a string"))
            elif not value.isascii() and not _utf8(value):
                found.problem(f"Value at '{spell(path)}' is not valid Unicode (a lone surrogate)")
            elif enum and value not in enum:
                found.problem(f"Value '{_short(value)}' at '{spell(path)}' failed to satisfy "
                              f"constraint: Member must satisfy enum value set: "
                              f"[{listed}]")  # fmt: skip
            elif low is not None or high is not None:
                _length(low, high, len(value), value, path, found)

        return string
    if kind in BOUNDS:
        least, most = BOUNDS[kind]

        def integer(value: Any, path: Path, found: Found) -> None:
            if type(value) is not int and not (type(value) is float and value.is_integer()):
                found.problem(_wrong(value, path, "an integer"))
            elif not least <= value <= most:
                found.problem(f"Value '{value}' at '{spell(path)}' is outside the {kind} range")
            else:
                _range(low, high, value, path, found)

        return integer
    if kind in ("double", "float"):
        datapoint = shape.name == "DatapointValue"

        def number(value: Any, path: Path, found: Found) -> None:
            if type(value) not in (int, float):
                found.problem(_wrong(value, path, "a number"))
            elif not math.isfinite(value):
                found.problem(f"Value '{value}' at '{spell(path)}' failed to satisfy "
                              "constraint: Member must be a finite number (not NaN or "
                              "Infinity)")  # fmt: skip
            elif datapoint and abs(value) > DATAPOINT_LIMIT:
                found.problem(f"Value '{value}' at '{spell(path)}' failed to satisfy "
                              "constraint: Member must be between -2^360 and 2^360")  # fmt: skip
            else:
                _range(low, high, value, path, found)

        return number
    if kind == "boolean":

        def boolean(value: Any, path: Path, found: Found) -> None:
            if type(value) is not bool:
                found.problem(_wrong(value, path, "true or false"))

        return boolean
    if kind == "timestamp":
        return _timestamp
    return lambda value, path, found: None  # blobs and documents: their handlers read them


def _timestamp(value: Any, path: Path, found: Found) -> None:
    if isinstance(value, bool) or not isinstance(value, datetime | int | float | str):
        found.problem(_wrong(value, path, "a timestamp"))
        return
    try:
        timestamp(value)
    except (ValueError, OverflowError, OSError):
        found.problem(f"Value '{_short(value)}' at '{spell(path)}' is not a timestamp (epoch "
                      "seconds or ISO 8601)")  # fmt: skip


def _length(low: Any, high: Any, size: int, value: Any, path: Path, found: Found) -> None:
    if isinstance(low, int) and size < low:
        found.problem(f"Value '{_short(value)}' at '{spell(path)}' failed to satisfy "
                      "constraint: Member must have length greater than or equal to "
                      f"{low}")  # fmt: skip
    elif isinstance(high, int) and size > high:
        found.problem(f"Value at '{spell(path)}' failed to satisfy constraint: Member must "
                      f"have length less than or equal to {high}")  # fmt: skip


def _range(low: Any, high: Any, value: float, path: Path, found: Found) -> None:
    if isinstance(low, int | float) and value < low:
        found.problem(f"Value '{value}' at '{spell(path)}' failed to satisfy constraint: "
                      f"Member must have value greater than or equal to {low}")  # fmt: skip
    elif isinstance(high, int | float) and value > high:
        found.problem(f"Value '{value}' at '{spell(path)}' failed to satisfy constraint: "
                      f"Member must have value less than or equal to {high}")  # fmt: skip


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _wrong(value: Any, path: Path, expected: str) -> str:
    got = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )
    return f"Value at '{spell(path)}' must be {expected}, not {got}"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else text[:61] + "..."
