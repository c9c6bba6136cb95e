"""CreateExportTask: a group's events in a time range, written as CloudWatch Logs exports are.

Layout `<destination>/<prefix>/<task id>/<log stream>/000000.gz` (a new file every ~100 MB of
text), each line `<ISO-8601 timestamp> <message>`, to a directory or an `s3://` bucket, and
`<prefix>/aws-logs-write-test` beside, as AWS checks it may write there. A stream's name is the
key as it is in S3 (its slashes make folders); in a directory, a part of it that would climb
(`..`) or vanish (`.`, empty) is written `%2E%2E`, `%2E`, `%00`. `vigil ingest` reads such
exports back (flow logs with `--format`).
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.groups import LogStore
from vigil.logs.pattern_sql import literal
from vigil.logs.read import live_events_sql
from vigil.query.engine import open_engine

PART_BYTES: Final = 100 << 20
WRITE_TEST: Final = "aws-logs-write-test"
WRITE_TEST_TEXT: Final = b"Permission Check Successful"


@dataclass
class ExportResult:
    task_id: str
    destination: str
    events: int = 0
    files: list[str] = field(default_factory=list)
    cancelled: bool = False


def _stamp(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def export(
    settings: Settings,
    group: str,
    destination: str,
    *,
    start: int | None = None,
    end: int | None = None,
    prefix: str = "exportedlogs",
    stream_prefix: str | None = None,
    endpoint_url: str | None = None,
    task_id: str | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> ExportResult:
    """The export; `cancelled()` is asked between files and stops it (CancelExportTask)."""
    with LogStore(settings) as store:
        info = store.group(group)
    task = task_id or str(uuid.uuid4())
    top = f"{destination.rstrip('/')}/{prefix.strip('/')}" if prefix else destination.rstrip("/")
    root = f"{top}/{task}"
    fs, base = _filesystem(root, endpoint_url)
    local = not root.startswith("s3://")
    sql = live_events_sql(info, start, end, now_ms())
    if stream_prefix:
        sql += f" AND starts_with(log_stream, {literal(stream_prefix)})"
    sql = f"SELECT log_stream, timestamp, message FROM ({sql}) ORDER BY log_stream, timestamp"
    result = ExportResult(task, root)

    def flush(stream: str, part: int, lines: list[str]) -> None:
        path = f"{base}/{_local_key(stream) if local else stream}/{part:06d}.gz"
        fs.makedirs(str(Path(path).parent), exist_ok=True)
        with fs.open(path, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
            out.writelines(lines)
        result.files.append(path)

    with open_engine(settings, engine="duckdb") as engine:
        current, part, lines, size = None, 0, [], 0
        for batch in engine.batches(sql, 100_000):
            streams, stamps, messages = (c.to_pylist() for c in batch.columns)
            if cancelled():
                result.cancelled = True
                return result
            for stream, stamp, message in zip(streams, stamps, messages, strict=True):
                if current is not None and (stream != current or size >= PART_BYTES):
                    flush(current, part, lines)
                    if cancelled():
                        result.cancelled = True
                        return result
                    part = part + 1 if stream == current else 0
                    lines, size = [], 0
                current = stream
                line = f"{_stamp(stamp)} {message}\n"
                lines.append(line)
                size += len(line)
                result.events += 1
        if current is not None:
            flush(current, part, lines)
    return result


def _filesystem(url: str, endpoint_url: str | None) -> tuple[Any, str]:
    import fsspec  # loads (with its S3 driver) when an export runs

    options = {"client_kwargs": {"endpoint_url": endpoint_url}} if endpoint_url else {}
    fs, base = fsspec.core.url_to_fs(url, **(options if url.startswith("s3://") else {}))
    return fs, str(base)


def write_test(destination: str, prefix: str, endpoint_url: str | None = None) -> None:
    """AWS's check that it may write to the destination: `<prefix>/aws-logs-write-test`."""
    top = f"{destination.rstrip('/')}/{prefix.strip('/')}" if prefix else destination.rstrip("/")
    fs, base = _filesystem(f"{top}/{WRITE_TEST}", endpoint_url)
    if not top.startswith("s3://"):
        fs.makedirs(str(Path(base).parent), exist_ok=True)
    with fs.open(base, "wb") as out:
        out.write(WRITE_TEST_TEXT)


def _local_key(stream: str) -> str:
    """The stream's name as folders under the task's, none of them climbing out of it."""
    names = {"..": "%2E%2E", ".": "%2E", "": "%00"}
    return "/".join(names.get(part, part) for part in stream.split("/"))
