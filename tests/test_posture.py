"""Posture checks: every unit's cases, NOT_AVAILABLE instead of crashes, scores and report."""

from __future__ import annotations

from collections import Counter

import pytest

from vigil.posture.audit import audit, load_checks, report_rows, scores
from vigil.posture.snapshot import Snapshot

UNITS = load_checks()
CASES = [(u, c) for u in UNITS for c in u.cases]


def test_every_check_has_metadata_and_cases() -> None:
    ids = {u.id for u in UNITS}
    assert {f"cloudtrail-{i}" for i in range(1, 8)} <= ids
    assert {f"cloudwatch-{i}" for i in range(1, 15)} <= ids and "ec2-6" in ids
    for unit in UNITS:
        assert unit.cases and unit.remediation["console"] and unit.remediation["cli"], unit.id
        assert unit.severity in ("LOW", "MEDIUM", "HIGH", "CRITICAL") and unit.nist_csf, unit.id


@pytest.mark.parametrize(("unit", "case"), CASES, ids=[f"{u.id}: {c['name']}" for u, c in CASES])
def test_case(unit, case) -> None:  # type: ignore[no-untyped-def]
    snap = Snapshot("2026-11-26T12:30:00Z", "test", case["snapshot"])
    results = audit(snap, [unit])
    assert Counter(r.status for r in results) == Counter(case["expect"]), [
        r.reason for r in results
    ]


def test_an_empty_snapshot_is_not_available_everywhere() -> None:
    results = audit(Snapshot("2026-11-26T12:30:00Z", "test", {"111122223333": {"us-east-1": {}}}))
    assert results and {r.status for r in results} <= {"NOT_AVAILABLE", "FAILED"}
    assert all("snapshot has no" in r.reason for r in results if r.status == "NOT_AVAILABLE")


def test_scores_and_failed_first() -> None:
    unit = next(u for u in UNITS if u.id == "flowlog-coverage")
    case = unit.cases[0]
    results = audit(Snapshot("2026-11-26T12:30:00Z", "t", case["snapshot"]), [unit])
    rows = report_rows([unit], results)
    assert rows[0]["status"] == "FAILED" and "A2" in rows[0]["resources"][1]["reason"]
    board = scores([unit], results)
    assert board["NIST CSF 2.0 Detect"] == {"passed": 0, "total": 1, "score": 0}
