"""`vigil demo --serve`: the demo day's CloudTrail records replayed into a running server in
(compressed) real time, as CloudTrail delivers to a CloudWatch Logs group, so a newcomer sees
findings arrive within seconds of the attack's calls. Each record gets a fresh event id and the
time it is sent, so the replay is new activity, not a copy the lake already holds."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

GROUP: Final = "aws-cloudtrail-logs-anycompany"  # CloudTrail by default (its name)
CALL_BYTES: Final = 900_000  # under PutLogEvents' 1 MiB


def day_records(root: Path, day: str) -> list[dict[str, Any]]:
    """The demo's CloudTrail records of the day, in time order."""
    out = []
    for path in sorted(root.rglob("*_CloudTrail_*.json.gz")):
        if "CloudTrail-Digest" in str(path):
            continue
        for rec in json.loads(gzip.decompress(path.read_bytes())).get("Records", []):
            if str(rec.get("eventTime", "")).startswith(day):
                out.append(rec)
    return sorted(out, key=lambda r: str(r["eventTime"]))


def _offset(rec: dict[str, Any]) -> float:
    moment = datetime.fromisoformat(str(rec["eventTime"]).replace("Z", "+00:00"))
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def paced(records: list[dict[str, Any]], seconds: float) -> Iterator[list[dict[str, Any]]]:
    """The day squeezed into `seconds`: each tick (a second) the records whose time came."""
    scale = seconds / 86_400
    began = time.monotonic()
    i = 0
    while i < len(records):
        due = (time.monotonic() - began) / scale if scale else 86_400
        batch = []
        while i < len(records) and _offset(records[i]) <= due:
            batch.append(records[i])
            i += 1
        if batch:
            yield batch
        time.sleep(1.0)


def fresh(rec: dict[str, Any], n: int) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**rec, "eventTime": now, "eventID": f"{rec.get('eventID', 'e')}-live-{n}"}


def replay(put: Callable[[list[tuple[int, str]]], None], root: Path, day: str,
           seconds: float, on_batch: Callable[[int, int], None] | None = None) -> int:  # fmt: skip
    """Send the day through `put` (PutLogEvents of (timestamp ms, message)); the records sent."""
    records = day_records(root, day)
    sent = 0
    for batch in paced(records, seconds):
        now = int(time.time() * 1000)
        chunk: list[tuple[int, str]] = []
        size = 0
        for k, r in enumerate(batch):
            message = json.dumps(fresh(r, sent + k))
            if chunk and size + len(message) + 26 > CALL_BYTES:
                put(chunk)
                chunk, size = [], 0
            chunk.append((now, message))
            size += len(message.encode()) + 26
        if chunk:
            put(chunk)
        sent += len(batch)
        if on_batch is not None:
            on_batch(sent, len(records))
    return sent
