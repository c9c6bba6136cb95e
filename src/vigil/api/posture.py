"""Posture: snapshots of the logging set-up, the checks over them, compliance findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil.config import Settings

if TYPE_CHECKING:
    from vigil.posture.snapshot import Snapshot


def collect(
    regions: list[str] | None,
    profiles: list[str] | None,
    endpoint_url: str | None,
    *,
    role: str | None = None,
    accounts: list[str] | None = None,
) -> Snapshot:
    from vigil.posture.collect import collect as collect_snapshot

    return collect_snapshot(regions, profiles, endpoint_url, role=role, accounts=accounts)


def record(settings: Settings, snap: Snapshot) -> dict[str, Any]:
    """Save the snapshot, audit it into the findings hub and put what changed on the event bus,
    as Security Hub does ("Security Hub Findings - Imported", with `Compliance.Status`)."""
    from vigil.posture import snapshot

    snapshot.save(settings, snap)
    return audit_and_record(settings, snap)


def audit_and_record(settings: Settings, snap: Snapshot) -> dict[str, Any]:
    """Audit a snapshot (already saved) into the findings hub, and emit what changed."""
    from vigil.events.emit import emit_findings
    from vigil.findings.compliance import record as record_results
    from vigil.findings.store import FindingStore
    from vigil.posture.audit import audit, load_checks

    units = load_checks()
    changed: list[str] = []
    counts: dict[str, Any] = record_results(
        settings, units, audit(snap, units), snap.taken_at, changed
    )
    with FindingStore(settings.state_db) as store:
        findings = [store.get(fid) for fid in changed]
    counts["events"] = emit_findings(settings, findings)
    return counts
