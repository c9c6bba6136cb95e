"""CreateExportTask: a group's events in a time range, written as CloudWatch Logs exports are.

Layout `<destination>/<prefix>/<task id>/<log stream>/000000.gz` (a new file every ~100 MB of
text), each line `<ISO-8601 timestamp> <message>`, to a directory or an `s3://` bucket. `vigil
ingest` reads such exports back (flow logs with `--format`).
"""

from __future__ import annotations

import gzip
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import fsspec

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.groups import LogStore
from vigil.logs.pattern_sql import literal
from vigil.logs.read import live_events_sql
from vigil.query.engine import open_engine

PART_BYTES: Final = 100 << 20


@dataclass
class ExportResult:
    task_id: str
    destination: str
    events: int = 0
    files: list[str] = field(default_factory=list)


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
) -> ExportResult:
    with LogStore(settings) as store:
        info = store.group(group)
    task = str(uuid.uuid4())
    root = f"{destination.rstrip('/')}/{prefix.strip('/')}/{task}" if prefix else (
        f"{destination.rstrip('/')}/{task}")  # fmt: skip
    options = {"client_kwargs": {"endpoint_url": endpoint_url}} if endpoint_url else {}
    fs, base = fsspec.core.url_to_fs(root, **(options if root.startswith("s3://") else {}))
    sql = live_events_sql(info, start, end, now_ms())
    if stream_prefix:
        sql += f" AND starts_with(log_stream, {literal(stream_prefix)})"
    sql = f"SELECT log_stream, timestamp, message FROM ({sql}) ORDER BY log_stream, timestamp"
    result = ExportResult(task, root)

    def flush(stream: str, part: int, lines: list[str]) -> None:
        path = f"{base}/{_safe(stream)}/{part:06d}.gz"
        fs.makedirs(str(Path(path).parent), exist_ok=True)
        with fs.open(path, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
            out.writelines(lines)
        result.files.append(path)

    with open_engine(settings) as engine:
        current, part, lines, size = None, 0, [], 0
        for batch in engine.batches(sql, 100_000):
            streams, stamps, messages = (c.to_pylist() for c in batch.columns)
            for stream, stamp, message in zip(streams, stamps, messages, strict=True):
                if current is not None and (stream != current or size >= PART_BYTES):
                    flush(current, part, lines)
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


def _safe(stream: str) -> str:
    return stream.replace("/", "_")
