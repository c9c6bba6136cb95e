"""Content: every unit Vigil runs — detections, posture checks, metric-filter packs and
playbooks — with its kind and origin, and their test cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from vigil.api.detect import sigma_rules
from vigil.config import Settings
from vigil.content.kit import KINDS as KINDS
from vigil.content.kit import CaseResult as CaseResult
from vigil.content.kit import ContentError
from vigil.content.kit import Kind as Kind
from vigil.detect import harness
from vigil.detect.units import load_units
from vigil.metrics import packs
from vigil.metrics.packs import load_pack, pack_names, pack_root
from vigil.model.severity import severity_label, severity_score
from vigil.playbooks import units as playbooks
from vigil.playbooks.units import playbook_units
from vigil.posture import audit
from vigil.posture.audit import load_checks
from vigil.query.engine import engine_kept


@dataclass(frozen=True)
class UnitInfo:
    id: str
    kind: Kind
    origin: str  # built-in, user, imported Sigma
    title: str
    severity: float | None  # GuardDuty's scale (1-10); None where a unit has none
    severity_label: str | None
    cases: int
    enabled: bool = True
    type: str | None = None  # a detection's finding type
    source: str | None = None  # a detection's lake table
    logic: str | None = None  # sql, sigma
    tactics: list[str] = field(default_factory=list)  # a detection's ATT&CK v19 tactics
    mitre: list[str] = field(default_factory=list)  # its ATT&CK techniques
    aliases: list[str] = field(default_factory=list)  # its earlier finding types

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scored(severity: float | None) -> tuple[float | None, str | None]:
    return severity, severity_label(severity) if severity is not None else None


def units(settings: Settings | None = None) -> tuple[list[UnitInfo], list[str]]:
    """Every unit of every kind, and the problems of those that did not load."""

    user = _user_dir(settings)
    detections, errors = load_units(None, None, user)
    out = [
        UnitInfo(u.id, "detection", _origin(u.path, user), u.title, *_scored(u.severity),
                 len(u.cases), u.enabled, u.type, u.source, u.logic, list(u.tactics),
                 list(u.mitre), list(u.aliases))
        for u in detections
    ]  # fmt: skip
    if settings is not None:
        for rule in sigma_rules(settings):
            sev = rule.severity
            out.append(UnitInfo(rule.id, "detection", "imported Sigma", rule.title or "",
                                *_scored(float(sev) if sev is not None else None), 0,
                                rule.enabled, rule.type, "cloudtrail", "sigma"))  # fmt: skip
    failed: list[ContentError] = []  # checks that did not load (a user's broken check.py)
    for check in load_checks(user_dir=user, problems=failed):
        score = severity_score(check.severity)
        out.append(UnitInfo(check.id, "check", check.origin, check.title, *_scored(score),
                            len(check.cases)))  # fmt: skip
    for pack, root in _packs(user):
        for unit in load_pack(pack, root):
            out.append(UnitInfo(f"{pack}/{unit.id}", "metric_filter", _origin(unit.path, user),
                                unit.title, None, None, len(unit.cases)))  # fmt: skip
    for play in playbook_units():
        out.append(UnitInfo(play.id, "playbook", "built-in", play.title, None, None,
                            len(play.cases)))  # fmt: skip
    return out, [str(e) for e in [*errors, *failed]]


def test(
    settings: Settings | None = None,
    ids: list[str] | None = None,
    kind: Kind | None = None,
) -> tuple[list[CaseResult], list[str]]:
    """Run the cases of every unit (of one kind, or those named): detections through the real
    ingest into a scratch lake, checks over their snapshots, metric filters in both matchers,
    playbooks' plans against their permissions. Also the problems: units that did not load,
    and names that are no unit."""

    wanted = set(ids or [])
    chosen = (kind,) if kind else KINDS
    runs: list[tuple[str, Callable[[], list[CaseResult]]]] = []
    errors: list[str] = []
    if "detection" in chosen:
        found, problems = load_units(None, None, _user_dir(settings))
        errors += [str(e) for e in problems]
        runs += [(u.id, partial(harness.run_cases, u, settings)) for u in found]
    if "check" in chosen:
        failed: list[ContentError] = []
        checks = audit.load_checks(user_dir=_user_dir(settings), problems=failed)
        errors += [str(e) for e in failed]
        runs += [(u.id, partial(audit.run_cases, u)) for u in checks]
    if "metric_filter" in chosen:
        for pack, root in _packs(_user_dir(settings)):
            runs += [(f"{pack}/{u.id}", partial(packs.run_cases, u))
                     for u in packs.load_pack(pack, root)]  # fmt: skip
    if "playbook" in chosen:
        runs += [(u.id, partial(playbooks.run_cases, u)) for u in playbooks.playbook_units()]
    picked = [(uid, run) for uid, run in runs if _chosen(uid, wanted)]
    known = {uid for uid, _ in runs} | {uid.split("/")[-1] for uid, _ in runs}
    errors += [
        f"no content unit {n!r}: no detection unit, check, metric filter or playbook has that id"
        " (see vigil content list)"
        for n in sorted(wanted - known)
    ]
    with engine_kept(settings):  # Spark started once for every unit's cases
        return [r for _, run in picked for r in run()], errors


def _packs(user: Path | None) -> list[tuple[str, Path]]:
    """Each pack once, with the root it is read from (the user's replaces a built-in one)."""

    names = set(pack_names()) | set(pack_names(user) if user is not None else [])
    return [(name, pack_root(name, user)) for name in sorted(names)]


def _chosen(unit_id: str, wanted: set[str]) -> bool:
    return not wanted or unit_id in wanted or unit_id.split("/")[-1] in wanted


def _origin(path: Path, user: Path | None) -> str:
    return "user" if user is not None and path.is_relative_to(user) else "built-in"


def _user_dir(settings: Settings | None) -> Path | None:
    return settings.content_dir if settings is not None else None
