"""One severity model: GuardDuty's numeric scale (1.0-10.0) with its label, and the check and
compliance statuses Security Hub uses."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class SeverityLabel(StrEnum):
    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


# The score a unit written with a label gets: the middle of the label's band (Security Hub's
# normalized values for its labels, on GuardDuty's 1-10 scale).
SCORE_OF: Final[dict[SeverityLabel, float]] = {
    SeverityLabel.INFORMATIONAL: 0.0,
    SeverityLabel.LOW: 3.0,
    SeverityLabel.MEDIUM: 5.0,
    SeverityLabel.HIGH: 7.0,
    SeverityLabel.CRITICAL: 9.0,
}


def severity_label(severity: float) -> SeverityLabel:
    """GuardDuty's bands: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0."""
    if severity >= 9.0:
        return SeverityLabel.CRITICAL
    if severity >= 7.0:
        return SeverityLabel.HIGH
    if severity >= 4.0:
        return SeverityLabel.MEDIUM
    if severity >= 1.0:
        return SeverityLabel.LOW
    return SeverityLabel.INFORMATIONAL


def severity_score(value: float | str) -> float:
    """A unit's severity, written as a number (0-10) or a label, as a number."""
    if isinstance(value, str) and value.upper() in SeverityLabel.__members__:
        return SCORE_OF[SeverityLabel(value.upper())]
    score = float(value)
    if not 0.0 <= score <= 10.0:
        raise ValueError(f"severity {score} is outside 0-10")
    return score


class CheckStatus(StrEnum):
    """A check's result on one resource (Security Hub's Compliance.Status)."""

    PASSED = "PASSED"
    WARNING = "WARNING"
    FAILED = "FAILED"
    NOT_AVAILABLE = "NOT_AVAILABLE"
