"""A source with its position as the CLI's `--json`, the native API and the console show it:
the source's settings, its cursor, counts, lag and last error, and its rate."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vigil.api.sources import SourceStatus


def source_status(status: SourceStatus) -> dict[str, Any]:
    position = asdict(status.position)
    position.pop("recent")
    return {**status.source.as_dict(), **position,
            "records_per_second": status.records_per_second}  # fmt: skip
