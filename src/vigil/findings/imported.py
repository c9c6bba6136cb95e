"""Recording a finding another product sent (ASFF, GuardDuty) as Security Hub and GuardDuty
define updates: each document stream (its ProductArn and Id) keeps the product's own version
(`UpdatedAt`, GuardDuty's `updatedAt`); a strictly later one replaces the finding's title,
severity, description, resource, count, last seen and the kept document; an equal or older
one changes nothing. GuardDuty's `service.count` is a running total, so the latest version's
count is the finding's (never a sum); first seen stays the first sighting's.

The provider never overwrites the user's triage (§6.4): workflow and note stay the hub's,
and the kept document keeps the VerificationState and UserDefinedFields it had. The workflow
goes back to NEW from NOTIFIED or RESOLVED only as Security Hub resets it (§6.3): the
provider's record state going ARCHIVED → ACTIVE, or its compliance going PASSED → failing.
The provider's record state applies when the provider changes it; else the hub's stays (a
user's archive holds while the product keeps reporting ACTIVE).

Several streams can feed one finding: a control reported once per standard is one hub finding
(findings.standards); each stream's standard is added to the finding's list, and only the
newest version of any of them sets the finding's fields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

from vigil.findings import links
from vigil.findings.rows import insert
from vigil.findings.store import FindingStore, now
from vigil.model.finding import Finding, Hit, RecordState, Workflow

CUSTOMER_FIELDS: Final = ("VerificationState", "UserDefinedFields")
FAILING: Final = ("FAILED", "WARNING", "NOT_AVAILABLE")


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # an equal or older version: ignored, as Security Hub does


@dataclass(frozen=True)
class Imported:
    """One document read: the hub finding and hit it makes, the stream it belongs to and the
    product's own version of it, the standard it came under (per-standard control findings),
    the document as sent, and more names of its resource (for links)."""

    finding: Finding
    hit: Hit
    source: str
    version: str
    document: dict[str, Any]
    standard: str = ""
    names: tuple[str, ...] = field(default_factory=tuple)


def source_finding(store: FindingStore, source: str) -> str | None:
    """The hub finding an imported stream is read into, or None when it was never imported."""
    row = store.db.execute(
        "SELECT finding_id FROM finding_sources WHERE source_id = ?", (source,)
    ).fetchone()
    return None if row is None else str(row[0])


def upsert(store: FindingStore, imp: Imported) -> Outcome:
    """Create the finding, take a later version of it, or ignore an equal or older one."""
    fid, stamp = imp.finding.id, now()
    with store.transaction() as db:
        seen = db.execute(
            "SELECT updated_at FROM finding_sources WHERE source_id = ?", (imp.source,)
        ).fetchone()
        if seen is not None and imp.version <= str(seen[0]):
            return Outcome.UNCHANGED
        newest = db.execute(
            "SELECT max(updated_at) FROM finding_sources WHERE finding_id = ?", (fid,)
        ).fetchone()[0]
        db.execute(
            "INSERT OR REPLACE INTO finding_sources VALUES (?, ?, ?, ?)",
            (imp.source, fid, imp.version, imp.standard),
        )
        row = db.execute(
            "SELECT workflow, record_state, standards FROM findings WHERE id = ?", (fid,)
        ).fetchone()
        standards = _standards(imp, json.loads(row["standards"]) if row else [])
        meta = replace(imp.finding, standards=standards)
        if row is None:
            insert(db, meta, stamp, _initial_workflow(imp.document))
            _write_hit(db, imp.hit, imp.document)
            links.write(db, meta, imp.names)
            outcome = Outcome.CREATED
        elif newest is not None and imp.version < str(newest):
            # another stream of this finding is newer: this one only adds its standard
            if standards == json.loads(row["standards"]):
                return Outcome.UNCHANGED
            db.execute("UPDATE findings SET standards = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(standards), stamp, fid))  # fmt: skip
            outcome = Outcome.UPDATED
        else:
            _replace(db, meta, imp, row, stamp)
            outcome = Outcome.UPDATED
    if outcome is Outcome.CREATED:
        store.apply_suppressions(fid, created=True)
    return outcome


def _replace(db: Any, meta: Finding, imp: Imported, row: Any, stamp: str) -> None:
    """A later version: the finding's fields, its one hit and the kept document replaced."""
    old = db.execute(
        "SELECT window_start, first_seen, evidence FROM finding_hits WHERE finding_id = ? "
        "ORDER BY window_start LIMIT 1",
        (meta.id,),
    ).fetchone()
    before = _document(old["evidence"]) if old is not None else {}
    doc = {k: v for k, v in imp.document.items() if k not in CUSTOMER_FIELDS}
    doc.update({k: before[k] for k in CUSTOMER_FIELDS if k in before})
    hit = imp.hit
    if old is not None:
        hit = replace(hit, window_start=old["window_start"],
                      first_seen=min(old["first_seen"], hit.first_seen))  # fmt: skip
    db.execute("DELETE FROM finding_hits WHERE finding_id = ?", (meta.id,))
    _write_hit(db, hit, doc)
    state = row["record_state"]
    was, now_state = _provider_state(before), _provider_state(doc)
    if before and was != now_state:
        state = now_state
    reset = (was == "ARCHIVED" and now_state == "ACTIVE") or (
        _compliance(before) == "PASSED" and _compliance(doc) in FAILING
    )
    db.execute(
        "UPDATE findings SET title = ?, description = ?, severity = ?, type = ?, "
        "resource_type = ?, resource_id = ?, product_severity = ?, standards = ?, "
        "record_state = ?, updated_at = ?, workflow = CASE WHEN ? AND workflow IN "
        "('NOTIFIED', 'RESOLVED') THEN 'NEW' ELSE workflow END WHERE id = ?",
        (meta.title, meta.description, meta.severity, meta.type, meta.resource_type,
         meta.resource_id, meta.product_severity, json.dumps(meta.standards), state, stamp,
         reset, meta.id),
    )  # fmt: skip
    links.write(db, meta, imp.names)


