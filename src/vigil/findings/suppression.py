"""Suppression rules, as GuardDuty has them: filter criteria that auto-archive matching
findings (workflow SUPPRESSED, record ARCHIVED). The findings are kept and still count."""

from __future__ import annotations

import re
from typing import Any, Final

from vigil.errors import ConfigError
from vigil.model.finding import Finding

FIELDS: Final = ("type", "unit", "account", "region", "resource_id", "actor", "severity_below")


def parse_criteria(pairs: list[str]) -> dict[str, str]:
    """`field=value` pairs; `key.<name>=…` matches a grouping-key value; `*` in a value is any
    text (`Recon:*`, `*Portscan`, `UnauthorizedAccess:*/TorClient`)."""
    criteria: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not value or not (name in FIELDS or name.startswith("key.")):
            raise ConfigError(
                f"cannot read the filter {pair!r}",
                hint=f"write field=value with a field among {', '.join(FIELDS)} or key.<name>",
            )
        criteria[name] = value.strip()
    if not criteria:
        raise ConfigError("a suppression rule needs at least one --filter")
    return criteria


def matches(criteria: dict[str, str], f: Finding) -> bool:
    for name, want in criteria.items():
        if name == "severity_below":
            if not f.severity < float(want):
                return False
            continue
        have: Any = f.key.get(name[4:]) if name.startswith("key.") else getattr(f, name, None)
        if not _equal(None if have is None else str(have), want):
            return False
    return True


def _equal(have: str | None, want: str) -> bool:
    if have is None:
        return False
    if "*" in want:
        return re.fullmatch(".*".join(re.escape(p) for p in want.split("*")), have) is not None
    return have == want


def sql_glob(want: str, *, prefix: bool = False) -> str:
    """The same glob for SQLite's GLOB: `*` is any text, everything else is itself (`?` and
    `[` are escaped); `prefix` matches a value without `*` as a prefix (`Recon:`)."""
    escaped = "".join("[" + c + "]" if c in "?[" else c for c in want)
    return escaped + "*" if prefix and "*" not in want else escaped
