"""Following files as they grow: each file is known by its device and inode, so a file renamed
by rotation keeps its place and the new file starts at byte 0; a file shorter than its place,
or whose first bytes changed, was truncated or replaced and is read again from 0. Only whole
lines are taken. Checkpoints (`state_file`) hold, per file, the offset just past the last
record sent, so a restart resumes at that byte."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from vigil.agent.records import Line

HEAD: Final = 256  # the bytes a file is recognised by
READ: Final = 4 << 20  # at most this much of one file a poll


def _head(path: str, length: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(min(HEAD, length))).hexdigest()


@dataclass
class Tracked:
    path: str
    dev: int
    ino: int
    offset: int  # read up to here
    sent: int  # checkpointed: records up to here are in CloudWatch Logs
    head: str = ""  # the hash of the first head_len bytes
    head_len: int = 0
    pending: list[Line] = field(default_factory=list)
    idle_polls: int = 0

    @property
    def key(self) -> str:
        return f"{self.dev}:{self.ino}"


class Checkpoints:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[str, dict[str, Any]] = {}
        if path.is_file():
            try:
                self.files = dict(json.loads(path.read_text()).get("files") or {})
            except ValueError:
                self.files = {}  # a torn file: start over (the server keeps what it has)

    def save(self, tracked: list[Tracked]) -> None:
        for t in tracked:
            self.files[t.key] = {"path": t.path, "offset": t.sent, "head": t.head,
                                 "head_len": t.head_len}  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"files": self.files}, indent=1))
        os.replace(tmp, self.path)


class Tailer:
    """The files one `file_path` glob matches."""

    def __init__(self, pattern: str, checkpoints: Checkpoints) -> None:
        self.pattern = pattern
        self.checkpoints = checkpoints
        self.files: dict[str, Tracked] = {}

    def poll(self) -> list[tuple[Tracked, list[Line]]]:
        out = []
        seen = set()
        for path in sorted(glob.glob(self.pattern)):
            try:
                st = os.stat(path)
            except OSError:
                continue
            key = f"{st.st_dev}:{st.st_ino}"
            seen.add(key)
            t = self.files.get(key)
            if t is None:
                t = self._track(path, st.st_dev, st.st_ino, st.st_size)
                self.files[key] = t
            t.path = path
            out.append((t, self._read(t, st.st_size)))
        for key in [k for k in self.files if k not in seen]:
            gone = self.files[key]  # rotated away or deleted: what was read stays to be sent
            if not gone.pending:
                del self.files[key]
        return out

    def _track(self, path: str, dev: int, ino: int, size: int) -> Tracked:
        mark = self.checkpoints.files.get(f"{dev}:{ino}")
        if mark and int(mark["offset"]) <= size:
            length = int(mark.get("head_len") or 0)
            if length and _head(path, length) == mark.get("head"):
                offset = int(mark["offset"])
                return Tracked(path, dev, ino, offset, offset, str(mark["head"]), length)
        return Tracked(path, dev, ino, 0, 0)

    def _read(self, t: Tracked, size: int) -> list[Line]:
        replaced = bool(t.head_len) and size >= t.head_len and _head(t.path, t.head_len) != t.head
        if size < t.offset or replaced:
            t.offset = t.sent = t.head_len = 0  # truncated, or replaced in place
            t.pending.clear()
        if t.head_len < HEAD and size > t.head_len:
            t.head_len = min(HEAD, size)
            t.head = _head(t.path, t.head_len)
        if size <= t.offset:
            t.idle_polls += 1
            return []
        with open(t.path, "rb") as f:
            f.seek(t.offset)
            data = f.read(min(size - t.offset, READ))
        cut = data.rfind(b"\n")
        if cut < 0:
            t.idle_polls += 1
            return []
        lines = []
        at = t.offset
        for raw in data[: cut + 1].split(b"\n")[:-1]:
            at += len(raw) + 1
            lines.append(Line(raw.decode("utf-8", errors="replace").rstrip("\r"), at))
        t.offset = at
        t.idle_polls = 0
        return lines
