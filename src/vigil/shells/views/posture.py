"""The posture report, its scores, checks and proven controls, and the snapshots' history, as
the CLI's `--json`, the native API, the console and the demo show them."""

from __future__ import annotations

from typing import Any

from vigil.api.posture import CheckReport, History, PostureReport, Proof, Score


def score_docs(scores: dict[str, Score]) -> dict[str, dict[str, int]]:
    return {name: {"passed": s.passed, "total": s.total, "score": s.score}
            for name, s in scores.items()}  # fmt: skip


def check_doc(c: CheckReport) -> dict[str, Any]:
    resources = [{"account": r.account, "region": r.region, "resource": r.resource,
                  "status": r.status, "reason": r.reason} for r in c.resources]  # fmt: skip
    return {"check": c.check, "status": c.status, "severity": c.severity, "title": c.title,
            "controls": c.controls, "resources": resources,
            "remediation": c.remediation}  # fmt: skip


def proof_doc(p: Proof) -> dict[str, Any]:
    return {"control": p.control, "verdict": p.verdict, "events": p.should_match,
            "missed": p.missed, "metric": p.metric}  # fmt: skip


def report_doc(report: PostureReport) -> dict[str, Any]:
    return {
        "snapshot": report.snapshot,
        "source": report.source,
        "scores": score_docs(report.scores),
        "checks": [check_doc(c) for c in report.checks],
        "proven": [proof_doc(p) for p in report.proven],
        "problems": report.problems,  # the user's checks that did not load, with file and line
    }


def history_doc(h: History) -> dict[str, Any]:
    return {"taken_at": h.taken_at, "source": h.source, "accounts": h.accounts, **h.counts}
