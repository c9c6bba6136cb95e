"""A call's parameters checked against the operation's input shape in botocore's model before
any handler sees them, as AWS's front end does: required members, each value's type (a string
where a number belongs, an object where a JSON string belongs), integers within 32/64 bits,
finite doubles, lengths and ranges (`min`/`max`) and enums. All the problems come back in one
error with AWS's code for the service and each member's path."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape

from vigil.shells.http.aws import AwsError
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


def check(call: Call) -> None:
    """Raise AWS's validation error for the service when the parameters do not fit."""
    shape = call.op_model.input_shape
    if shape is None:
        return
    problems: list[str] = []
    missing: list[str] = []
    _walk(shape, call.params, "", problems, missing, body_only=call.protocol == "rest-json")
    if not problems and not missing:
        return
    if missing and not problems and call.service in MISSING:
        raise AwsError(MISSING[call.service],
                       f"The parameter {missing[0]} must be specified.")  # fmt: skip
    listed = problems + [f"Value null at '{m}' failed to satisfy constraint: Member must not "
                         "be null" for m in missing]  # fmt: skip
    count = len(listed)
    shown = "; ".join(listed[:MAX_REPORTED]) + ("; …" if count > MAX_REPORTED else "")
    noun = "error" if count == 1 else "errors"
    raise AwsError(CODES.get(call.service, "ValidationException"),
                   f"{count} validation {noun} detected: {shown}")  # fmt: skip


def _walk(shape: Shape, value: Any, path: str, problems: list[str], missing: list[str],
          body_only: bool = False) -> None:  # fmt: skip
    if len(problems) > MAX_REPORTED:
        return
    if value is None:
        return
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            problems.append(_wrong(value, path, "an object"))
            return
        for name in shape.required_members:
            member = shape.members[name]
            if body_only and member.serialization.get("location") in _OUTSIDE_BODY:
                continue
            if value.get(name) is None:
                missing.append(_join(path, name))
        for name, item in value.items():
            if name in shape.members:
                _walk(shape.members[name], item, _join(path, name), problems, missing)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(_wrong(value, path, "a list"))
            return
        _length(shape, len(value), value, path, problems)
        for i, item in enumerate(value):
            if item is None:
                missing.append(f"{path}.{i + 1}.member")
            _walk(shape.member, item, f"{path}.{i + 1}.member", problems, missing)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            problems.append(_wrong(value, path, "an object"))
            return
        _length(shape, len(value), value, path, problems)
        for key, item in value.items():
            if item is None:
                missing.append(f"{path}.{key}")
            _scalar(shape.key, "string", key, f"{path} (a key)", problems)
            _walk(shape.value, item, f"{path}.{key}", problems, missing)
        return
    _scalar(shape, kind, value, path, problems)


def _scalar(shape: Shape, kind: str, value: Any, path: str, problems: list[str]) -> None:
    if kind == "string":
        if not isinstance(value, str):
            problems.append(_wrong(value, path, "a string"))
            return
        if not value.isascii() and not _utf8(value):
            problems.append(f"Value at '{path}' is not valid Unicode (a lone surrogate)")
            return
        _length(shape, len(value), value, path, problems)
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            problems.append(f"Value '{_short(value)}' at '{path}' failed to satisfy constraint: "
                            f"Member must satisfy enum value set: [{', '.join(enum)}]")  # fmt: skip
    elif kind in BOUNDS:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            problems.append(_wrong(value, path, "an integer"))
            return
        low, high = BOUNDS[kind]
        if not low <= value <= high:
            problems.append(f"Value '{value}' at '{path}' is outside the {kind} range")
            return
        _range(shape, value, path, problems)
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(_wrong(value, path, "a number"))
            return
        if not math.isfinite(value):
            problems.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                            "Member must be a finite number (not NaN or Infinity)")  # fmt: skip
            return
        if shape.name == "DatapointValue" and abs(value) > DATAPOINT_LIMIT:
            problems.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member "
                            "must be between -2^360 and 2^360")  # fmt: skip
            return
        _range(shape, value, path, problems)
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(_wrong(value, path, "true or false"))
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, datetime | int | float | str):
            problems.append(_wrong(value, path, "a timestamp"))
            return
        try:
            timestamp(value)
        except (ValueError, OverflowError, OSError):
            problems.append(f"Value '{_short(value)}' at '{path}' is not a timestamp (epoch "
                            "seconds or ISO 8601)")  # fmt: skip


def _length(shape: Shape, size: int, value: Any, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if isinstance(low, int) and size < low:
        problems.append(f"Value '{_short(value)}' at '{path}' failed to satisfy constraint: "
                        f"Member must have length greater than or equal to {low}")  # fmt: skip
    elif isinstance(high, int) and size > high:
        problems.append(f"Value at '{path}' failed to satisfy constraint: Member must have "
                        f"length less than or equal to {high}")  # fmt: skip


def _range(shape: Shape, value: float, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if isinstance(low, int | float) and value < low:
        problems.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member "
                        f"must have value greater than or equal to {low}")  # fmt: skip
    elif isinstance(high, int | float) and value > high:
        problems.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member "
                        f"must have value less than or equal to {high}")  # fmt: skip


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _wrong(value: Any, path: str, expected: str) -> str:
    got = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )
    return f"Value at '{path or 'the body'}' must be {expected}, not {got}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else text[:61] + "..."
