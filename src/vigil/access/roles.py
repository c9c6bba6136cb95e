"""Roles, lowest first: a viewer reads; an analyst also writes data and triages findings; an
admin also configures (rules, targets, alarms, retention, users, keys) and approves remediation.
Beside them, `metrics` is a scraper's role: it reads the server's `/metrics` and nothing else
(an admin may read them too).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"
    METRICS = "metrics"


class Need(StrEnum):
    """What an operation needs: to read, to write data or triage, or to configure."""

    READ = "read"
    WRITE = "write"
    CONFIGURE = "configure"
    SCRAPE = "scrape"  # the server's own /metrics


_RANK: Final = {Role.METRICS: -1, Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}
_NEEDS: Final = {Need.READ: Role.VIEWER, Need.WRITE: Role.ANALYST, Need.CONFIGURE: Role.ADMIN}

BUILTIN_ADMIN: Final = "admin"  # keys and tokens made without --user belong to it


def permits(role: Role, need: Need) -> bool:
    if need is Need.SCRAPE:
        return role in (Role.METRICS, Role.ADMIN)
    return _RANK[role] >= _RANK[_NEEDS[need]]


def role_of(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        from vigil.errors import ConfigError

        raise ConfigError(f"role {text!r} is not one of viewer, analyst, admin, metrics",
                          hint="--role viewer|analyst|admin|metrics") from None  # fmt: skip
