"""The ingest job: list sources, skip what the manifest has seen, parse in parallel, write
batches atomically, quarantine what could not be taken, and report it all."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from vigil.config import Settings
from vigil.formats.common import Reject
from vigil.ingest.classify import TABLE_OF, LogType
from vigil.ingest.quarantine import quarantine
from vigil.ingest.work import Dedup, Outcome, WorkOptions, process_group
from vigil.lake.locking import lake_lock
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.lake.tables import TABLES
from vigil.lake.writer import Batch, LakeWriter
from vigil.sources.objects import Reader, SourceObject

INGESTED = ("flow_logs", "cloudtrail")  # the tables `vigil ingest` writes

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
    batch_rows: int = 500_000
    flow_logs_to: str | None = None  # also deliver new flow-log records to this log group
    cloudtrail_to: str | None = None  # also deliver new CloudTrail records to this log group
    batch_bytes: int = 64 << 20  # CloudTrail rows are ~1 KB: bound memory by size too


@dataclass
class IngestReport:
    files: int = 0
    ingested: int = 0
    already_seen: int = 0
    outside_window: int = 0
    duplicates: int = 0
    digests: int = 0
    records: dict[str, int] = field(default_factory=lambda: {name: 0 for name in INGESTED})
    rejected: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    repaired_batches: int = 0
    written: dict[str, list[Path]] = field(default_factory=dict)  # table → new lake files
    routed: dict[str, int] = field(default_factory=dict)  # log group → events delivered
    events: int = 0  # CloudTrail write calls put on the event bus

    @property
    def clean(self) -> bool:
        return self.rejected == 0 and not self.quarantined


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
    for table, group in (
        ("flow_logs", options.flow_logs_to),
        ("cloudtrail", options.cloudtrail_to),
    ):
        if group and report.written.get(table):
            from vigil.logs.route import route

            report.routed[group] = report.routed.get(group, 0) + route(
                settings, table, report.written[table], group
            )
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
    batches = {name: Batch(TABLES[name]) for name in INGESTED}
    dedup = Dedup(manifest)
    work_options = WorkOptions(options.log_type, options.fmt, options.account, options.region)

    def work(group: list[SourceObject]) -> list[Outcome]:
        return process_group(group, work_options, reader, dedup)

    # Parsing runs in `workers` threads; lake writes run in one more, one batch at a time, so
    # Parquet encoding overlaps parsing and at most two batches are in memory. A batch is cut
    # only between groups: a group's rows and its objects are committed together.
    committing: Future[tuple[str, list[Path]]] | None = None
    workers = max(1, options.workers)
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        ThreadPoolExecutor(max_workers=1) as commits,
    ):
        for outcomes in _bounded(pool, _groups(todo), work, 2 * workers):
            for outcome in outcomes:
                rows = _settle(settings, outcome, manifest, report, batches)
                if on_object:
                    on_object(outcome.obj, rows)
            for name, batch in batches.items():
                if batch.rows >= options.batch_rows or batch.nbytes >= options.batch_bytes:
                    if committing is not None:
                        _written(report, *committing.result())
                    committing = commits.submit(_commit, writer, batch)
                    batches[name] = Batch(batch.spec)
        if committing is not None:
            _written(report, *committing.result())
    for batch in batches.values():
        if batch.objects:
            _written(report, *_commit(writer, batch))


def _commit(writer: LakeWriter, batch: Batch) -> tuple[str, list[Path]]:
    return batch.spec.name, writer.commit(batch)


def _written(report: IngestReport, table: str, files: list[Path]) -> None:
    report.written.setdefault(table, []).extend(files)


GROUP_OBJECTS = 64  # CloudTrail files are small (5-minute deliveries): parse them together
GROUP_BYTES = 1 << 20  # compressed; ~10 MB of JSON per group bounds memory (measured best)


def _groups(todo: list[SourceObject]) -> Iterator[list[SourceObject]]:
    """Consecutive CloudTrail objects in groups (read in one pass); everything else alone."""
    group: list[SourceObject] = []
    size = 0
    for obj in todo:
        if obj.key.kind != "cloudtrail":
            yield [obj]
            continue
        if group and _place(group[-1]) != _place(obj):  # keep a group in one partition
            yield group
            group, size = [], 0
        group.append(obj)
        size += obj.size
        if len(group) >= GROUP_OBJECTS or size >= GROUP_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _place(obj: SourceObject) -> tuple[str | None, str | None, date | None]:
    return obj.key.account, obj.key.region, obj.key.day


def _bounded(
    pool: ThreadPoolExecutor,
    groups: Iterator[list[SourceObject]],
    work: Callable[[list[SourceObject]], list[Outcome]],
    limit: int,
) -> Iterator[list[Outcome]]:
    """Parse ahead in worker threads, but never hold more than `limit` parsed groups."""
    pending: deque[Future[list[Outcome]]] = deque()
    for group in groups:
        pending.append(pool.submit(work, group))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _settle(
    settings: Settings,
    out: Outcome,
    manifest: Manifest,
    report: IngestReport,
    batches: dict[str, Batch],
) -> int:
    """Account for one processed object; returns the records it adds."""
    obj = out.obj
    base = ObjectRecord(obj.uri, obj.size, obj.version, out.sha256 or None, None, "failed")
    if out.seen == "same":  # rewritten with identical content (new mtime): nothing new
        report.already_seen += 1
        manifest.refresh(obj.uri, obj.size, obj.version)
        return 0
    if out.seen == "copy":
        report.duplicates += 1
        note = f"{obj.uri}: same content as {out.copy_of}; skipped"
        report.notices.append(note)
        manifest.record_now(replace(base, status="duplicate", error=note))
        return 0
    if out.error is not None and out.parsed is None:
        _quarantine(settings, out, out.error, [], report)
        manifest.record_now(replace(base, error=out.error))
        return 0
    assert out.parsed is not None
    kind = out.parsed.kind
    if kind == "digest":
        report.digests += 1
        manifest.record_now(replace(base, kind="digest", status="digest"))
        return 0
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
        replace(base, kind=kind, status=status, records=rows, rejected=len(rejects), error=error)
    )
    return rows


def _quarantine(
    settings: Settings, out: Outcome, reason: str, rejects: list[Reject], report: IngestReport
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
