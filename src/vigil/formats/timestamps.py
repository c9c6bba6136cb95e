"""CloudTrail's eventTime text → a UTC timestamp column, vectorised."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

UTC_MS = pa.timestamp("ms", tz="UTC")


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
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None
