"""Time, one way everywhere: UTC datetimes, milliseconds since the epoch (CloudWatch's unit),
and ISO 8601 with a `Z` as AWS writes it. Users' times: ISO 8601, or `15m` / `2h` / `7d` ago."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any, Final, Literal

from vigil.errors import ConfigError

_AGO: Final = re.compile(r"(\d+)([smhd])")
_UNIT_MS: Final = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def now_ms() -> int:
    return int(time.time() * 1000)


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """Aware and in UTC; a naive time is taken as UTC (CloudTrail's and the lake's are)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime, timespec: Literal["seconds", "milliseconds"] = "seconds") -> str:
    """2024-03-01T09:14:03Z (or .123Z)."""
    return utc(moment).isoformat(timespec=timespec).replace("+00:00", "Z")


def iso_ms(ms: Any) -> str | None:
    """Milliseconds since the epoch as ISO 8601, as the AWS CLI prints times (None: not a
    number)."""
    if not isinstance(ms, int | float) or isinstance(ms, bool):
        return None
    return iso(datetime.fromtimestamp(ms / 1000, UTC), "milliseconds")


def parse_iso(text: str) -> datetime:
    """ISO 8601 with `Z` or an offset (naive: UTC); raises ValueError."""
    return utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def to_ms(moment: datetime) -> int:
    return int(utc(moment).timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    """Milliseconds since the epoch as an aware UTC datetime (None stays None)."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def parse_moment(text: str, option: str, now: int | None = None) -> int:
    """A user's time in milliseconds: ISO 8601, or `30m` / `6h` / `2d` that long ago."""
    relative = _AGO.fullmatch(text.strip())
    if relative:
        return (now_ms() if now is None else now) - int(relative.group(1)) * _UNIT_MS[
            relative.group(2)
        ]
    try:
        return to_ms(parse_iso(text))
    except ValueError as exc:
        hint = "write 2024-03-01T09:00Z, or 30m / 6h / 2d for that long ago"
        raise ConfigError(f"{option} {text!r} is not a time", hint=hint) from exc


def time_range(
    start: str | None, end: str | None, names: tuple[str, str] = ("--start", "--end")
) -> tuple[int | None, int | None]:
    """Both ends of a range in milliseconds; a start after the end is an error."""
    begin = parse_moment(start, names[0]) if start is not None else None
    finish = parse_moment(end, names[1]) if end is not None else None
    if begin is not None and finish is not None and begin > finish:
        raise ConfigError(
            f"{names[0]} {start} is after {names[1]} {end}",
            hint=f"give {names[0]} earlier than {names[1]}",
        )
    return begin, finish
