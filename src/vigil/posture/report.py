"""The posture report of one snapshot: scores per standard and NIST CSF function, each check's
results (failed first) with the remediation, the CIS controls proven by the lake's events, and
the user's checks that did not load."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.posture.audit import CheckReport, Score
from vigil.posture.proven import Proof


@dataclass(frozen=True)
class PostureReport:
    snapshot: str  # when the snapshot was taken
    source: str
    scores: dict[str, Score]
    checks: list[CheckReport]
    proven: list[Proof] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # with file and line
