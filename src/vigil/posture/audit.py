"""Running the checks: units (content/checks/<id>/, check.yaml and check.py) over a snapshot;
scores per standard and per NIST CSF 2.0 function; the report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, Final

from vigil.content.kit import CaseResult
from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result
from vigil.posture.registry import CheckMeta, CheckUnit, Remediation, load_checks
from vigil.posture.snapshot import Snapshot

__all__ = ["CheckMeta", "CheckUnit", "Remediation", "audit", "load_checks", "report_rows",
           "run_cases", "scores"]  # fmt: skip

FUNCTIONS: Final = {
    "GV": "Govern",
    "ID": "Identify",
    "PR": "Protect",
    "DE": "Detect",
    "RS": "Respond",
    "RC": "Recover",
}
ORDER: Final = {"FAILED": 0, "WARNING": 1, "NOT_AVAILABLE": 2, "PASSED": 3}


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
