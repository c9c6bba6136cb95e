"""Running the checks: units (content/checks/<id>/, check.yaml and check.py) over a snapshot;
scores per standard and per NIST CSF 2.0 function; the report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any, Final

from vigil.content.kit import CaseResult
from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result
from vigil.posture.registry import CheckMeta, CheckUnit, Remediation, load_checks
from vigil.posture.snapshot import Snapshot

__all__ = ["CheckMeta", "CheckReport", "CheckUnit", "Remediation", "Score", "audit",
           "check_reports", "load_checks", "run_cases", "scores"]  # fmt: skip

FUNCTIONS: Final = {
    "GV": "Govern",
    "ID": "Identify",
    "PR": "Protect",
    "DE": "Detect",
    "RS": "Respond",
    "RC": "Recover",
}
ORDER: Final = {"FAILED": 0, "WARNING": 1, "NOT_AVAILABLE": 2, "PASSED": 3}
SEVERITY: Final = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}


@dataclass(frozen=True)
class Score:
    """One standard's or NIST CSF function's score: passed / total controls, in percent."""

    passed: int
    total: int
    score: int


@dataclass(frozen=True)
class CheckReport:
    """One check in the report: its worst status, the controls it maps to, each resource's
    result and the remediation."""

    check: str
    status: CheckStatus
    severity: str
    title: str
    controls: dict[str, Any]  # only the standards the check is in
    resources: list[Result]
    remediation: dict[str, str]


def run_cases(unit: CheckUnit) -> list[CaseResult]:
    """Each case's snapshot audited by the check: the statuses it gives, against `expect`."""
    out = []
    for case in unit.cases:
        snap = Snapshot("2026-11-26T12:30:00Z", "case", case["input"])
        found = sorted(str(r.status) for r in audit(snap, [unit]))
        expected = sorted(str(s) for s in case["expect"])
        out.append(CaseResult(unit.id, case["name"], found == expected, expected, found,
                              kind="check"))  # fmt: skip
    return out


def audit(snap: Snapshot, units: list[CheckUnit] | None = None) -> list[Result]:
    units = units or load_checks()
    results = []
    for unit in units:
        for account in sorted(snap.accounts):
            try:
                results += [replace(r, check=unit.id) for r in unit.run(snap, account)]
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # an answer of an unexpected shape (hand-edited, another CLI version): say so
                why = (
                    f"the snapshot's answers have an unexpected shape ({type(exc).__name__}: {exc})"
                )
                results.append(
                    Result(account, "-", account, CheckStatus.NOT_AVAILABLE, why, unit.id)
                )
    return results


def scores(units: list[CheckUnit], results: list[Result]) -> dict[str, Score]:
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
        name: Score(sum(v), len(v), round(100 * sum(v) / len(v)))
        for name, v in sorted(buckets.items())
    }


def check_reports(units: list[CheckUnit], results: list[Result]) -> list[CheckReport]:
    """One per check, failed first, with the resources and the remediation."""
    meta = {u.id: u for u in units}
    grouped: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        grouped[r.check].append(r)
    reports = []
    for check, rs in grouped.items():
        unit = meta[check]
        status = min((r.status for r in rs), key=lambda s: ORDER[s])
        controls = {k: v for k, v in unit.controls.items() if v}
        reports.append(
            CheckReport(check, status, unit.severity, unit.title, controls, rs, unit.remediation)
        )
    return sorted(reports, key=lambda r: (ORDER[r.status], SEVERITY.get(r.severity, 5), r.check))
