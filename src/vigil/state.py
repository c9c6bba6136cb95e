"""The state store: one SQLite file in WAL mode (manifests, findings, watermarks), opened the
same way by every stage, with write transactions that take the lock at once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StateDB:
    def __init__(self, path: Path, schema: str, *, threads: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # With `threads`, several threads share the connection; every use holds `self.lock`.
        self.db = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=not threads
        )
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(schema)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