def _write_hit(db: Any, hit: Hit, doc: dict[str, Any]) -> None:
    evidence = [json.dumps(doc, sort_keys=True, default=str)]
    db.execute(
        "INSERT OR REPLACE INTO finding_hits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (hit.finding_id, hit.window_start, hit.first_seen, hit.last_seen, hit.count, hit.actor,
         hit.summary, json.dumps(evidence)),
    )  # fmt: skip


def _document(evidence: str | None) -> dict[str, Any]:
    try:
        kept = json.loads(json.loads(evidence or "[]")[-1])
    except (ValueError, IndexError, TypeError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _standards(imp: Imported, before: list[str]) -> list[str]:
    every = [*before, *imp.finding.standards, imp.standard]
    return sorted({s for s in every if s})


def _provider_state(doc: dict[str, Any]) -> str:
    """The record state the product gives: ASFF's RecordState, GuardDuty's service.archived."""
    if "SchemaVersion" in doc:
        return "ARCHIVED" if doc.get("RecordState") == "ARCHIVED" else "ACTIVE"
    service = doc.get("service") if isinstance(doc.get("service"), dict) else {}
    return "ARCHIVED" if isinstance(service, dict) and service.get("archived") else "ACTIVE"


def _compliance(doc: dict[str, Any]) -> str:
    compliance = doc.get("Compliance")
    return str(compliance.get("Status") or "") if isinstance(compliance, dict) else ""


def _initial_workflow(doc: dict[str, Any]) -> str:
    """A new finding's workflow: the one the provider sends with it, else NEW."""
    workflow = doc.get("Workflow")
    status = workflow.get("Status") if isinstance(workflow, dict) else None
    return str(status) if status in {w.value for w in Workflow} else Workflow.NEW.value


def initial_state(doc: dict[str, Any]) -> RecordState:
    """A new finding's record state, as the provider gives it."""
    return RecordState(_provider_state(doc))
