"""Posture results as compliance findings in the findings hub, as Security Hub keeps control
findings: one per check and resource (keyed by the resource and Region, whatever standards the
check is in; those are listed on the finding, from check.yaml `controls:`); FAILED and WARNING
record activity (a resolved finding that fails again is NEW again); PASSED resolves an open
one. The compliance status rides in the latest hit's summary (`[FAILED] …`) and the ASFF
export turns it into `Compliance.Status`."""

from __future__ import annotations

from vigil.config import Settings
from vigil.findings.standards import check_standards
from vigil.findings.store import FindingStore
from vigil.model.finding import (
    CONTROL_UNIT_PREFIX,
    Finding,
    FindingKind,
    Hit,
    Workflow,
    finding_id,
)
from vigil.model.severity import severity_score
from vigil.posture.audit import CheckUnit
from vigil.posture.checks import Result


def check_of(f: Finding) -> str | None:
    """The id of the check a control finding is about; None for a threat finding."""
    return f.unit.removeprefix(CONTROL_UNIT_PREFIX) if f.kind is FindingKind.CONTROL else None


def compliance_type(unit: CheckUnit) -> str:
    control = unit.controls.get("securityhub") or unit.id
    return f"Software and Configuration Checks/Industry and Regulatory Standards/{control}"


def record(
    settings: Settings,
    units: list[CheckUnit],
    results: list[Result],
    taken_at: str,
    changed: list[str] | None = None,
) -> dict[str, int]:
    """Counts of findings recorded (new, or failing again) and resolved; their ids are added to
    `changed` when given."""
    meta = {u.id: u for u in units}
    counts = {"recorded": 0, "resolved": 0}
    touched = changed if changed is not None else []
    store = FindingStore(settings.state_db)
    try:
        for r in results:
            if r.status == "NOT_AVAILABLE":
                continue
            unit = meta[r.check]
            kind = compliance_type(unit)
            key = {"resource": r.resource, "region": r.region}
            fid = finding_id(CONTROL_UNIT_PREFIX + r.check, kind, r.account, key)
            if r.status == "PASSED":
                try:
                    existing = store.get(fid)
                except Exception:
                    continue
                if existing.workflow in (Workflow.NEW, Workflow.NOTIFIED):
                    store.update(
                        fid, workflow=Workflow.RESOLVED, note=f"[PASSED] {taken_at}: {r.reason}"
                    )
                    counts["resolved"] += 1
                    touched.append(fid)
                continue
            finding = Finding(
                id=fid,
                unit=CONTROL_UNIT_PREFIX + r.check,
                type=kind,
                title=unit.title,
                description=f"{r.reason}. Fix: {unit.remediation['console']}",
                severity=severity_score(unit.severity),
                account=r.account,
                region=r.region,
                resource_type="Other",
                resource_id=r.resource,
                key=key,
                first_seen=taken_at,
                last_seen=taken_at,
                count=1,
                actor=None,
                summary=f"[{r.status}] {r.reason}",
                evidence_query="",
                sample_evidence=[],
                nist_csf=list(unit.nist_csf),
                standards=check_standards(unit.controls),
            )
            hit = Hit(fid, taken_at, taken_at, taken_at, 1, None, f"[{r.status}] {r.reason}")
            if store.record(finding, [hit]):
                counts["recorded"] += 1
                touched.append(fid)
    finally:
        store.close()
    return counts


def compliance_status(summary: str | None, note: str | None) -> str:
    if note and note.startswith("[PASSED]"):
        return "PASSED"
    for status in ("FAILED", "WARNING", "NOT_AVAILABLE"):
        if (summary or "").startswith(f"[{status}]"):
            return status
    return "FAILED"
