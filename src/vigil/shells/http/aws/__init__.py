"""The AWS-compatible endpoints: each service's operations as a table of handlers over the
service layer (`logs`, `events`, `cloudwatch`, `securityhub`), the wire protocols
(`protocol`) and the routing of one port among them (`dispatch`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.errors import AwsApiError

__all__ = ["AwsApiError", "Caller", "need"]


@dataclass(frozen=True)
class Caller:
    """Who called, from where, and the account and Region the call is in."""

    user: str
    role: str
    source: str
    account: str
    region: str
    principal: Any = None  # the service layer's Principal


def need(params: dict[str, Any], name: str) -> Any:
    """A required parameter, or AWS's error for a missing one."""
    value = params.get(name)
    if value is None or value == "":
        raise AwsApiError(
            "InvalidParameterException",
            f"1 validation error detected: Value null "
            f"at '{name}' failed to satisfy constraint: Member must not be null",
        )
    return value
