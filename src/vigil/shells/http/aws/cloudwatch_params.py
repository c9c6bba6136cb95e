"""What the CloudWatch handlers share: required parameters, times, dimensions and paging, with
CloudWatch's own error codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vigil.shells.http.aws import AwsApiError
from vigil.shells.http.aws.protocol import timestamp


def missing(name: str) -> AwsApiError:
    return AwsApiError("MissingParameter", f"The parameter {name} is required.")


def req(p: dict[str, Any], name: str) -> Any:
    value = p.get(name)
    if value is None or value == "":
        raise missing(name)
    return value


def ms(value: Any, name: str) -> int:
    try:
        return int(timestamp(value).timestamp() * 1000)
    except (ValueError, TypeError):
        raise AwsApiError("InvalidParameterValue", f"{name}: {value!r} is not a time") from None


def when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def dims(raw: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(d["Name"]), str(d["Value"])) for d in raw or []))


def page(items: list[Any], p: dict[str, Any], size: int, key: str, field: str) -> dict[str, Any]:
    token = str(p.get("NextToken") or "0")
    if not token.isdigit():
        raise AwsApiError("InvalidNextToken", "The NextToken is not valid.")
    start, limit = int(token), int(p.get(field) or size)
    out: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out
