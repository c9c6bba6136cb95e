"""The ingest job: list sources, skip what the manifest has seen, parse in parallel, write
batches atomically, quarantine what could not be taken, and report it all."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

from vigil.config import Settings
from vigil.ingest.classify import TABLE_OF
from vigil.ingest.options import INGESTED, FindingsSink, IngestOptions, IngestReport
from vigil.ingest.settle import Settler
from vigil.ingest.work import Dedup, Outcome, WorkOptions, process_group
from vigil.lake.locking import lake_lock
from vigil.lake.manifest import INGESTED_STATUSES, Manifest
from vigil.lake.tables import TABLES
from vigil.lake.writer import Batch, LakeWriter
from vigil.sources.objects import Reader, SourceObject

__all__ = ["INGESTED", "FindingsSink", "IngestOptions", "IngestReport", "ingest"]

Progress = Callable[[SourceObject, int], None]


def ingest(
    settings: Settings,
    sources: list[str],
    options: IngestOptions,
    on_listed: Callable[[int], None] | None = None,
    on_object: Progress | None = None,
    *,
    objects: list[SourceObject] | None = None,
    reader: Reader | None = None,
    findings: FindingsSink | None = None,
) -> IngestReport:
    """Ingest what the sources list (or exactly `objects`, read through `reader`); findings
    other products wrote (GuardDuty, Security Hub) go to `findings`, the hub's intake."""
    settings.ensure()
    reader = reader or Reader(options.endpoint_url, exclude=settings.home)
    report = IngestReport()
    with lake_lock(settings.home):
        manifest = Manifest(settings.state_db)
        try:
            writer = LakeWriter(settings, manifest)
            report.repaired_batches = writer.recover()
            listed = objects if objects is not None else _listed(reader, sources)
            todo, replacing = _select(listed, options, manifest, report)
            if on_listed:
                on_listed(len(todo))
            settler = Settler(settings, options, manifest, report, replacing, findings)
            _run(settler, reader, todo, writer, on_object)
        finally:
            manifest.close()
    return report  # routing to log groups (`flow_logs_to`) follows in the service layer


def _listed(reader: Reader, sources: list[str]) -> Iterator[SourceObject]:
    for source in sources:
        yield from reader.list(source)


def _select(
    listed: Iterable[SourceObject],
    options: IngestOptions,
    manifest: Manifest,
    report: IngestReport,
) -> tuple[list[SourceObject], dict[str, str]]:
    """The objects to read, and of those ingested before, the table holding their rows (which
    the new rows replace: a re-ingest, or an object rewritten with other content)."""
    todo = []
    replacing: dict[str, str] = {}
    for obj in listed:
        report.files += 1
        if not obj.in_window(options.since, options.until):
            report.outside_window += 1
            continue
        status = manifest.seen(obj.uri, obj.size, obj.version)
        if status == "failed":
            report.retried += 1  # a rejected object stays eligible: the fix may be here now
        elif status is not None and not options.reprocess:
            report.already_seen += 1
            continue
        todo.append(obj)
        before = manifest.previous(obj.uri)
        if before is not None and before.status in INGESTED_STATUSES and before.kind in TABLE_OF:
            replacing[obj.uri] = TABLE_OF[before.kind]
    return todo, replacing


def _run(
    settler: Settler,
    reader: Reader,
    todo: list[SourceObject],
    writer: LakeWriter,
    on_object: Progress | None,
) -> None:
    options, report = settler.options, settler.report
    batches = {name: Batch(TABLES[name]) for name in INGESTED}
    dedup = Dedup(settler.manifest, reprocess=options.reprocess)
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
                rows = settler.settle(outcome, batches)
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
        if batch.objects or batch.replaces:
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
