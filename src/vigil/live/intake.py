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
    changed: list[Finding] = []
    outcomes = dict.fromkeys(Outcome, 0)
    with FindingStore(settings.state_db) as store:
        for doc in docs:
            ident = str(doc.get("Id", doc.get("id", ""))) if isinstance(doc, dict) else ""
            try:
                imported = reader(doc)
            except AsffInvalid as exc:
                failed.append(ImportFailure(ident, str(exc)))
                continue
            outcome = upsert(store, imported)
            outcomes[outcome] += 1
            if outcome is not Outcome.UNCHANGED:
                changed.append(store.get(imported.finding.id))
    if changed:
        emit_findings(settings, changed)
    return ImportResult(len(docs) - len(failed), failed, outcomes[Outcome.CREATED],
                        outcomes[Outcome.UPDATED], outcomes[Outcome.UNCHANGED])  # fmt: skip


def reader_of(doc: Any) -> DocReader:
    """ASFF (it has SchemaVersion) or GuardDuty's own shape."""
    return read if isinstance(doc, dict) and "SchemaVersion" in doc else read_guardduty


def intake(settings: Settings) -> FindingsSink:
    """Where an ingest hands the findings it found in files, with their line numbers; the ones
    refused come back with the reason, by their line."""

    def take(product: str, docs: list[tuple[int, Any]], uri: str) -> list[Reject]:
        refused: list[Reject] = []
        asff_docs: list[Any] = []
        guardduty_docs: list[Any] = []
        for number, doc in docs:
            reader = reader_of(doc)
            try:
                reader(doc)
            except AsffInvalid as exc:
                refused.append(Reject(number, str(exc)))
                continue
            (asff_docs if reader is read else guardduty_docs).append(doc)
        if asff_docs:
            import_with(settings, asff_docs, read)
        if guardduty_docs:
            import_with(settings, guardduty_docs, read_guardduty)
        return refused

    return take
