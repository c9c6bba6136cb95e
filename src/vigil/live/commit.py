"""A live batch committed: its objects ingested exactly once, what follows an ingest
(`follow.after_ingest`), and its record rules evaluated at once, the findings they changed put
on the bus (`follow.emit_changed`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.config import Settings
from vigil.detect.batch import BatchDetector, BatchReport
from vigil.findings.store import FindingStore
from vigil.ingest.options import FindingsSink, IngestOptions, IngestReport
from vigil.ingest.pipeline import ingest
from vigil.live import follow
from vigil.sources.objects import Reader, SourceObject


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
    findings: FindingsSink | None = None,
) -> Committed:
    """Ingest exactly these objects (the manifest skips any already in; GuardDuty and Security
    Hub findings go to `findings`, the hub's intake), then evaluate the new rows at once. Safe
    to repeat: an object committed before is not read again."""
    report = ingest(settings, [], options, objects=objects, reader=reader, findings=findings)
    follow.after_ingest(settings, report, options, events=False)
    done = Committed(report)
    if not any(report.written.values()):
        return done
    own = detector is None
    detector = detector or BatchDetector(settings)
    try:
        with FindingStore(settings.state_db) as store:
            done.detection = detector.detect(store, report.written)
    finally:
        if own:
            detector.close()
    done.findings_emitted = follow.emit_changed(settings, done.detection.changed)
    return done
