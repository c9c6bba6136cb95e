"""`vigil quarantine retry`: read quarantined objects again, with the options they were read with
or corrected ones, replacing whatever rows they had (nothing doubled, nothing lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.formats.flowlog_fields import parse_format
from vigil.ingest import quarantine
from vigil.ingest.classify import LOG_TYPES
from vigil.ingest.options import FindingsSink, IngestOptions, IngestReport, LogType
from vigil.ingest.pipeline import ingest
from vigil.lake.manifest import Manifest
from vigil.sources.objects import Reader, SourceObject


@dataclass(frozen=True)
class Overrides:
    """What the user corrects for the retry; None keeps what the entry was read with."""

    log_type: str | None = None
    fmt: str | None = None
    account: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclass
class Retried:
    id: str
    uri: str
    result: str  # ingested | partial | rejected | unavailable
    records: int = 0
    reason: str = ""


@dataclass
class RetryReport:
    objects: list[Retried] = field(default_factory=list)
    ingest: list[IngestReport] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return all(o.result == "ingested" for o in self.objects)


def _options(entry: quarantine.Entry, overrides: Overrides) -> IngestOptions:
    kept: dict[str, Any] = entry.options
    fmt = overrides.fmt if overrides.fmt is not None else kept.get("format")
    log_type = overrides.log_type or kept.get("type") or "auto"
    if log_type not in LOG_TYPES:
        raise ConfigError(f"no log type {log_type!r}", hint=f"choose {', '.join(LOG_TYPES)}")
    return IngestOptions(
        log_type=cast(LogType, log_type),
        fmt=parse_format(fmt) if fmt is not None else None,
        account=overrides.account or kept.get("account"),
        region=overrides.region or kept.get("region"),
        endpoint_url=overrides.endpoint_url or kept.get("endpoint_url"),
        reprocess=True,
    )


def retry(
    settings: Settings,
    ids: list[str],
    overrides: Overrides,
    on_object: Callable[[SourceObject, int], None] | None = None,
    findings: FindingsSink | None = None,
) -> RetryReport:
    report = RetryReport()
    groups: dict[IngestOptions, list[quarantine.Entry]] = {}
    for entry in quarantine.chosen(settings.quarantine_dir, ids):
        groups.setdefault(_options(entry, overrides), []).append(entry)
    for options, entries in groups.items():
        originals = {e.uri: Path(e.folder) / quarantine.ORIGINAL for e in entries if e.has_original}
        reader = Reader(options.endpoint_url, exclude=settings.home, substitutes={})
        objects: list[SourceObject] = []
        for entry in entries:
            obj = reader.find(entry.uri)
            if obj is None and entry.uri in originals:  # the source is gone: the kept copy
                reader.substitutes[entry.uri] = originals[entry.uri]
                size = originals[entry.uri].stat().st_size
                obj = SourceObject(entry.uri, size, f"quarantine:{entry.sha256}")
            if obj is None:
                reason = "the source is gone and no copy was kept (only rejected records were)"
                report.objects.append(Retried(entry.id, entry.uri, "unavailable", reason=reason))
                continue
            objects.append(obj)
        if not objects:
            continue
        report.ingest.append(ingest(settings, [], options, None, on_object, objects=objects,
                                    reader=reader, findings=findings))  # fmt: skip
        report.objects += _outcomes(settings, [e for e in entries if e.uri in _uris(objects)])
    return report


def _uris(objects: list[SourceObject]) -> set[str]:
    return {o.uri for o in objects}


def _outcomes(settings: Settings, entries: list[quarantine.Entry]) -> list[Retried]:
    """How each retried object ended: its entry gone (ingested) or written again."""
    after = {e.uri: e for e in quarantine.entries(settings.quarantine_dir)}
    manifest = Manifest(settings.state_db)
    try:
        out = []
        for entry in entries:
            record = manifest.previous(entry.uri)
            records = record.records if record is not None else 0
            again = after.get(entry.uri)
            if again is None:
                out.append(Retried(entry.id, entry.uri, "ingested", records))
            else:  # partial: ingested, some records rejected again; failed: nothing taken
                result = "partial" if again.status == "partial" else "rejected"
                out.append(Retried(entry.id, entry.uri, result, records, again.reason))
        return out
    finally:
        manifest.close()
