"""Findings: what a detector reports, in GuardDuty's terms (type, severity, count, first and
last seen) and Security Hub's (workflow status, record state)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from vigil.model.severity import severity_label as severity_label


class Workflow(StrEnum):
    NEW = "NEW"
    NOTIFIED = "NOTIFIED"
    SUPPRESSED = "SUPPRESSED"
    RESOLVED = "RESOLVED"


class RecordState(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class FindingKind(StrEnum):
    """Security Hub's two sorts: a threat (a detection's, or an imported one) and a control
    (a posture check's result on a resource)."""

    THREAT = "threat"
    CONTROL = "control"


# The unit of a control finding: `posture/<check id>` (findings.compliance makes them). A
# finding's kind follows from it, here and nowhere else.
CONTROL_UNIT_PREFIX: Final = "posture/"
PRODUCTS: Final = ("vigil", "guardduty", "securityhub")  # `findings list --product`


def finding_id(unit: str, finding_type: str, account: str, key: dict[str, Any]) -> str:
    """Stable 32-hex id: the same type and grouping key always update the same finding."""
    text = json.dumps([unit, finding_type, account, key], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Hit:
    """One detector result for one window: the unit of idempotent merging."""

    finding_id: str
    window_start: str  # ISO 8601; with the finding id, the hit's identity
    first_seen: str
    last_seen: str
    count: int
    actor: str | None = None
    summary: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass
class Finding:
    id: str
    unit: str
    type: str
    title: str
    description: str
    severity: float
    account: str
    region: str
    resource_type: str
    resource_id: str
    key: dict[str, Any]
    first_seen: str
    last_seen: str
    count: int
    actor: str | None
    summary: str | None
    evidence_query: str
    sample_evidence: list[str]
    workflow: Workflow = Workflow.NEW
    record_state: RecordState = RecordState.ACTIVE
    note: str | None = None
    created_at: str = ""
    updated_at: str = ""
    mitre: list[str] = field(default_factory=list)
    nist_csf: list[str] = field(default_factory=list)
    assignee: str | None = None  # the user triaging it
    tactics: list[str] = field(default_factory=list)  # ATT&CK v19 (vigil.model.attack)
    parameters: dict[str, Any] = field(default_factory=dict)  # the unit's, as it ran
    # who reported it: `vigil` (detections, posture), `guardduty`, or `securityhub` (any other
    # ASFF product); the product's name; its own severity as it gave it (GuardDuty's number,
    # ASFF's Severity.Original or Label); the standards a control finding is checked under
    product: str = "vigil"
    product_name: str = "Vigil"
    product_severity: str = ""
    standards: list[str] = field(default_factory=list)  # ASFF StandardsIds

    @property
    def kind(self) -> FindingKind:
        if self.unit.startswith(CONTROL_UNIT_PREFIX):
            return FindingKind.CONTROL
        return FindingKind.THREAT

    @property
    def severity_label(self) -> str:
        return severity_label(self.severity)


@dataclass(frozen=True)
class Related:
    """Another product's finding on the same resource about the same behaviour (findings.links):
    Vigil's detection beside GuardDuty's, a posture check beside Security Hub's control."""

    id: str
    product: str
    type: str
    severity: float
    title: str

    @property
    def severity_label(self) -> str:
        return severity_label(self.severity)
