"""Running the checks: units (content/checks/<id>/check.yaml) with their logic, over a
snapshot; scores per standard and per NIST CSF 2.0 function; the report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from vigil.content import content_root
from vigil.errors import ConfigError
from vigil.inputs import load_yaml
from vigil.posture.checks import Result
from vigil.posture.registry import checks
from vigil.posture.snapshot import Snapshot

FUNCTIONS: Final = {
    "GV": "Govern",
    "ID": "Identify",
    "PR": "Protect",
    "DE": "Detect",
    "RS": "Respond",
    "RC": "Recover",
}
ORDER: Final = {"FAILED": 0, "WARNING": 1, "NOT_AVAILABLE": 2, "PASSED": 3}


@dataclass(frozen=True)
class CheckUnit:
    id: str
    title: str
    severity: str
    controls: dict[str, Any]
    nist_csf: tuple[str, ...]
    remediation: dict[str, str]
    cases: tuple[dict[str, Any], ...]


def load_checks(root: Path | None = None) -> list[CheckUnit]:
    folder = (root or content_root()) / "checks"
    logic = checks()
    units = []
    for path in sorted(p for p in folder.iterdir() if (p / "check.yaml").is_file()):
        doc = load_yaml(path / "check.yaml")
        if path.name not in logic:
            raise ConfigError(f"{path}/check.yaml: no logic for check {path.name!r}")
        units.append(
            CheckUnit(
                path.name,
                str(doc["title"]),
                str(doc["severity"]),
                dict(doc["controls"]),
                tuple(doc.get("nist_csf") or ()),
                dict(doc["remediation"]),
                tuple(doc.get("cases") or ()),
            )
        )
    return units


def audit(snap: Snapshot, units: list[CheckUnit] | None = None) -> list[Result]:
    units = units or load_checks()
    logic = checks()
    results = []
    for unit in units:
        for account in sorted(snap.accounts):
            try:
                results += logic[unit.id](unit.id, snap, account)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # an answer of an unexpected shape (hand-edited, another CLI version): say so
                why = (
                    f"the snapshot's answers have an unexpected shape ({type(exc).__name__}: {exc})"
                )
                results.append(Result(unit.id, account, "-", account, "NOT_AVAILABLE", why))
    return results


def scores(units: list[CheckUnit], results: list[Result]) -> dict[str, dict[str, Any]]:
    """Per standard (Security Hub, CIS) and per NIST CSF function: passed / (passed + failed)."""
    by_check: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_check[r.check].append(r)
    buckets: dict[str, list[bool]] = defaultdict(list)
    for unit in units:
        rs = [r for r in by_check.get(unit.id, []) if r.status in ("PASSED", "FAILED")]
        if not rs:
            continue
        passed = all(r.status == "PASSED" for r in rs)
        if unit.controls.get("securityhub"):
            buckets["AWS Foundational Security Best Practices / Security Hub"].append(passed)
        if unit.controls.get("cis_1_4") or unit.controls.get("cis_3_0"):
            buckets["CIS AWS Foundations Benchmark"].append(passed)
        buckets["Vigil logging posture (all checks)"].append(passed)
        for sub in unit.nist_csf:
            buckets[f"NIST CSF 2.0 {FUNCTIONS.get(sub[:2], sub[:2])}"].append(passed)
    return {
        name: {"passed": sum(v), "total": len(v), "score": round(100 * sum(v) / len(v))}
        for name, v in sorted(buckets.items())
    }


def report_rows(units: list[CheckUnit], results: list[Result]) -> list[dict[str, Any]]:
    """One row per check, failed first, with the resources and the remediation."""
    meta = {u.id: u for u in units}
    grouped: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        grouped[r.check].append(r)
    rows = []
    for check, rs in grouped.items():
        unit = meta[check]
        status = min((r.status for r in rs), key=lambda s: ORDER[s])
        rows.append(
            {
                "check": check,
                "status": status,
                "severity": unit.severity,
                "title": unit.title,
                "controls": {k: v for k, v in unit.controls.items() if v},
                "resources": [
                    {
                        "account": r.account,
                        "region": r.region,
                        "resource": r.resource,
                        "status": r.status,
                        "reason": r.reason,
                    }
                    for r in rs
                ],
                "remediation": unit.remediation,
            }
        )
    severity = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}
    return sorted(
        rows, key=lambda r: (ORDER[r["status"]], severity.get(r["severity"], 5), r["check"])
    )
