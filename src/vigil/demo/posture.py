"""The demo's posture audit: AnyCompany's saved configuration (with its deliberate gaps)
imported as a snapshot of the demo day, audited into the findings hub, and the CIS controls
proven against the day's CloudTrail events."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from vigil.api.posture import audit_and_record
from vigil.config import Settings
from vigil.demo import config
from vigil.demo import scenario as sc
from vigil.posture import snapshot as snaps
from vigil.posture.audit import audit, check_reports, load_checks, scores
from vigil.posture.compare import compare
from vigil.posture.proven import prove
from vigil.shells.views.posture import check_doc, proof_doc, score_docs


def week_before(snap: snaps.Snapshot, day: str) -> snaps.Snapshot:
    """The same configuration a week earlier, before development turned log file validation
    off and GuardDuty off in Sydney: what `vigil posture diff` shows as newly failing."""
    old = copy.deepcopy(snap)
    old.taken_at = f"{date.fromisoformat(day) - timedelta(days=7)}T23:59:00Z"
    dev = old.accounts[sc.DEVELOPMENT]
    for region in dev.values():
        for trail in (region.get("cloudtrail describe-trails") or {}).get("trailList", []):
            trail["LogFileValidationEnabled"] = True
    dev["ap-southeast-2"]["guardduty list-detectors"] = {"DetectorIds": ["4eb5d1e0c0ffee"]}
    return old


def run(settings: Settings, root: Path, day: str) -> dict[str, Any]:
    folder = config.write(root, day)
    snap = snaps.import_dir(folder)
    snap.taken_at = f"{day}T23:59:00Z"  # the configuration as it was that day
    units = load_checks()
    old = week_before(snap, day)
    snaps.save(settings, old)
    snaps.save(settings, snap)
    audit_and_record(settings, snap)
    results = audit(snap, units)
    checks = check_reports(units, results)
    return {
        "snapshot": str(folder),
        "changes": [c.to_json() for c in compare(audit(old, units), results)],
        "scores": score_docs(scores(units, results)),
        "failed": [check_doc(c) for c in checks if c.status in ("FAILED", "WARNING")],
        "proven": [proof_doc(p) for p in prove(settings, snap)],
    }
