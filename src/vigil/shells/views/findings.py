"""A finding shaped for JSON (the CLI's --json, the native API, the console's raw view) and as
a row of the triage tables (the console's findings, overview and entity pages)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from vigil.model.finding import Finding, Related


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
            "kind": f.kind.value, "product": f.product, "product_name": f.product_name,
            "product_severity": f.product_severity, "standards": f.standards,
            "standard_names": [standard_name(s) for s in f.standards]}  # fmt: skip


STANDARD_NAMES: Final = {"cis-aws-foundations-benchmark": "CIS",
                          "aws-foundational-security-best-practices": "FSBP",
                          "nist-800-53": "NIST 800-53", "pci-dss": "PCI DSS",
                          "aws-resource-tagging-standard": "Tagging"}  # fmt: skip


def standard_name(standards_id: str) -> str:
    """A StandardsId as people say it: `ruleset/cis-aws-foundations-benchmark/v/1.2.0` → `CIS
    1.2.0`; one Vigil does not know keeps its name and version."""

    parts = standards_id.split("/")
    if len(parts) < 4 or parts[2] != "v":
        return standards_id
    return f"{STANDARD_NAMES.get(parts[1], parts[1])} {parts[3]}"


def product_label(f: Finding) -> str:
    """The product as the tables show it: `vigil`, `guardduty`, `securityhub: Inspector`."""

    if f.product_name.lower().replace(" ", "") in (f.product, "securityhub"):
        return f.product
    return f"{f.product}: {f.product_name}"


def related_dict(r: Related) -> dict[str, Any]:
    """A linked finding as `findings show --json` and the native API give it."""

    return {"id": r.id, "product": r.product, "type": r.type, "severity": r.severity,
            "severity_label": r.severity_label, "title": r.title}  # fmt: skip
