"""Posture: snapshots of the logging set-up (imported or collected), the checks over them as
compliance findings, the report (table, JSON, HTML), controls proven by the lake's events,
flow-log volume estimates, history and the diff between snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.config import Settings
from vigil.content.kit import ContentError
from vigil.errors import QueryError
from vigil.events.emit import emit_findings
from vigil.findings.compliance import record as record_results
from vigil.findings.store import FindingStore
from vigil.posture import snapshot as snaps
from vigil.posture.audit import CheckReport as CheckReport
from vigil.posture.audit import Score as Score
from vigil.posture.audit import audit, check_reports, load_checks
from vigil.posture.audit import scores as scored
from vigil.posture.collect import collect as collect_snapshot
from vigil.posture.compare import compare, counts
from vigil.posture.proven import Proof as Proof
from vigil.posture.proven import prove as replay
from vigil.posture.report import PostureReport as PostureReport
from vigil.posture.report_html import to_html
from vigil.posture.snapshot import Snapshot as Snapshot
from vigil.posture.snapshot import import_dir
from vigil.posture.volume import Estimate as Estimate
from vigil.posture.volume import estimate

if TYPE_CHECKING:
    from vigil.posture.audit import CheckUnit
    from vigil.posture.compare import Change


@dataclass(frozen=True)
class Recorded:
    """What auditing a snapshot into the findings hub did: findings recorded (new, or failing
    again) and resolved, events put on the bus, and the user's checks that did not load."""

    recorded: int = 0
    resolved: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Saved:
    """A snapshot kept in the home, and what recording it did."""

    snapshot: Snapshot
    path: Path
    recorded: Recorded = field(default_factory=Recorded)


@dataclass(frozen=True)
class History:
    """A kept snapshot and how many resources fail, warn and pass in it (by status)."""

    taken_at: str
    source: str
    accounts: int
    counts: dict[str, int]


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


def audit_and_record(settings: Settings, snap: Snapshot) -> Recorded:
    """Audit a snapshot (already saved) into the findings hub, and emit what changed."""

    problems: list[str] = []
    units = _checks(settings, problems)
    changed: list[str] = []
    counts = record_results(settings, units, audit(snap, units), snap.taken_at, changed)
    with FindingStore(settings.state_db) as store:
        findings = [store.get(fid) for fid in changed]
    events = emit_findings(settings, findings)
    return Recorded(counts["recorded"], counts["resolved"], events, problems)


def report(settings: Settings, snapshot: str | None = None) -> PostureReport:
    """Scores per standard and NIST CSF function; checks, failed first, with remediation; the
    CIS controls proven by the lake's events; the user's checks that did not load."""
    snap = snaps.find(settings, snapshot)
    problems: list[str] = []
    units = _checks(settings, problems)
    results = audit(snap, units)
    return PostureReport(snap.taken_at, snap.source, scored(units, results),
                         check_reports(units, results), _proven(settings, snap),
                         problems)  # fmt: skip


def _checks(settings: Settings, problems: list[str] | None = None) -> list[CheckUnit]:
    """The built-in checks and the user's own (<home>/content/checks/<id>/); one that does not
    load is added to `problems`, with its file, and the others run."""

    failed: list[ContentError] = []
    units = load_checks(user_dir=settings.content_dir, problems=failed)
    if problems is not None:
        problems += [str(e) for e in failed]
    return units


def scores(settings: Settings, snapshot: str | None = None) -> dict[str, Score]:
    """The scores per standard and function alone (the overview's card): the snapshot's
    checks, without replaying the lake's CloudTrail events for the proven controls."""

    snap = snaps.find(settings, snapshot)
    units = _checks(settings)
    return scored(units, audit(snap, units))


def report_html(report: PostureReport) -> str:
    return to_html(report)


def _proven(settings: Settings, snap: Snapshot) -> list[Proof]:
    try:
        return replay(settings, snap)
    except QueryError:  # no cloudtrail table yet
        return []


def prove(settings: Settings, own: bool = False) -> list[Proof]:
    """Replay the lake's CloudTrail events through each CIS control's configured metric filter
    (or, with `own`, through Vigil's own pack)."""

    return replay(settings, None if own else snaps.latest(settings), own)


def estimate_flow_volume(settings: Settings) -> list[Estimate]:
    return estimate(settings)


def history(settings: Settings) -> list[History]:
    """The kept snapshots, oldest first, with how many resources fail, warn and pass in each."""

    units = _checks(settings)
    kept = []
    for path in snaps.history(settings):
        snap = snaps.load(path)
        tally = counts(audit(snap, units))
        kept.append(History(snap.taken_at, snap.source, len(snap.accounts), tally))
    return kept


def diff(settings: Settings, older: str = "previous", newer: str = "latest") -> Diff:
    units = _checks(settings)
    before, after = snaps.find(settings, older), snaps.find(settings, newer)
    return Diff(before.taken_at, after.taken_at, compare(audit(before, units), audit(after, units)))
