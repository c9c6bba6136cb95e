"""What the CloudWatch Logs handlers share: page tokens, limits, and group identifiers."""

from __future__ import annotations

import base64
import json
from typing import Any

from vigil.api.inputs import loads
from vigil.shells.http.aws import AwsApiError, need


def token(doc: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def untoken(text: str | None) -> Any:
    if not text:
        return None
    try:
        return loads(base64.urlsafe_b64decode(text.encode()))
    except ValueError:
        raise AwsApiError(
            "InvalidParameterException", "The specified nextToken is not valid."
        ) from None


def limit_of(params: dict[str, Any], default: int, top: int, name: str = "limit") -> int:
    try:
        limit = int(params.get(name) or default)
    except (TypeError, ValueError):
        raise AwsApiError("InvalidParameterException", f"{name} is a number") from None
    if not 1 <= limit <= top:
        raise AwsApiError("InvalidParameterException", f"{name} must be 1 to {top}")
    return limit


def page(
    items: list[Any], p: dict[str, Any], default: int, top: int, name: str = "limit"
) -> tuple[list[Any], str]:
    """One page of `items` from `nextToken`, at most the `name` parameter's count; the token
    of the next page, or "" at the end."""
    start = untoken(p.get("nextToken")) or 0
    if not isinstance(start, int) or start < 0:
        raise AwsApiError("InvalidParameterException", "The specified nextToken is not valid.")
    limit = limit_of(p, default, top, name)
    more = start + limit < len(items)
    return items[start : start + limit], token(start + limit) if more else ""


def group_of(identifier: str | None) -> str:
    """A log group's name from its name or ARN (with or without the trailing `:*`)."""
    if not identifier:
        return ""
    if identifier.startswith("arn:"):
        return identifier.split(":log-group:", 1)[-1].removesuffix(":*")
    return identifier


def text(p: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string parameter (None when absent and not required), or AWS's error saying which."""
    value = need(p, name) if required else p.get(name)
    if value is not None and not isinstance(value, str):
        raise AwsApiError("InvalidParameterException", f"{name} is a string")
    return value


def integer(p: dict[str, Any], name: str) -> int:
    """A required whole-number parameter (epoch seconds or ms, a count)."""
    value = need(p, name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AwsApiError("InvalidParameterException", f"{name} is a number")
    try:
        return int(value)
    except ValueError:
        raise AwsApiError(
            "InvalidParameterException", f"{name} is a number, not {value!r}"
        ) from None
