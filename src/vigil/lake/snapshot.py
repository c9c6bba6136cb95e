"""Readers see whole batches, and the files they read stay until they are done.

A query lists a table's files once and reads them for as long as it runs. A writer that
replaces files (compaction, retention, a re-ingest) must not pull one from under it (DuckDB's
`IO Error: Cannot open file`), nor let a listing see half a change: the new file and the old
ones it replaces (rows twice), or neither (rows missing). So:

* Listing takes the publish lock shared, publishing takes it exclusive: a listing sees a
  batch's files all published or none.
* A replaced file is not deleted when it is replaced but *retired*: named in `retired` (with
  the generation of the change), it is left out of every later listing at once, and deleted
  only once no reader that listed before the change is still reading.
* A reader registers with the generation it listed at (`r-<pid>-<token>`, a file it holds a
  lock on while it lives, so one left by a killed process is known and removed).

Everything lives in `<lake>/_readers/`, beside the tables.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

FOLDER: Final = "_readers"


def _folder(lake: Path) -> Path:
    return lake / FOLDER


@contextmanager
def _locked(lake: Path, exclusive: bool) -> Iterator[Path | None]:
    """The publish lock; None where the lake cannot be written (a read-only copy), where no
    writer can be publishing either."""
    folder = _folder(lake)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / "publish.lock").open("a")
    except OSError:
        yield None
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield folder
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generation(folder: Path) -> int:
    try:
        return int((folder / "generation").read_text() or 0)
    except (OSError, ValueError):
        return 0


def _retired(folder: Path | None) -> list[tuple[int, str]]:
    if folder is None:
        return []
    try:
        text = (folder / "retired").read_text()
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        generation, _, relative = line.partition("\t")
        if relative and generation.isdigit():
            out.append((int(generation), relative))
    return out


def _listed(lake: Path, table: str, hidden: set[str]) -> list[Path]:
    """`<table>/aws_account=*/aws_region=*/date=*/*.parquet` (os.scandir: a lake of thousands
    of files is listed at every engine open), retired files left out."""
    gone = {str(lake / relative) for relative in hidden}
    found: list[str] = []
    level = [str(lake / table)]
    for prefix in ("aws_account=", "aws_region=", "date="):
        level = [e.path for d in level for e in _entries(d)
                 if e.name.startswith(prefix) and e.is_dir()]  # fmt: skip
    for folder in level:
        found += [e.path for e in _entries(folder)
                  if e.name.endswith(".parquet") and e.path not in gone]  # fmt: skip
    return [Path(p) for p in sorted(found)]


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError:  # not there (yet), or gone meanwhile
        return []


def table_files(lake: Path, table: str) -> list[Path]:
    """The table's Parquet files as of now, retired ones left out."""
    with _locked(lake, exclusive=False) as folder:
        hidden = {relative for _, relative in _retired(folder)}
        return _listed(lake, table, hidden)


class Reader:
    """A reader's claim on what it listed: the files stay until `close()`."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.handle: IO[str] | None = None
        self.path: Path | None = None

    def list(self, tables: Sequence[str]) -> dict[str, list[Path]]:
        """Each table's files, listed under the publish lock; the claim is renewed to now."""
        self.close()
        with _locked(self.lake, exclusive=False) as folder:
            if folder is not None:
                self._register(folder, _generation(folder))
            hidden = {relative for _, relative in _retired(folder)}
            return {t: _listed(self.lake, t, hidden) for t in tables}

    def _register(self, folder: Path, generation: int) -> None:
        path = folder / f"r-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            handle = path.open("w")
        except OSError:
            return  # the registry went away (a scratch lake emptied): nothing to protect
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(str(generation))
        handle.flush()
        self.handle, self.path = handle, path

    def close(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        if self.handle is not None:
            self.handle.close()
        self.handle = self.path = None


def publish(lake: Path, final: Sequence[str], removes: Sequence[str], inflight: str,
            remove: Callable[[Path], None] | None = None) -> None:  # fmt: skip
    """Put a batch's files in place (`<file><inflight>` renamed) and retire the files it
    replaces, as one change to every listing; then delete what no reader can still need
    (`remove`: how a file is deleted; for a lake on object storage, its object too)."""
    remove = remove or _unlink
    with _locked(lake, exclusive=True) as folder:
        generation = (_generation(folder) + 1) if folder is not None else 0
        retired = _retired(folder)
        known = {relative for _, relative in retired}
        for path in removes:
            target = Path(path)
            relative = _relative(lake, target)
            if folder is None or relative is None:
                remove(target)  # outside the lake, or no registry: at once
            elif target.exists() and relative not in known:
                retired.append((generation, relative))
                known.add(relative)
        if folder is not None:  # the old files hidden first: a crash before the renames
            _write(folder / "generation", str(generation))  # shows neither until recovery,
            _write(folder / "retired", _lines(retired))  # never both (rows counted twice)
        for path in final:
            staged = Path(path + inflight)
            if staged.exists():
                os.replace(staged, path)
        if folder is not None:
            _sweep(lake, folder, retired, remove)


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _relative(lake: Path, path: Path) -> str | None:
    try:
        return str(path.absolute().relative_to(lake.absolute()))
    except ValueError:
        return None


def _sweep(lake: Path, folder: Path, retired: list[tuple[int, str]],
           remove: Callable[[Path], None]) -> None:  # fmt: skip
    """Delete each retired file no live reader may be reading: one retired at generation g
    stays while a reader that listed before it (at a generation below g) lives."""
    oldest = min(_live_readers(folder), default=None)
    kept = []
    for generation, relative in retired:
        if oldest is not None and oldest < generation:
            kept.append((generation, relative))
        else:
            remove(lake / relative)
            _prune(lake, Path(relative).parent)
    _write(folder / "retired", _lines(kept))


def _lines(retired: list[tuple[int, str]]) -> str:
    return "".join(f"{generation}\t{relative}\n" for generation, relative in retired)


def _prune(lake: Path, partition: Path) -> None:
    """A partition folder left empty (retention) goes, and its parents up to the table's."""
    for part in [partition, *partition.parents][:-2]:  # never the table's folder itself
        try:
            (lake / part).rmdir()
        except OSError:
            return  # not empty, or gone


def _live_readers(folder: Path) -> list[int]:
    """The generations of the readers still alive; the files of dead ones are removed."""
    found = []
    for path in folder.glob("r-*"):
        try:
            with path.open("r") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    text = handle.read()
                    found.append(int(text) if text.isdigit() else 0)
                    continue
            path.unlink(missing_ok=True)  # its process is gone
        except OSError:
            continue
    return found


def _write(path: Path, text: str) -> None:
    staged = path.with_name(path.name + ".tmp")
    staged.write_text(text)
    os.replace(staged, path)
