"""Posture: snapshots of the logging set-up (imported or collected), the checks over them as
compliance findings, the report (table, JSON, HTML), controls proven by the lake's events,
flow-log volume estimates, history and the diff between snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.config import Settings
from vigil.content.kit import ContentError
from vigil.errors import QueryError
from vigil.events.emit import emit_findings
from vigil.findings.compliance import record as record_results
from vigil.findings.store import FindingStore
from vigil.posture import snapshot as snaps
from vigil.posture.audit import audit, load_checks, report_rows
from vigil.posture.audit import scores as scored
from vigil.posture.collect import collect as collect_snapshot
from vigil.posture.compare import compare, counts
from vigil.posture.proven import as_rows
from vigil.posture.proven import prove as replay
from vigil.posture.report_html import to_html
from vigil.posture.snapshot import Snapshot, import_dir
from vigil.posture.volume import estimate

if TYPE_CHECKING:
    from vigil.posture.audit import CheckUnit
    from vigil.posture.compare import Change

__all__ = ["Diff", "Saved", "Snapshot"]


@dataclass(frozen=True)
class Saved:
    """A snapshot kept in the home, and what recording it did."""

    snapshot: Snapshot
    path: Path
    recorded: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        snap = self.snapshot
        return {
            "snapshot": self.path.name,
            "taken_at": snap.taken_at,
            "accounts": sorted(snap.accounts),
            "regions": sum(len(snap.regions(a)) for a in snap.accounts),
            "warnings": snap.warnings,
            "unavailable": snap.errors(),
        }


@dataclass(frozen=True)
class Diff:
    older: str
    newer: str
    changes: list[Change]


def import_snapshot(settings: Settings, folder: Path) -> Saved:
    """Saved AWS CLI output (<dir>/<account>/<region>/<service>-<op>.json) as a snapshot."""

    return keep(settings, import_dir(folder))


def collect(
    regions: list[str] | None,
    profiles: list[str] | None,
    endpoint_url: str | None,
    *,
    progress: Callable[[str], None] | None = None,
    role: str | None = None,
    accounts: list[str] | None = None,
    workers: int = 8,
) -> Snapshot:
    """The configuration read through boto3 (standard credential chain) as a snapshot."""

    return collect_snapshot(regions, profiles, endpoint_url, progress, role, accounts, workers)


def keep(settings: Settings, snap: Snapshot) -> Saved:
    """Save the snapshot, audit it into the findings hub and put what changed on the event bus,
    as Security Hub does ("Security Hub Findings - Imported", with `Compliance.Status`)."""

    path = snaps.save(settings, snap)
    return Saved(snap, path, audit_and_record(settings, snap))


def audit_and_record(settings: Settings, snap: Snapshot) -> dict[str, Any]:
    """Audit a snapshot (already saved) into the findings hub, and emit what changed."""

    problems: list[str] = []
    units = _checks(settings, problems)
    changed: list[str] = []
    counts: dict[str, Any] = record_results(
        settings, units, audit(snap, units), snap.taken_at, changed
    )
    if problems:
        counts["problems"] = problems
    with FindingStore(settings.state_db) as store:
        findings = [store.get(fid) for fid in changed]
    counts["events"] = emit_findings(settings, findings)
    return counts


def report(settings: Settings, snapshot: str | None = None) -> dict[str, Any]:
    """Scores per standard and NIST CSF function; checks, failed first, with remediation; the
    CIS controls proven by the lake's events."""
    snap = snaps.find(settings, snapshot)
    problems: list[str] = []
    units = _checks(settings, problems)
    results = audit(snap, units)
    return {
        "snapshot": snap.taken_at,
        "source": snap.source,
        "scores": scored(units, results),
        "checks": report_rows(units, results),
        "proven": _proven(settings, snap),
        "problems": problems,  # the user's checks that did not load, with file and line
    }


def _checks(settings: Settings, problems: list[str] | None = None) -> list[CheckUnit]:
    """The built-in checks and the user's own (<home>/content/checks/<id>/); one that does not
    load is added to `problems`, with its file, and the others run."""

    failed: list[ContentError] = []
    units = load_checks(user_dir=settings.content_dir, problems=failed)
    if problems is not None:
        problems += [str(e) for e in failed]
    return units


def scores(settings: Settings, snapshot: str | None = None) -> dict[str, Any]:
    """The scores per standard and function alone (the overview's card): the snapshot's
    checks, without replaying the lake's CloudTrail events for the proven controls."""

    snap = snaps.find(settings, snapshot)
    units = _checks(settings)
    return scored(units, audit(snap, units))


def report_html(doc: dict[str, Any]) -> str:
    return to_html(doc)


def _proven(settings: Settings, snap: Snapshot) -> list[dict[str, Any]]:
    try:
        return as_rows(replay(settings, snap))
    except QueryError:  # no cloudtrail table yet
        return []


def prove(settings: Settings, own: bool = False) -> list[dict[str, Any]]:
    """Replay the lake's CloudTrail events through each CIS control's configured metric filter
    (or, with `own`, through Vigil's own pack)."""

    return as_rows(replay(settings, None if own else snaps.latest(settings), own))


def estimate_flow_volume(settings: Settings) -> list[dict[str, Any]]:
    return estimate(settings)


def history(settings: Settings) -> list[dict[str, Any]]:
    """The kept snapshots, oldest first, with how many resources fail, warn and pass in each."""

    units = _checks(settings)
    rows = []
    for path in snaps.history(settings):
        snap = snaps.load(path)
        rows.append({"taken_at": snap.taken_at, "source": snap.source,
                     "accounts": len(snap.accounts), **counts(audit(snap, units))})  # fmt: skip
    return rows


def diff(settings: Settings, older: str = "previous", newer: str = "latest") -> Diff:
    units = _checks(settings)
    before, after = snaps.find(settings, older), snaps.find(settings, newer)
    return Diff(before.taken_at, after.taken_at, compare(audit(before, units), audit(after, units)))
