"""The ingest job: list sources, skip what the manifest has seen, parse in parallel, write
batches atomically, quarantine what could not be taken, and report it all."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from vigil.config import Settings
from vigil.errors import FormatError, VigilError
from vigil.formats.common import Reject
from vigil.ingest.classify import TABLE_OF, LogType, Parsed, parse_object
from vigil.ingest.quarantine import quarantine
from vigil.lake.locking import lake_lock
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.lake.tables import FLOW_LOGS, TABLES, PartKey, conform, partition_slices
from vigil.lake.writer import Batch, LakeWriter
from vigil.sources.decode import GZIP_MAGIC, inflate
from vigil.sources.objects import Reader, SourceObject

Progress = Callable[[SourceObject, int], None]


@dataclass(frozen=True)
class IngestOptions:
    log_type: LogType = "auto"
    fmt: tuple[str, ...] | None = None
    since: date | None = None
    until: date | None = None
    endpoint_url: str | None = None
    account: str | None = None  # for sources whose keys do not say (CloudWatch exports)
    region: str | None = None
    workers: int = 2
    batch_rows: int = 1_000_000


@dataclass
class IngestReport:
    files: int = 0
    ingested: int = 0
    already_seen: int = 0
    outside_window: int = 0
    duplicates: int = 0
    digests: int = 0
    records: dict[str, int] = field(default_factory=lambda: {name: 0 for name in TABLES})
    rejected: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    repaired_batches: int = 0

    @property
    def clean(self) -> bool:
        return self.rejected == 0 and not self.quarantined


@dataclass
class _Outcome:
    obj: SourceObject
    sha256: str
    parsed: Parsed | None = None
    parts: list[tuple[PartKey, pa.Table]] = field(default_factory=list)
    rows: int = 0
    error: str | None = None
    partial: str | None = None
    original: bytes | None = None


def ingest(
    settings: Settings,
    sources: list[str],
    options: IngestOptions,
    on_listed: Callable[[int], None] | None = None,
    on_object: Progress | None = None,
) -> IngestReport:
    settings.ensure()
    reader = Reader(options.endpoint_url, exclude=settings.home)
    report = IngestReport()
    with lake_lock(settings.home):
        manifest = Manifest(settings.state_db)
        try:
            writer = LakeWriter(settings, manifest)
            report.repaired_batches = writer.recover()
            todo = _select(reader, sources, options, manifest, report)
            if on_listed:
                on_listed(len(todo))
            _run(settings, reader, todo, options, manifest, writer, report, on_object)
        finally:
            manifest.close()
    return report


def _select(
    reader: Reader,
    sources: list[str],
    options: IngestOptions,
    manifest: Manifest,
    report: IngestReport,
) -> list[SourceObject]:
    todo = []
    for source in sources:
        for obj in reader.list(source):
            report.files += 1
            if not obj.in_window(options.since, options.until):
                report.outside_window += 1
            elif manifest.seen(obj.uri, obj.size, obj.version) is not None:
                report.already_seen += 1
            else:
                todo.append(obj)
    return todo


def _run(
    settings: Settings,
    reader: Reader,
    todo: list[SourceObject],
    options: IngestOptions,
    manifest: Manifest,
    writer: LakeWriter,
    report: IngestReport,
    on_object: Progress | None,
) -> None:
    batches = {name: Batch(spec) for name, spec in TABLES.items()}
    seen_hashes: set[str] = set()
    # Parsing runs in `workers` threads; lake writes run in one more, one batch at a time, so
    # Parquet encoding overlaps parsing and at most two batches are in memory.
    committing: Future[list[Path]] | None = None
    with (
        ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool,
        ThreadPoolExecutor(max_workers=1) as commits,
    ):
        for outcome in _bounded(pool, todo, options, reader, 2 * max(1, options.workers)):
            rows = _settle(settings, outcome, manifest, report, batches, seen_hashes)
            for name, batch in batches.items():
                if batch.rows >= options.batch_rows:
                    if committing is not None:
                        committing.result()
                    committing = commits.submit(writer.commit, batch)
                    batches[name] = Batch(batch.spec)
            if on_object:
                on_object(outcome.obj, rows)
        if committing is not None:
            committing.result()
    for batch in batches.values():
        if batch.objects:
            writer.commit(batch)


def _bounded(
    pool: ThreadPoolExecutor,
    todo: list[SourceObject],
    options: IngestOptions,
    reader: Reader,
    limit: int,
) -> Iterator[_Outcome]:
    """Parse ahead in worker threads, but never hold more than `limit` parsed objects."""
    pending: deque[Future[_Outcome]] = deque()
    for obj in todo:
        pending.append(pool.submit(_process, obj, options, reader))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _process(obj: SourceObject, options: IngestOptions, reader: Reader) -> _Outcome:
    try:
        raw = reader.read(obj)
    except VigilError as exc:
        return _Outcome(obj, "", error=str(exc))
    sha = content_hash(raw)
    payload = inflate(raw)
    outcome = _Outcome(obj, sha, partial=payload.problem)
    try:
        outcome.parsed = parse_object(payload.data, obj.key, options.log_type, options.fmt, obj.uri)
    except FormatError as exc:
        outcome.error = payload.problem or str(exc)
        outcome.original = raw
        return outcome
    except Exception as exc:  # a bug must cost one object, not the run; it is quarantined
        outcome.error = f"{obj.uri}: internal error while parsing: {type(exc).__name__}: {exc}"
        outcome.original = raw
        return outcome
    if payload.problem:
        outcome.original = raw
    result = outcome.parsed.result
    if result is not None and outcome.parsed.kind in TABLE_OF:
        spec = TABLES[TABLE_OF[outcome.parsed.kind]]
        table = conform(spec, result.table, obj.uri)
        if spec is FLOW_LOGS and obj.key.flow_log_id:
            ids = pa.repeat(pa.scalar(obj.key.flow_log_id, pa.string()), table.num_rows)
            table = table.append_column("flow_log_id", ids)
        account = obj.key.account or options.account
        region = obj.key.region or options.region
        outcome.parts = partition_slices(spec, table, account, region, obj.key.day)
        outcome.rows = table.num_rows
    return outcome


def content_hash(raw: bytes) -> str:
    """SHA-256 of the object, ignoring a gzip header's timestamp (bytes 4-7), so the same log
    file compressed again at another time is still recognised as the same content."""
    if raw.startswith(GZIP_MAGIC) and len(raw) >= 10:
        digest = hashlib.sha256(raw[:4])
        digest.update(memoryview(raw)[8:])
        return digest.hexdigest()
    return hashlib.sha256(raw).hexdigest()


def _settle(
    settings: Settings,
    out: _Outcome,
    manifest: Manifest,
    report: IngestReport,
    batches: dict[str, Batch],
    seen_hashes: set[str],
) -> int:
    """Account for one processed object; returns the records it adds."""
    obj = out.obj
    base = ObjectRecord(obj.uri, obj.size, obj.version, out.sha256 or None, None, "failed")
    if out.error is not None and out.parsed is None:
        _quarantine(settings, out, out.error, [], report)
        manifest.record_now(_replace(base, error=out.error))
        return 0
    assert out.parsed is not None
    kind = out.parsed.kind
    if kind == "digest":
        report.digests += 1
        manifest.record_now(_replace(base, kind="digest", status="digest"))
        return 0
    copy_of = manifest.ingested_copy(out.sha256, obj.uri)
    if copy_of == obj.uri:  # rewritten with identical content (new mtime): nothing new
        report.already_seen += 1
        manifest.refresh(obj.uri, obj.size, obj.version)
        return 0
    if copy_of or out.sha256 in seen_hashes:
        report.duplicates += 1
        note = f"{obj.uri}: same content as {copy_of or 'another object in this run'}; skipped"
        report.notices.append(note)
        manifest.record_now(_replace(base, kind=kind, status="duplicate", error=note))
        return 0
    seen_hashes.add(out.sha256)
    result = out.parsed.result
    assert result is not None
    report.notices.extend(result.notices)
    rejects = result.rejects
    rows = out.rows
    status = "done"
    error = None
    if rejects or out.partial:
        status = "partial"
        error = out.partial or f"{len(rejects)} record(s) rejected"
        _quarantine(settings, out, error, rejects, report)
        report.rejected += len(rejects)
    table_name = TABLE_OF[kind]
    report.ingested += 1
    report.records[table_name] += rows
    batch = batches[table_name]
    for key, part in out.parts:
        batch.add(key, part)
    batch.objects.append(
        _replace(base, kind=kind, status=status, records=rows, rejected=len(rejects), error=error)
    )
    return rows


def _quarantine(
    settings: Settings, out: _Outcome, reason: str, rejects: list[Reject], report: IngestReport
) -> None:
    folder = quarantine(
        settings.quarantine_dir,
        out.obj.uri,
        out.sha256 or "unreadable",
        reason,
        rejects,
        out.original,
    )
    report.quarantined.append({"uri": out.obj.uri, "reason": reason, "folder": str(folder)})
    for r in rejects[:20]:
        report.problems.append(f"{r.where(out.obj.uri)}: {r.reason}")
    if len(rejects) > 20:
        report.problems.append(f"{out.obj.uri}: … and {len(rejects) - 20} more rejected records")
    if not rejects:
        where = "" if reason.startswith(out.obj.uri) else f"{out.obj.uri}: "
        report.problems.append(where + reason)


def _replace(rec: ObjectRecord, **changes: object) -> ObjectRecord:
    from dataclasses import replace

    return replace(rec, **changes)  # type: ignore[arg-type]
