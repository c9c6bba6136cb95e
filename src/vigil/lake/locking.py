"""One writer at a time per home: ingest, compaction and retention take this lock."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vigil.errors import LakeError


@contextmanager
def lake_lock(home: Path, wait: bool = True) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    with (home / "lake.lock").open("w") as handle:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError as exc:
            raise LakeError(
                f"another Vigil job is writing to {home}",
                hint="wait for it to finish, or use another --home",
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
