"""List and read source objects from local paths and S3 prefixes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from vigil.errors import SourceError
from vigil.sources.keys import KeyInfo, parse_key


@dataclass(frozen=True)
class SourceObject:
    """One file or S3 object: where it is and the version stamp the manifest keys on."""

    uri: str
    size: int
    version: str  # S3 ETag, or the local mtime in nanoseconds

    @cached_property
    def key(self) -> KeyInfo:
        return parse_key(self.uri)

    def in_window(self, since: date | None, until: date | None) -> bool:
        """Select by the (delivery) date in the key; objects without one are always read."""
        day = self.key.day
        if day is None:
            return True
        return (since is None or day >= since) and (until is None or day <= until)


class Reader:
    """Reads local files and s3:// objects; the S3 client is made on first use."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        exclude: Path | None = None,
        substitutes: dict[str, Path] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.exclude = exclude.absolute() if exclude else None  # Vigil's own home
        # URI → a kept copy to read instead (a quarantined original whose source is gone).
        self.substitutes = substitutes or {}
        self._s3: Any = None

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            import s3fs

            kwargs: dict[str, Any] = {}
            if self.endpoint_url:
                kwargs["client_kwargs"] = {"endpoint_url": self.endpoint_url}
            self._s3 = s3fs.S3FileSystem(**kwargs)
        return self._s3

    def list(self, source: str) -> Iterator[SourceObject]:
        if source.startswith("s3://"):
            yield from self._list_s3(source)
            return
        path = Path(source)
        if path.is_file():
            yield _local(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                if self.exclude is not None:
                    dirs[:] = [d for d in dirs if (Path(root) / d).absolute() != self.exclude]
                dirs.sort()
                for name in sorted(files):
                    if not name.startswith("."):
                        yield _local(Path(root) / name)
        else:
            raise SourceError(
                f"no such file or directory: {source}",
                hint="give a file, a directory or an s3://bucket/prefix",
            )

    def _list_s3(self, source: str) -> Iterator[SourceObject]:
        try:
            found = self.s3.find(source, detail=True)
        except Exception as exc:  # botocore and aiohttp raise many kinds
            raise SourceError(
                f"cannot list {source}: {exc}",
                hint="check the bucket name, credentials and --endpoint-url",
            ) from exc
        for path in sorted(found):
            info = found[path]
            if info.get("type") == "directory":
                continue
            etag = str(info.get("ETag") or info.get("etag") or "").strip('"')
            yield SourceObject(f"s3://{path}", int(info.get("size") or 0), etag)

    def find(self, uri: str) -> SourceObject | None:
        """The object at exactly this URI, or None when it is not there."""
        if not uri.startswith("s3://"):
            path = Path(uri)
            return _local(path) if path.is_file() else None
        try:
            return next((o for o in self._list_s3(uri) if o.uri == uri), None)
        except SourceError:
            return None

    def read(self, obj: SourceObject) -> bytes:
        try:
            if obj.uri in self.substitutes:
                return self.substitutes[obj.uri].read_bytes()
            if obj.uri.startswith("s3://"):
                data: bytes = self.s3.cat_file(obj.uri)
                return data
            return Path(obj.uri).read_bytes()
        except Exception as exc:  # OSError locally; botocore and aiohttp errors for S3
            raise SourceError(f"cannot read {obj.uri}: {exc}") from exc


def _local(path: Path) -> SourceObject:
    stat = path.stat()
    return SourceObject(str(path.absolute()), stat.st_size, str(stat.st_mtime_ns))
