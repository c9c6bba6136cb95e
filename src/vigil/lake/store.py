"""Where the lake's files are kept: a local folder, or objects on S3.

Everything above this module names a lake file by its path in the lake's local folder. For a
local lake that path is the file. For a lake on object storage the folder is the lake's index
(`Settings.lake_dir`): each live object has a small JSON file there under the object's own
relative name (its URL, size, rows and Arrow schema), so the publish protocol of
`vigil.lake.snapshot` (renames under a lock, retired files, readers' claims) works on the index
unchanged, and nothing ever lists the bucket. An object is uploaded under its final key before
its index entry exists, and its batch is journaled in the manifest first, so an uploaded object
that no committed batch holds is invisible and removed by `LakeWriter.recover()`.

A `LakeStore` is the seam: `place` (a staged file into the lake, not yet visible), `remove`,
`size`, `rows`, `parquet` (to read one file), `local` (files DuckDB can read by path).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vigil.config import LAKE_MARKER, Settings
from vigil.lake.s3 import INFLIGHT, S3Store  # Arrow itself only when an object is touched

if TYPE_CHECKING:
    import pyarrow.parquet as pq

__all__ = ["INFLIGHT", "LakeStore", "LocalStore", "S3Store", "store_at", "store_for"]
_PARQUET_MAGIC = b"PAR1"


class LakeStore(Protocol):
    root: Path | None  # the local folder (the lake, or its index)
    remote: bool

    def place(self, staged: Path, target: Path) -> None:
        """Put the staged file into the lake as `target` + INFLIGHT (not listed yet)."""

    def remove(self, path: Path) -> None:
        """The file gone (and its not-yet-published form)."""

    def size(self, path: Path) -> int: ...

    def uri(self, path: Path) -> str:
        """The file as other readers name it (`file:///…`, `s3://bucket/key`)."""
        ...

    def rows(self, path: Path) -> int: ...

    def parquet(self, path: Path) -> pq.ParquetFile:
        """One lake file opened for reading."""
        ...

    def local(self, paths: Sequence[Path], work: Path) -> AbstractContextManager[list[Path]]:
        """The files as local paths DuckDB can read (copies under `work` if they are not)."""
        ...


class LocalStore:
    """The lake is a folder: its files are the paths themselves."""

    remote = False

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def place(self, staged: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, str(target) + INFLIGHT)

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        Path(str(path) + INFLIGHT).unlink(missing_ok=True)

    def size(self, path: Path) -> int:
        return path.stat().st_size

    def uri(self, path: Path) -> str:
        # `=` in folder names kept as is (not percent-encoded, which pyiceberg would not decode)
        return "file://" + path.resolve().as_posix()

    def rows(self, path: Path) -> int:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)

    def parquet(self, path: Path) -> pq.ParquetFile:
        import pyarrow.parquet as pq

        return pq.ParquetFile(path)

    @contextmanager
    def local(self, paths: Sequence[Path], work: Path) -> Iterator[list[Path]]:
        yield list(paths)


def store_for(settings: Settings) -> LakeStore:
    """The store of the home's lake (its index marked with the lake's URL and endpoint)."""
    if settings.lake_url is None:
        return LocalStore(settings.lake_dir)
    return S3Store(settings.lake_dir, settings.lake_url, settings.lake_endpoint_url)


def store_at(root: Path | None, files: Sequence[Path] = ()) -> LakeStore:
    """The store of a lake known only by its folder (an engine's): the index's marker names
    the objects' place; without one (a scratch lake of linked index files), the first file
    tells whether these are index entries."""
    marker = _marker(root) if root is not None else None
    if marker is None and files and is_entry(files[0]):
        marker = _find_marker(files[0]) or _entry_place(files[0])
    if marker is None:
        return LocalStore(root)
    return S3Store(root, marker["url"] or None, marker.get("endpoint_url"))


def is_entry(path: Path) -> bool:
    """Whether a lake file is an index entry of an object (not a Parquet file)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head != _PARQUET_MAGIC and head.startswith(b"{")


def _marker(root: Path) -> dict[str, str] | None:
    try:
        doc = json.loads((root / LAKE_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("url") else None


def _find_marker(path: Path) -> dict[str, str] | None:
    for folder in list(path.parents)[:6]:  # <table>/account/region/date/file
        found = _marker(folder)
        if found is not None:
            return found
    return None


def _entry_place(path: Path) -> dict[str, str] | None:
    """The endpoint an entry was written with (a scratch lake has no marker)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {"url": "", "endpoint_url": doc.get("endpoint_url")}
