"""The demo's posture audit: AnyCompany's saved configuration (with its deliberate gaps)
imported as a snapshot of the demo day, audited into the findings hub, and the CIS controls
proven against the day's CloudTrail events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vigil.config import Settings
from vigil.demo import config
from vigil.posture import snapshot as snaps
from vigil.posture.audit import audit, load_checks, report_rows, scores
from vigil.posture.findings import record
from vigil.posture.proven import as_rows, prove


def run(settings: Settings, root: Path, day: str) -> dict[str, Any]:
    folder = config.write(root, day)
    snap = snaps.import_dir(folder)
    snap.taken_at = f"{day}T23:59:00Z"  # the configuration as it was that day
    snaps.save(settings, snap)
    units = load_checks()
    results = audit(snap, units)
    record(settings, units, results, snap.taken_at)
    rows = report_rows(units, results)
    return {
        "snapshot": str(folder),
        "scores": scores(units, results),
        "failed": [r for r in rows if r["status"] in ("FAILED", "WARNING")],
        "proven": as_rows(prove(settings, snap)),
    }
