"""The worker side of ingest: read, fingerprint, decompress and parse objects into lake parts.

Runs in worker threads. CloudTrail's small files are parsed a group at a time (one pass of the
fast JSON path, one lineage column, one partition split for the group); anything the fast path
will not take is parsed alone, with exact errors.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa

from vigil.errors import FormatError, VigilError
from vigil.formats.cloudtrail_fast import fast_tables
from vigil.formats.common import ParseResult
from vigil.ingest.classify import TABLE_OF, Parsed, fast_candidate, parse_object
from vigil.ingest.options import LogType
from vigil.lake.manifest import Manifest
from vigil.lake.partitions import PartKey, partition_slices
from vigil.lake.tables import (
    CLOUDTRAIL,
    DNS_LOGS,
    FLOW_LOGS,
    SOURCE_FILE,
    TABLES,
    conform,
)
from vigil.sources.decode import GZIP_MAGIC, inflate
from vigil.sources.objects import Reader, SourceObject


@dataclass(frozen=True)
class WorkOptions:
    log_type: LogType
    fmt: tuple[str, ...] | None
    account: str | None
    region: str | None


@dataclass
class Outcome:
    obj: SourceObject
    sha256: str
    seen: Literal["new", "same", "copy"] = "new"  # same: this URI's content, already ingested
    copy_of: str | None = None
    parsed: Parsed | None = None
    parts: list[tuple[PartKey, pa.Table]] = field(default_factory=list)
    rows: int = 0
    error: str | None = None
    partial: str | None = None
    original: bytes | None = None  # kept for quarantine when the object was not fully read


class Dedup:
    """Content already ingested (in the manifest) or already taken in this run."""

    def __init__(self, manifest: Manifest, *, reprocess: bool = False) -> None:
        self.manifest = manifest
        self.own = not reprocess  # re-ingesting: an object's own earlier content does not count
        self.taken: dict[str, str] = {}
        self.lock = threading.Lock()

    def check(self, out: Outcome) -> None:
        earlier = self.manifest.ingested_copy(out.sha256, out.obj.uri, own=self.own)
        with self.lock:
            earlier = earlier or self.taken.get(out.sha256)
            if earlier is None:
                self.taken[out.sha256] = out.obj.uri
                return
        out.seen = "same" if earlier == out.obj.uri else "copy"
        out.copy_of = earlier


def content_hash(raw: bytes) -> str:
    """SHA-256 of the object, ignoring a gzip header's timestamp (bytes 4-7), so the same log
    file compressed again at another time is still recognised as the same content."""
    if raw.startswith(GZIP_MAGIC) and len(raw) >= 10:
        digest = hashlib.sha256(raw[:4])
        digest.update(memoryview(raw)[8:])
        return digest.hexdigest()
    return hashlib.sha256(raw).hexdigest()


def process_group(
    group: list[SourceObject], options: WorkOptions, reader: Reader, dedup: Dedup
) -> list[Outcome]:
    loaded = [_load(obj, reader, dedup) for obj in group]
    candidates = [
        (out, data)
        for out, data, _ in loaded
        if data is not None and fast_candidate(data, out.obj.key, options.log_type)
    ]
    taken: set[int] = set()
    if len(candidates) > 1 and _fast_group(candidates):
        taken = {id(out) for out, _ in candidates}
    for out, data, raw in loaded:
        if data is not None and id(out) not in taken:
            _parse(out, data, raw, options)
    return [out for out, _, _ in loaded]


def _load(
    obj: SourceObject, reader: Reader, dedup: Dedup
) -> tuple[Outcome, bytes | None, bytes | None]:
    """Read, fingerprint, skip known content, decompress."""
    try:
        raw = reader.read(obj)
    except VigilError as exc:
        return Outcome(obj, "", error=str(exc)), None, None
    out = Outcome(obj, content_hash(raw))
    dedup.check(out)
    if out.seen != "new":
        return out, None, None
    payload = inflate(raw)
    out.partial = payload.problem
    if payload.problem:
        out.original = raw
    return out, payload.data, raw


def _fast_group(candidates: list[tuple[Outcome, bytes]]) -> bool:
    """Parse CloudTrail log files together; the first outcome carries the group's parts."""
    tables = fast_tables([data for _, data in candidates])
    if tables is None:
        return False
    counts = [t.num_rows for t in tables]
    whole = pa.concat_tables(tables)
    uris = pa.array([out.obj.uri for out, _ in candidates])
    indices = pa.array(np.repeat(np.arange(len(counts), dtype=np.int32), counts))
    whole = whole.append_column(SOURCE_FILE, pa.DictionaryArray.from_arrays(indices, uris))
    accounts = [out.obj.key.account for out, _ in candidates]
    account: str | pa.Array | None = accounts[0] if len(set(accounts)) == 1 else None
    if account is None and all(accounts):
        account = pa.array(np.repeat(np.array(accounts, dtype=object), counts), pa.string())
    for (out, _), table in zip(candidates, tables, strict=True):
        out.parsed = Parsed("cloudtrail", ParseResult(table))
        out.rows = table.num_rows
    candidates[0][0].parts = partition_slices(CLOUDTRAIL, whole, account, None, None)
    return True


def _parse(out: Outcome, data: bytes, raw: bytes | None, options: WorkOptions) -> None:
    obj = out.obj
    try:
        out.parsed = parse_object(data, obj.key, options.log_type, options.fmt, obj.uri)
    except FormatError as exc:
        out.error = out.partial or str(exc)
        out.original = raw
        return
    except Exception as exc:  # a bug must cost one object, not the run; it is quarantined
        out.error = f"{obj.uri}: internal error while parsing: {type(exc).__name__}: {exc}"
        out.original = raw
        return
    if out.parsed.findings is not None:
        out.rows = len(out.parsed.findings.docs)
        return
    result = out.parsed.result
    if result is not None and out.parsed.kind in TABLE_OF:
        spec = TABLES[TABLE_OF[out.parsed.kind]]
        table = conform(spec, result.table, obj.uri)
        if spec is FLOW_LOGS and obj.key.flow_log_id:
            ids = pa.repeat(pa.scalar(obj.key.flow_log_id, pa.string()), table.num_rows)
            table = table.append_column("flow_log_id", ids)
        if spec is DNS_LOGS and "query_name" in table.column_names:
            from vigil.formats.domains import registered_domains

            table = table.append_column("registered_domain",
                                        registered_domains(table["query_name"]))  # fmt: skip
        account = obj.key.account or options.account
        region = obj.key.region or options.region
        out.parts = partition_slices(spec, table, account, region, obj.key.day)
        out.rows = table.num_rows
