"""A finding's row in the state store: the query that reads findings with their hits
aggregated (first and last seen, count, the latest actor, summary and evidence), and writing
a new one."""

from __future__ import annotations

import json
import sqlite3
from typing import Final

from vigil.model.finding import Finding, RecordState, Workflow

AGGREGATE: Final = """
SELECT f.*, min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen,
       sum(h.count) AS count,
       (SELECT actor FROM finding_hits WHERE finding_id = f.id ORDER BY last_seen DESC LIMIT 1)
         AS actor,
       (SELECT summary FROM finding_hits WHERE finding_id = f.id ORDER BY last_seen DESC LIMIT 1)
         AS summary,
       (SELECT json_group_array(evidence) FROM (SELECT evidence FROM finding_hits
          WHERE finding_id = f.id ORDER BY last_seen DESC LIMIT 5)) AS evidence
FROM findings f JOIN finding_hits h ON h.finding_id = f.id
"""


def finding(row: sqlite3.Row) -> Finding:
    evidence: list[str] = []
    for chunk in json.loads(row["evidence"] or "[]"):
        evidence += [e for e in json.loads(chunk) if e not in evidence]
    return Finding(
        id=row["id"], unit=row["unit"], type=row["type"], title=row["title"],
        description=row["description"], severity=row["severity"], account=row["account"],
        region=row["region"], resource_type=row["resource_type"], resource_id=row["resource_id"],
        key=json.loads(row["key"]), first_seen=row["first_seen"], last_seen=row["last_seen"],
        count=row["count"], actor=row["actor"], summary=row["summary"],
        evidence_query=row["evidence_query"], sample_evidence=evidence[:10],
        workflow=Workflow(row["workflow"]), record_state=RecordState(row["record_state"]),
        note=row["note"], created_at=row["created_at"], updated_at=row["updated_at"],
        mitre=json.loads(row["mitre"]), nist_csf=json.loads(row["nist_csf"]),
        assignee=row["assignee"], tactics=json.loads(row["tactics"]),
        parameters=json.loads(row["parameters"]), product=row["product"],
        product_name=row["product_name"], product_severity=row["product_severity"],
        standards=json.loads(row["standards"]),
    )  # fmt: skip


def insert(db: sqlite3.Connection, meta: Finding, stamp: str, workflow: str = "NEW") -> None:
    """A new finding's row (its hits are written apart)."""
    db.execute(
        "INSERT INTO findings (id, unit, type, title, description, severity, account, region, "
        "resource_type, resource_id, key, evidence_query, mitre, nist_csf, workflow, "
        "record_state, created_at, updated_at, tactics, parameters, product, product_name, "
        "product_severity, standards) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            meta.id, meta.unit, meta.type, meta.title, meta.description, meta.severity,
            meta.account, meta.region, meta.resource_type, meta.resource_id,
            json.dumps(meta.key, default=str), meta.evidence_query, json.dumps(meta.mitre),
            json.dumps(meta.nist_csf), workflow, meta.record_state.value, stamp, stamp,
            json.dumps(meta.tactics), json.dumps(meta.parameters, default=str, sort_keys=True),
            meta.product, meta.product_name, meta.product_severity, json.dumps(meta.standards),
        ),
    )  # fmt: skip
