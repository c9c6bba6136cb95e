"""Findings: the hub's list, one finding, triage, suppression rules and exports."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from vigil import clock
from vigil.config import Settings
from vigil.findings.store import Filter, FindingStore
from vigil.model.finding import Finding, RecordState, Workflow


def list_findings(
    settings: Settings,
    severity: float | None = None,
    type_: str | None = None,
    status: str | None = None,
    since: str | None = None,
    archived: bool = False,
) -> list[Finding]:
    with FindingStore(settings.state_db) as store:
        state = "ARCHIVED" if archived else "ACTIVE"
        return store.find(Filter(severity, type_, status, state, since))


def get(settings: Settings, fid: str) -> Finding:
    with FindingStore(settings.state_db) as store:
        return store.get(fid)


def update(
    settings: Settings,
    fid: str,
    workflow: Workflow | None,
    state: RecordState | None,
    note: str | None,
) -> Finding:
    with FindingStore(settings.state_db) as store:
        return store.update(fid, workflow, state, note)


def as_dict(f: Finding) -> dict[str, Any]:
    from vigil.detect.sql import render as render_sql

    data = asdict(f)
    data["severity_label"] = f.severity_label
    data["workflow"] = f.workflow.value
    data["record_state"] = f.record_state.value
    if f.evidence_query:
        data["evidence_query"] = render_sql(
            f.evidence_query,
            {"first_seen": _ts(f.first_seen), "last_seen": _ts(f.last_seen)},
        )
    return data


def _ts(text: str) -> datetime:
    return clock.parse_iso(text)


def suppressions(settings: Settings) -> dict[str, dict[str, str]]:
    with FindingStore(settings.state_db) as store:
        return store.suppressions()


def delete_suppression(settings: Settings, name: str) -> dict[str, str]:
    """Delete a suppression rule; findings it archived stay archived (as in GuardDuty)."""
    with FindingStore(settings.state_db) as store:
        return store.unsuppress(name)


def suppress(settings: Settings, name: str, pairs: list[str]) -> int:
    from vigil.findings.suppression import parse_criteria

    criteria = parse_criteria(pairs)
    with FindingStore(settings.state_db) as store:
        return store.suppress(name, criteria)


def export(settings: Settings, fmt: str, archived: bool = False) -> list[dict[str, Any]]:
    from vigil.errors import ConfigError
    from vigil.findings.export import FORMATS

    convert = FORMATS.get(fmt.lower())
    if convert is None:
        raise ConfigError(f"no export format {fmt!r}", hint=f"choose {', '.join(FORMATS)}")
    with FindingStore(settings.state_db) as store:
        found = store.find(Filter(record_state=None if archived else "ACTIVE"))
    return [convert(f) for f in found]


# -- Security Hub's API: BatchImportFindings, GetFindings, BatchUpdateFindings -------------------
def import_asff(settings: Settings, docs: list[Any]) -> dict[str, Any]:
    """Import ASFF findings (each checked alone); new and changed ones go onto the event bus
    as "Security Hub Findings - Imported". Security Hub's reply shape."""
    from vigil.findings.asff_import import read

    return import_with(settings, docs, read)


def import_guardduty(settings: Settings, docs: list[Any]) -> dict[str, Any]:
    """Import GuardDuty findings (the detail of "GuardDuty Finding" events)."""
    from vigil.findings.asff_import import read_guardduty

    return import_with(settings, docs, read_guardduty)


def import_with(settings: Settings, docs: list[Any], read: Any) -> dict[str, Any]:
    from vigil.events.emit import emit_findings
    from vigil.findings.asff_import import AsffInvalid

    failed: list[dict[str, str]] = []
    changed: list[Finding] = []
    with FindingStore(settings.state_db) as store:
        for doc in docs:
            ident = str(doc.get("Id", doc.get("id", ""))) if isinstance(doc, dict) else ""
            try:
                finding, hit = read(doc)
            except AsffInvalid as exc:
                failed.append({"Id": ident, "ErrorCode": "InvalidInput", "ErrorMessage": str(exc)})
                continue
            if store.record(finding, [hit]):
                changed.append(store.get(finding.id))
    if changed:
        emit_findings(settings, changed)
    return {"SuccessCount": len(docs) - len(failed), "FailedCount": len(failed),
            "FailedFindings": failed}  # fmt: skip


def asff_of(f: Finding) -> dict[str, Any]:
    """A finding as GetFindings gives it: an imported one as it came, with the hub's workflow,
    record state and note laid over; Vigil's own in Vigil's ASFF."""
    from vigil.findings.asff_import import original
    from vigil.findings.export import asff

    doc = original(f)
    if doc is None:
        return asff(f)
    doc = {**doc, "Workflow": {"Status": f.workflow.value}, "RecordState": f.record_state.value}
    if f.note:
        doc["Note"] = {"Text": f.note, "UpdatedBy": "vigil", "UpdatedAt": f.updated_at}
    return doc


def find_asff(settings: Settings, filters: Any) -> list[dict[str, Any]]:
    """GetFindings: every finding (active and archived) whose ASFF matches the filters."""
    from vigil.errors import ConfigError
    from vigil.findings.asff_filter import FilterInvalid, check, matches

    try:
        wanted = check(filters)
    except FilterInvalid as exc:
        raise ConfigError(str(exc)) from None
    with FindingStore(settings.state_db) as store:
        found = store.find(Filter(record_state=None))
    docs = [asff_of(f) for f in found]
    return [d for d in docs if matches(wanted, d)]


def hub_id(ident: str, product_arn: str) -> str:
    """The hub id behind a Security Hub FindingIdentifier (Id and ProductArn)."""
    from vigil.findings.asff_import import identity

    if ident.startswith("vigil/"):
        return ident.removeprefix("vigil/")
    return identity(product_arn, ident)
