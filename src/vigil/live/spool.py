"""Pushed records wait on disk before they are committed: a PutLogEvents into a CloudTrail or
flow-log group, an event forwarded by an EventBridge API destination, a Firehose delivery.
Each push is written as one file, atomically, in the format the ingest pipeline reads
(`{"Records": [...]}` for CloudTrail, a header line then records for flow logs, the records as
they came, one a line, for Route 53 Resolver query logs and S3 server access logs), under
`<home>/spool/<source>/`, before the push is acknowledged; the server's live ingest commits
the files and removes them. A crash between the two leaves the file, which the next start
commits: nothing acknowledged is lost, and the manifest keeps it from being read twice."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Final

from vigil.config import Settings
from vigil.sources.objects import Reader, SourceObject

WAKE: Final = threading.Event()  # set when a file is spooled: the live ingest commits at once
DEFAULT_FLOW: Final = ("version account-id interface-id srcaddr dstaddr srcport dstport "
                       "protocol packets bytes start end action log-status")  # fmt: skip
_SAFE: Final = re.compile(r"[^A-Za-z0-9_.\-]")


TABLES: Final = ("cloudtrail", "flow_logs", "dns_logs", "s3_access_logs")


def folder(settings: Settings, table: str, source: str) -> Path:
    return settings.home / "spool" / table / _SAFE.sub("_", source)


def _write(where: Path, ident: str, suffix: str, data: bytes) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{_SAFE.sub('_', ident)[:80]}{suffix}"
    tmp = where / f".{name}.tmp"
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    final = where / name
    os.replace(tmp, final)
    WAKE.set()
    return final


def cloudtrail(settings: Settings, source: str, records: list[dict[str, Any]], ident: str) -> Path:
    body = json.dumps({"Records": records}, separators=(",", ":")).encode()
    return _write(folder(settings, "cloudtrail", source), ident, ".json", body)


def flow_logs(settings: Settings, source: str, lines: list[str], ident: str,
              fmt: str | None = None) -> Path:  # fmt: skip
    header = " ".join(f.strip("${}") for f in fmt.split()) if fmt else DEFAULT_FLOW
    body = "\n".join([header, *lines]) + "\n"
    return _write(folder(settings, "flow_logs", source), ident, ".log", body.encode())


def pending(settings: Settings, table: str, source: str) -> list[SourceObject]:
    where = folder(settings, table, source)
    if not where.is_dir():
        return []
    return [o for o in Reader().list(str(where)) if not Path(o.uri).name.startswith(".")]


def remove(objects: list[SourceObject]) -> None:
    for o in objects:
        Path(o.uri).unlink(missing_ok=True)


def waiting(settings: Settings) -> list[tuple[str, str]]:
    """(table, source) of every spool folder."""
    out = []
    for table in TABLES:
        root = settings.home / "spool" / table
        if root.is_dir():
            out += [(table, p.name) for p in sorted(root.iterdir()) if p.is_dir()]
    return out


def lines(settings: Settings, table: str, source: str, records: list[str], ident: str) -> Path:
    """Records of a line-per-record format (DNS query logs, S3 access logs), as they came."""
    body = "\n".join(r.rstrip("\n") for r in records) + "\n"
    return _write(folder(settings, table, source), ident, ".log", body.encode())
