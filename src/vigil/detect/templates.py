"""A unit's SQL template filled in: `{{name}}` placeholders as SQL literals, the run's window
(as timestamps, epoch seconds and dates, for pruning) and the unit's parameters."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Final

from vigil.detect.units import Unit, UnitError

_PLACEHOLDER: Final = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(literal(v) for v in value) + ")"
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def render(template: str, values: dict[str, Any], keep: tuple[str, ...] = ()) -> str:
    """Replace `{{name}}` with SQL literals; names in `keep` stay for a later pass."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return literal(values[name])
        if name in keep:
            return match.group(0)
        raise KeyError(name)

    return _PLACEHOLDER.sub(sub, template)


def rendered(unit: Unit, since: datetime, until: datetime) -> str:
    """The unit's own query for [since, until) (also as epoch seconds and dates, for
    pruning), its parameters filled in."""
    values = {
        **unit.parameters,
        "since": since,
        "until": until,
        "since_epoch": int(since.timestamp()),
        "until_epoch": int(until.timestamp()),
        "since_date": since.date(),
        "until_date": until.date(),
    }
    try:
        return render(unit.query, values)
    except KeyError as exc:
        raise UnitError(
            f"{unit.query_path}: parameter {{{{{exc.args[0]}}}}} is not defined"
        ) from exc
