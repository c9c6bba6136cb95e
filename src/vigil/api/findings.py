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
