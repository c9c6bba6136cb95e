"""Which lake rows came from validated CloudTrail files: each validation run writes its log-file
verdicts as `<lake>/_validation/<run>.parquet`, and the catalog's `trail_validation` view reads
them (uri, valid, reason, digest window, validated_at). Rows of `cloudtrail` whose `source_file`
is a valid uri came from files a signed digest vouches for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from vigil.config import Settings
from vigil.trail.validate import Report

FOLDER = "_validation"


def record(settings: Settings, report: Report) -> Path | None:
    logs = [v for v in report.verdicts if v.kind == "log"]
    if not logs:
        return None
    folder = settings.lake_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    table = pa.table(
        {
            "uri": [v.uri for v in logs],
            "valid": [v.valid for v in logs],
            "reason": [v.reason for v in logs],
            "validated_at": pa.array([now] * len(logs), pa.timestamp("ms", tz="UTC")),
        }
    )
    path = folder / f"{now:%Y%m%dT%H%M%S%f}.parquet"
    pq.write_table(table, path)
    return path
