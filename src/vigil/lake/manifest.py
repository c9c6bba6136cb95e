"""The manifest of ingested objects and lake write batches, in SQLite (WAL).

An object is identified by URI + size + version (ETag or mtime) and by its content hash, so a
re-run skips what it has seen without reading it, and a copy of an object under another name is
recognised. A batch of lake files is journaled before its files are moved into place and marked
committed in the same transaction that marks its objects done; a batch left `pending` by a crash
is rolled back (its files deleted) before the next write, so nothing is half-ingested.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from vigil.state import StateDB

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS objects (
    uri TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT,
    kind TEXT,
    status TEXT NOT NULL,          -- done | partial | failed | digest | duplicate | empty
    records INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    batch_id TEXT,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_sha256 ON objects (sha256);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,          -- pending | committed
    files TEXT NOT NULL,           -- JSON list of lake paths this batch writes
    removes TEXT NOT NULL DEFAULT '[]',  -- JSON list of lake paths it replaces (compaction)
    created_at TEXT NOT NULL
);
"""


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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Manifest(StateDB):
    def __init__(self, path: Path) -> None:
        # Shared by the ingest loop and its writer thread.
        super().__init__(path, SCHEMA, threads=True)

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

    def ingested_copy(self, sha256: str, uri: str) -> str | None:
        """An object with this content that was already ingested (this URI first)."""
        row = self._one(
            "SELECT uri FROM objects WHERE sha256 = ? AND status IN ('done', 'partial') "
            "ORDER BY uri != ? LIMIT 1",
            (sha256, uri),
        )
        return None if row is None else str(row[0])

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

    def begin_batch(self, batch_id: str, files: Iterable[str], removes: Iterable[str] = ()) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO batches VALUES (?, 'pending', ?, ?, ?)",
                (batch_id, json.dumps(list(files)), json.dumps(list(removes)), now()),
            )

    def commit_batch(self, batch_id: str, objects: Iterable[ObjectRecord]) -> None:
        with self.transaction() as conn:
            for rec in objects:
                self.record(conn, rec)
            conn.execute("UPDATE batches SET status = 'committed' WHERE batch_id = ?", (batch_id,))

    def pending_batches(self) -> list[tuple[str, list[str], list[str]]]:
        rows = self.db.execute(
            "SELECT batch_id, files, removes FROM batches WHERE status = 'pending'"
        ).fetchall()
        return [(str(b), json.loads(f), json.loads(r)) for b, f, r in rows]

    def forget_batch(self, batch_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM batches WHERE batch_id = ?", (batch_id,))

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM objects GROUP BY status").fetchall()
        return {str(s): int(c) for s, c in rows}
