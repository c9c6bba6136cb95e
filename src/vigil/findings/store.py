"""Findings in SQLite, aggregated as GuardDuty does: hits for the same type and grouping key
update one finding. Hits are kept per (finding, window), so re-running or backfilling a
window replaces its hit instead of counting it twice."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil import clock
from vigil.errors import VigilError
from vigil.findings import links
from vigil.findings.rows import AGGREGATE, insert
from vigil.findings.rows import finding as read_row
from vigil.findings.suppression import matches, sql_glob
from vigil.model.finding import Finding, Hit, RecordState, Workflow
from vigil.state import StateDB


def now() -> str:
    return clock.iso(clock.utc_now(), "milliseconds")


@dataclass(frozen=True)
class Filter:
    severity: float | None = None  # at least
    type: str | None = None  # a glob (`Recon:*`, `*/Portscan`), or a prefix ("Recon:")
    workflow: str | None = None
    record_state: str | None = "ACTIVE"
    since: str | None = None  # last seen at or after
    product: str | None = None  # vigil, guardduty or securityhub


class FindingStore(StateDB):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.db.row_factory = sqlite3.Row

    def record(self, meta: Finding, hits: Iterable[Hit]) -> bool:
        """Create or update a finding with these hits; True when anything new was seen."""
        stamp = now()
        changed = False
        with self.transaction() as db:
            row = db.execute(
                "SELECT workflow, record_state FROM findings WHERE id = ?", (meta.id,)
            ).fetchone()
            if row is None:
                insert(db, meta, stamp)
                changed = True
            for hit in hits:
                old = db.execute(
                    "SELECT count, last_seen FROM finding_hits "
                    "WHERE finding_id = ? AND window_start = ?",
                    (hit.finding_id, hit.window_start),
                ).fetchone()
                if old is not None and (old["count"], old["last_seen"]) == (
                    hit.count,
                    hit.last_seen,
                ):
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO finding_hits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        hit.finding_id, hit.window_start, hit.first_seen, hit.last_seen,
                        hit.count, hit.actor, hit.summary, json.dumps(hit.evidence),
                    ),
                )  # fmt: skip
                changed = True
            if changed and row is not None:
                # New activity re-opens a resolved finding (Security Hub's reset); suppressed and
                # archived findings stay as the user left them, but still count the activity.
                reopen = row["workflow"] == Workflow.RESOLVED.value
                db.execute(
                    "UPDATE findings SET updated_at = ?, severity = ?, title = ?, "
                    "workflow = CASE WHEN ? THEN 'NEW' ELSE workflow END, tactics = ?, "
                    "parameters = ?, standards = ? WHERE id = ?",
                    (stamp, meta.severity, meta.title, reopen, json.dumps(meta.tactics),
                     json.dumps(meta.parameters, default=str, sort_keys=True),
                     json.dumps(meta.standards), meta.id),
                )  # fmt: skip
            if changed:
                links.write(db, meta)
        self.apply_suppressions(meta.id, created=row is None)
        return changed

    def suppress(self, name: str, criteria: dict[str, str]) -> int:
        """Add (or replace) a suppression rule and archive the findings it already matches."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO suppressions VALUES (?, ?, ?)",
                (name, json.dumps(criteria), now()),
            )
        archived = 0
        for finding in self.find(Filter(record_state=None)):
            if finding.record_state is RecordState.ACTIVE and matches(criteria, finding):
                self._archive(finding.id)
                archived += 1
        return archived

    def unsuppress(self, name: str) -> dict[str, str]:
        rules = self.suppressions()
        if name not in rules:
            known = ", ".join(rules) or "none"
            raise VigilError(f"no suppression rule {name!r}", hint=f"the rules: {known}")
        with self.transaction() as db:
            db.execute("DELETE FROM suppressions WHERE name = ?", (name,))
        return rules[name]

    def suppressions(self) -> dict[str, dict[str, str]]:
        rows = self.db.execute("SELECT name, criteria FROM suppressions ORDER BY name").fetchall()
        return {str(r["name"]): json.loads(r["criteria"]) for r in rows}

    def _archive(self, fid: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE findings SET record_state = 'ARCHIVED', workflow = 'SUPPRESSED' "
                "WHERE id = ?",
                (fid,),
            )

    def apply_suppressions(self, fid: str, created: bool) -> None:
        """New findings that a rule matches are archived at once, as GuardDuty does."""
        if not created:
            return
        rules = self.suppressions()
        if rules:
            finding = self.get(fid)
            if any(matches(c, finding) for c in rules.values()):
                self._archive(fid)

    def hits(self, fid: str) -> list[Hit]:
        """A finding's hits, oldest first: each window's records, by event id."""
        rows = self.db.execute(
            "SELECT * FROM finding_hits WHERE finding_id = ? ORDER BY first_seen", (fid,)
        ).fetchall()
        return [Hit(r["finding_id"], r["window_start"], r["first_seen"], r["last_seen"],
                    r["count"], r["actor"], r["summary"], json.loads(r["evidence"] or "[]"))
                for r in rows]  # fmt: skip

    def get(self, fid: str) -> Finding:
        rows = self._query(f"{AGGREGATE} WHERE f.id LIKE ? GROUP BY f.id", (fid + "%",))
        if not rows:
            raise VigilError(f"no finding {fid!r}", hint="see vigil findings list")
        if len(rows) > 1:
            raise VigilError(f"{fid!r} matches {len(rows)} findings", hint="give more of the id")
        return rows[0]

    def find(self, where: Filter = Filter()) -> list[Finding]:
        clauses: list[str] = []
        args: list[Any] = []
        if where.severity is not None:
            clauses.append("f.severity >= ?")
            args.append(where.severity)
        if where.type:
            clauses.append("f.type GLOB ?")
            args.append(sql_glob(where.type, prefix=True))
        if where.workflow:
            clauses.append("f.workflow = ?")
            args.append(where.workflow.upper())
        if where.record_state:
            clauses.append("f.record_state = ?")
            args.append(where.record_state.upper())
        if where.product:
            clauses.append("f.product = ?")
            args.append(where.product.lower())
        sql = AGGREGATE + (" WHERE " + " AND ".join(clauses) if clauses else "") + " GROUP BY f.id"
        if where.since:
            sql += " HAVING max(h.last_seen) >= ?"
            args.append(where.since)
        return self._query(sql + " ORDER BY f.severity DESC, last_seen DESC", tuple(args))

    def update(
        self,
        fid: str,
        workflow: Workflow | None = None,
        record_state: RecordState | None = None,
        note: str | None = None,
    ) -> Finding:
        finding = self.get(fid)
        with self.transaction() as db:
            if workflow is not None:
                db.execute(
                    "UPDATE findings SET workflow = ? WHERE id = ?", (workflow.value, finding.id)
                )
            if record_state is not None:
                reset = (
                    finding.record_state is RecordState.ARCHIVED
                    and record_state is RecordState.ACTIVE
                    and finding.workflow in (Workflow.NOTIFIED, Workflow.RESOLVED)
                )
                db.execute(
                    "UPDATE findings SET record_state = ?, "
                    "workflow = CASE WHEN ? THEN 'NEW' ELSE workflow END WHERE id = ?",
                    (record_state.value, reset, finding.id),
                )
            if note is not None:
                db.execute("UPDATE findings SET note = ? WHERE id = ?", (note, finding.id))
        return self.get(finding.id)

    def update_many(
        self,
        ids: list[str],
        workflow: Workflow | None = None,
        record_state: RecordState | None = None,
        note: str | None = None,
    ) -> list[str]:
        """The same change to many findings (full ids), in one transaction; the ids found.
        An archived finding made active again starts over as NEW, as `update` does."""
        found: list[str] = []
        with self.transaction() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found += [r[0] for r in db.execute(
                    f"SELECT id FROM findings WHERE id IN ({marks})", chunk)]  # fmt: skip
            for start in range(0, len(found), 500):
                chunk = found[start : start + 500]
                marks = ",".join("?" * len(chunk))
                if workflow is not None:
                    db.execute(f"UPDATE findings SET workflow = ? WHERE id IN ({marks})",
                               (workflow.value, *chunk))  # fmt: skip
                if record_state is not None:
                    db.execute(
                        "UPDATE findings SET workflow = CASE WHEN record_state = 'ARCHIVED' AND "
                        "? = 'ACTIVE' AND workflow IN ('NOTIFIED', 'RESOLVED') THEN 'NEW' ELSE "
                        f"workflow END, record_state = ? WHERE id IN ({marks})",
                        (record_state.value, record_state.value, *chunk),
                    )
                if note is not None:
                    db.execute(f"UPDATE findings SET note = ? WHERE id IN ({marks})",
                               (note, *chunk))  # fmt: skip
        return found

    def pulse(self) -> tuple[int, str]:
        """How many findings there are and when one last changed: a cheap "anything new?"."""
        row = self.db.execute("SELECT count(*), coalesce(max(updated_at), '') FROM findings"
                              ).fetchone()  # fmt: skip
        return int(row[0]), str(row[1])

    def active_severities(self) -> list[float]:
        """The severity of every active finding (the findings gauge), without reading them."""
        rows = self.db.execute("SELECT severity FROM findings WHERE record_state = 'ACTIVE'")
        return [float(r[0]) for r in rows]

    def assign(self, ids: list[str], user: str | None) -> int:
        """Give findings (full ids) to a user, or to nobody; how many there were."""
        with self.transaction() as db:
            changed = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                changed += db.execute(f"UPDATE findings SET assignee = ? WHERE id IN ({marks})",
                                      (user, *chunk)).rowcount  # fmt: skip
        return changed

    def watermark(self, unit: str) -> str | None:
        row = self.db.execute("SELECT until FROM watermarks WHERE unit = ?", (unit,)).fetchone()
        return None if row is None else str(row["until"])

    def set_watermark(self, unit: str, until: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO watermarks VALUES (?, ?, ?) ON CONFLICT (unit) DO UPDATE "
                "SET until = max(until, excluded.until), updated_at = excluded.updated_at",
                (unit, until, now()),
            )

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[Finding]:
        return [read_row(row) for row in self.db.execute(sql, args).fetchall()]
