"""What follows every ingest (the command's and the server's): delivery to log groups with
their metric filters, Vigil's own metrics, and the bus. A live batch also gets its record rules
evaluated at once (`commit`), with the findings that changed put on the bus."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.config import Settings
from vigil.detect.batch import BatchDetector, BatchReport
from vigil.ingest.options import IngestOptions, IngestReport
from vigil.ingest.pipeline import ingest
from vigil.sources.objects import Reader, SourceObject


def after_ingest(
    settings: Settings, report: IngestReport, options: IngestOptions | None, *, events: bool
) -> IngestReport:
    from vigil.clock import now_ms
    from vigil.events import emit
    from vigil.metrics import own

    if options is not None:
        _route(settings, report, options)
    own.ingested(settings, report.records, report.rejected, now_ms())
    if events and emit.wanted(settings):
        report.events = emit.emit_cloudtrail(settings, report.written.get("cloudtrail", []))
    if events:
        summary = {
            "records": report.records,
            "rejected": report.rejected,
            "quarantined": len(report.quarantined),
            "objects": report.ingested,
        }
        emit.emit_health(settings, "Vigil Ingest Completed", summary)
    return report


def _route(settings: Settings, report: IngestReport, options: IngestOptions) -> None:
    from vigil.logs.route import route
    from vigil.metrics.filters import apply_filters

    for table, group in (
        ("flow_logs", options.flow_logs_to),
        ("cloudtrail", options.cloudtrail_to),
    ):
        if group and report.written.get(table):
            delivered = route(settings, table, report.written[table], group, apply_filters)
            report.routed[group] = report.routed.get(group, 0) + delivered


@dataclass
class Committed:
    report: IngestReport
    detection: BatchReport = field(default_factory=BatchReport)
    findings_emitted: int = 0


def commit(
    settings: Settings,
    objects: list[SourceObject],
    options: IngestOptions,
    reader: Reader,
    detector: BatchDetector | None = None,
) -> Committed:
    """Ingest exactly these objects (the manifest skips any already in), then evaluate the new
    rows at once. Safe to repeat: an object committed before is not read again."""
    from vigil.events.emit import emit_findings
    from vigil.findings.store import FindingStore

    report = ingest(settings, [], options, objects=objects, reader=reader)
    after_ingest(settings, report, options, events=False)
    done = Committed(report)
    if not any(report.written.values()):
        return done
    own = detector is None
    detector = detector or BatchDetector(settings)
    try:
        with FindingStore(settings.state_db) as store:
            done.detection = detector.detect(store, report.written)
            changed = [store.get(fid) for fid in done.detection.changed]
    finally:
        if own:
            detector.close()
    if changed:
        done.findings_emitted = emit_findings(settings, changed)
    return done
