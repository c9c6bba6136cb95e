"""CloudTrail's eventTime text → a UTC timestamp column, vectorised."""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from vigil import clock

UTC_MS = pa.timestamp("ms", tz="UTC")
# No AWS log predates AWS (2006), and Arrow's dates end with year 9999: a time outside is not a
# time the record could have, and filing it in 1970 would hide it.
EARLIEST_S: Final = 1_136_073_600  # 2006-01-01T00:00:00Z
LATEST_S: Final = 253_402_300_799  # 9999-12-31T23:59:59Z


def plausible_seconds(value: object) -> bool:
    return isinstance(value, int) and EARLIEST_S <= value <= LATEST_S


def time_problem(text: str | None, field: str = "eventTime") -> str | None:
    """Why a record's ISO 8601 time cannot be used, or None when it can."""
    if text is None:
        return f"no {field}"
    ms = _iso_ms(text)
    if ms is None:
        return f"{field} {text!r} is not an ISO 8601 time"
    if not plausible_seconds(ms // 1000):
        return f"{field} {text!r} is outside 2006-9999 (no AWS record has such a time)"
    return None


def all_plausible(ts: pa.Array | pa.ChunkedArray) -> bool:
    """Every value of a timestamp column is a time a record could have."""
    if ts.null_count:
        return False
    if len(ts) == 0:
        return True
    bounds = pc.min_max(ts.cast(pa.int64())).as_py()
    return bool(bounds["min"] >= EARLIEST_S * 1000 and bounds["max"] <= LATEST_S * 1000)


def event_ts(eventtime: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    """Parse `YYYY-MM-DDTHH:MM:SSZ` in bulk; the rare other ISO-8601 forms one by one."""
    strict = pc.strptime(eventtime, format="%Y-%m-%dT%H:%M:%SZ", unit="ms", error_is_null=True)
    if strict.null_count == eventtime.null_count:
        return strict.cast(UTC_MS)
    fixed = [_iso_ms(s) for s in eventtime.to_pylist()]
    return pa.array(fixed, type=pa.int64()).cast(UTC_MS)


def _iso_ms(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return clock.to_ms(clock.parse_iso(text))  # a naive time is UTC, as CloudTrail's are
    except (ValueError, TypeError, AttributeError):
        return None
