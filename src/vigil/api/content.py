"""Content: every unit Vigil runs — detections, posture checks, metric-filter packs and
playbooks — with its kind and origin, and their test cases."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from vigil.config import Settings
from vigil.model.finding import severity_label

Kind = Literal["detection", "check", "metric_filter", "playbook"]
KINDS: tuple[Kind, ...] = ("detection", "check", "metric_filter", "playbook")


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scored(severity: float | None) -> tuple[float | None, str | None]:
    return severity, severity_label(severity) if severity is not None else None


def units(settings: Settings | None = None) -> tuple[list[UnitInfo], list[str]]:
    """Every unit of every kind, and the problems of those that did not load."""
    from vigil.detect.units import load_units
    from vigil.findings.compliance import SEVERITY
    from vigil.metrics.packs import load_pack, pack_dir
    from vigil.playbooks.units import playbook_units
    from vigil.posture.audit import load_checks

    detections, errors = load_units()
    out = [
        UnitInfo(u.id, "detection", "built-in", u.title, *_scored(u.severity), len(u.cases),
                 u.enabled, u.type, u.source, u.logic)
        for u in detections
    ]  # fmt: skip
    if settings is not None:
        from vigil.api.detect import sigma_rules

        for rule in sigma_rules(settings):
            sev = rule["severity"]
            out.append(UnitInfo(rule["id"], "detection", "imported Sigma", rule["title"] or "",
                                *_scored(float(sev) if sev is not None else None), 0,
                                rule["enabled"], rule["type"], "cloudtrail", "sigma"))  # fmt: skip
    for check in load_checks():
        sev = SEVERITY.get(check.severity.upper())
        out.append(UnitInfo(check.id, "check", "built-in", check.title, *_scored(sev),
                            len(check.cases)))  # fmt: skip
    packs = pack_dir("cis").parent
    for pack in sorted(p.name for p in packs.iterdir() if p.is_dir()):
        for unit in load_pack(pack):
            out.append(UnitInfo(f"{pack}/{unit.id}", "metric_filter", "built-in", unit.title,
                                None, None, len(unit.matches) + len(unit.misses)))  # fmt: skip
    for play in playbook_units():
        out.append(UnitInfo(play.id, "playbook", "built-in", play.title, None, None, 1))
    return out, [str(e) for e in errors]


def test(ids: list[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Run the detection units' cases (all, or those named)."""
    from vigil.detect.harness import run_cases
    from vigil.detect.units import load_units

    found, errors = load_units(None, ids)
    results = [asdict(r) for u in found for r in run_cases(u)]
    return results, [str(e) for e in errors]
