"""The manifest of ingested objects and lake write batches, in SQLite (WAL).

An object is identified by URI + size + version (ETag or mtime) and by its content hash, so a
re-run skips what it has seen without reading it, and a copy of an object under another name is
recognised. A batch of lake files is journaled before its files are moved into place and marked
committed in the same transaction that marks its objects done. A batch left `pending` by a crash
is finished before the next write when all its files were placed (the journal holds the objects
it marks), and rolled back (its files deleted) otherwise, so nothing is half-ingested.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from vigil import clock
from vigil.state import StateDB

# Statuses of objects whose rows are in the lake; `failed` objects stay eligible for a retry.
INGESTED_STATUSES: Final = ("done", "partial")


@dataclass(frozen=True)
class ObjectRecord:
    uri: str
    size: int
    version: str
    sha256: str | None
    kind: str | None
    status: str
    records: int = 0
    rejected: int = 0
    error: str | None = None
    batch_id: str | None = None


@dataclass(frozen=True)
class PendingBatch:
    """A batch a crash left journaled but not committed."""

    batch_id: str
    files: list[str]
    removes: list[str]
    objects: list[ObjectRecord] | None  # None: journaled by a release that did not keep them


def now() -> str:
    return clock.utc_now().isoformat(timespec="seconds")  # the manifest's stored form (+00:00)


class Manifest(StateDB):
    def __init__(self, path: Path) -> None:
        # Shared by the ingest loop and its writer thread.
        super().__init__(path, threads=True)

    def _one(self, sql: str, args: tuple[object, ...]) -> tuple[object, ...] | None:
        with self.lock:
            row: tuple[object, ...] | None = self.db.execute(sql, args).fetchone()
            return row

    def seen(self, uri: str, size: int, version: str) -> str | None:
        """The status of this exact object version if it was handled before."""
        row = self._one(
            "SELECT status FROM objects WHERE uri = ? AND size = ? AND version = ?",
            (uri, size, version),
        )
        return None if row is None else str(row[0])

    def previous(self, uri: str) -> ObjectRecord | None:
        """What is recorded for this URI, whatever version it was."""
        with self.lock:
            row = self.db.execute(
                "SELECT uri, size, version, sha256, kind, status, records, rejected, error, "
                "batch_id FROM objects WHERE uri = ?",
                (uri,),
            ).fetchone()
        return None if row is None else ObjectRecord(*row)

    def ingested_copy(self, sha256: str, uri: str, *, own: bool = True) -> str | None:
        """An object with this content that was already ingested (this URI first; not this
        URI at all without `own`)."""
        statuses = ", ".join(f"'{s}'" for s in INGESTED_STATUSES)
        sql = f"SELECT uri FROM objects WHERE sha256 = ? AND status IN ({statuses}) "
        args: tuple[object, ...] = (sha256, uri)
        sql += "ORDER BY uri != ? LIMIT 1" if own else "AND uri != ? LIMIT 1"
        row = self._one(sql, args)
        return None if row is None else str(row[0])

    def set_status(self, uris: Iterable[str], status: str, error: str | None = None) -> int:
        """Mark objects (e.g. purged from quarantine); how many there were."""
        changed = 0
        with self.transaction() as conn:
            for uri in uris:
                cur = conn.execute(
                    "UPDATE objects SET status = ?, error = coalesce(?, error) WHERE uri = ?",
                    (status, error, uri),
                )
                changed += cur.rowcount
        return changed

    def refresh(self, uri: str, size: int, version: str) -> None:
        """The object was rewritten with the same content: remember its new version stamp."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE objects SET size = ?, version = ? WHERE uri = ?", (size, version, uri)
            )

    def record(self, conn: sqlite3.Connection, rec: ObjectRecord) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec.uri,
                rec.size,
                rec.version,
                rec.sha256,
                rec.kind,
                rec.status,
                rec.records,
                rec.rejected,
                rec.error,
                rec.batch_id,
                now(),
            ),
        )

    def record_now(self, rec: ObjectRecord) -> None:
        with self.transaction() as conn:
            self.record(conn, rec)

    def begin_batch(
        self,
        batch_id: str,
        files: Iterable[str],
        removes: Iterable[str] = (),
        objects: Iterable[ObjectRecord] = (),
    ) -> None:
        """Journal a batch before its files move: what it adds, what it removes, and the
        objects it marks, so that recovery can finish it exactly."""
        records = json.dumps([asdict(o) for o in objects])
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO batches (batch_id, status, files, removes, created_at, "
                "objects) VALUES (?, 'pending', ?, ?, ?, ?)",
                (batch_id, json.dumps(list(files)), json.dumps(list(removes)), now(), records),
            )

    def commit_batch(self, batch_id: str, objects: Iterable[ObjectRecord]) -> None:
        with self.transaction() as conn:
            for rec in objects:
                self.record(conn, rec)
            conn.execute("UPDATE batches SET status = 'committed' WHERE batch_id = ?", (batch_id,))

    def pending_batches(self) -> list[PendingBatch]:
        rows = self.db.execute(
            "SELECT batch_id, files, removes, objects FROM batches WHERE status = 'pending'"
        ).fetchall()
        return [
            PendingBatch(
                str(b),
                json.loads(f),
                json.loads(r),
                None if o is None else [ObjectRecord(**rec) for rec in json.loads(o)],
            )
            for b, f, r, o in rows
        ]

    def forget_batch(self, batch_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM batches WHERE batch_id = ?", (batch_id,))

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM objects GROUP BY status").fetchall()
        return {str(s): int(c) for s, c in rows}
