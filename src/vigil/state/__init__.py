"""The state store: one SQLite file in WAL mode (manifests, findings, watermarks), opened the
same way by every stage, with write transactions that take the lock at once. Its tables are
declared once, in `vigil.state.schema`, and brought up to date when a store opens."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Self

from vigil.state.schema import migrate

if TYPE_CHECKING:
    from vigil.config import Settings


class StateDB:
    def __init__(self, path: Path, *, threads: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # With `threads`, several threads share the connection; every use holds `self.lock`.
        self.db = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=not threads
        )
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        _owner_only(path)
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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


def _owner_only(path: Path) -> None:
    """A store written before Vigil kept its files private (0644) becomes its owner's alone."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if part.stat().st_mode & 0o077:
                part.chmod(0o600)
        except OSError:
            pass  # not there (yet), or not ours to change


class Store:
    """A part of the state store, used as a unit of work: `with FindingStore(settings) as s:`."""

    def __init__(self, settings: Settings) -> None:
        settings.ensure()
        self.settings = settings
        self.state = StateDB(settings.state_db)

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
