"""Findings other products wrote, into the hub: BatchImportFindings, "GuardDuty Finding" and
"Security Hub Findings - Imported" events, and the findings an ingest finds in files (GuardDuty's
S3 export, files of ASFF). Each document is read as ASFF or as GuardDuty's own shape and upserted
by its identity (a later version replaces the finding, an equal or older one changes nothing);
new and changed findings go onto the bus. Light on purpose: ingest, the push lanes and the
server load it without the rest of the findings service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.config import Settings
from vigil.events.emit import emit_findings
from vigil.findings.asff_import import AsffInvalid, ImportFailure, ImportResult, read
from vigil.findings.guardduty_import import read_guardduty
from vigil.findings.imported import Imported, Outcome, upsert
from vigil.findings.store import FindingStore
from vigil.formats.common import Reject
from vigil.ingest.options import FindingsSink
from vigil.model.finding import Finding

DocReader = Callable[[Any], Imported]


def import_with(settings: Settings, docs: list[Any], reader: DocReader) -> ImportResult:
    """Read each document into a hub finding and record it (a later version replaces the
    finding, an equal or older one is ignored but still succeeds, as in Security Hub); the
    ones read wrongly are failed with the reason, and the rest proceed."""
    failed: list[ImportFailure] = []
    read_ones: list[Imported] = []
    for doc in docs:
        try:
            read_ones.append(reader(doc))
        except AsffInvalid as exc:
            ident = str(doc.get("Id", doc.get("id", ""))) if isinstance(doc, dict) else ""
            failed.append(ImportFailure(ident, str(exc)))
    outcomes = record(settings, read_ones)
    return ImportResult(len(docs) - len(failed), failed, outcomes[Outcome.CREATED],
                        outcomes[Outcome.UPDATED], outcomes[Outcome.UNCHANGED])  # fmt: skip


def record(settings: Settings, imported: list[Imported]) -> dict[Outcome, int]:
    """Upsert findings already read; new and changed ones onto the bus. How many of each."""
    changed: list[Finding] = []
    outcomes = dict.fromkeys(Outcome, 0)
    if not imported:
        return outcomes
    with FindingStore(settings.state_db) as store:
        for one in imported:
            outcome = upsert(store, one)
            outcomes[outcome] += 1
            if outcome is not Outcome.UNCHANGED:
                changed.append(store.get(one.finding.id))
    if changed:
        emit_findings(settings, changed)
    return outcomes


def reader_of(doc: Any) -> DocReader:
    """ASFF (it has SchemaVersion) or GuardDuty's own shape."""
    return read if isinstance(doc, dict) and "SchemaVersion" in doc else read_guardduty


def intake(settings: Settings) -> FindingsSink:
    """Where an ingest hands the findings it found in files, with their line numbers; the ones
    refused come back with the reason, by their line."""

    def take(product: str, docs: list[tuple[int, Any]], uri: str) -> list[Reject]:
        refused: list[Reject] = []
        read_ones: list[Imported] = []
        for number, doc in docs:
            try:
                read_ones.append(reader_of(doc)(doc))
            except AsffInvalid as exc:
                refused.append(Reject(number, str(exc)))
        record(settings, read_ones)
        return refused

    return take
