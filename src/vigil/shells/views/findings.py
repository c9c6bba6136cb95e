"""A finding shaped for JSON (the CLI's --json, the native API, the console's raw view) and as
a row of the triage tables (the console's findings, overview and entity pages)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vigil.model.finding import Finding


def as_dict(f: Finding, evidence_query: str) -> dict[str, Any]:
    """Every field of the finding, its severity label, and its evidence query as it runs (the
    service layer's `findings.evidence_query(f)`: the finding's window filled in)."""

    data = asdict(f)
    data["severity_label"] = f.severity_label
    data["workflow"] = f.workflow.value
    data["record_state"] = f.record_state.value
    data["evidence_query"] = evidence_query
    return data


def as_row(f: Finding) -> dict[str, Any]:
    """A finding as the triage table shows it."""

    return {"id": f.id, "severity": f.severity_label, "score": f.severity, "type": f.type,
            "title": f.title, "account": f.account, "region": f.region,
            "resource": f.resource_id, "resource_type": f.resource_type, "count": f.count,
            "first_seen": f.first_seen, "last_seen": f.last_seen, "workflow": f.workflow.value,
            "record_state": f.record_state.value, "assignee": f.assignee or "",
            "kind": f.kind.value}  # fmt: skip
