"""What every parser returns: the records it could take and the ones it could not."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class Reject:
    """One record (or a whole file when `line` is None) that could not be taken."""

    line: int | None
    reason: str
    raw: str = ""

    def where(self, source: str) -> str:
        return f"{source}:{self.line}" if self.line is not None else source


@dataclass
class ParseResult:
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def line_number_of(data: bytes, text: str, start: int = 0) -> int | None:
    """1-based line of the first occurrence of `text` in `data` (slow; for rare bad rows)."""
    pos = data.find(text.encode("utf-8", "surrogateescape"), start)
    if pos < 0:
        return None
    return data.count(b"\n", 0, pos) + 1


def preview(raw: bytes | str, limit: int = 300) -> str:
    """A printable excerpt of a bad record for reports."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    return text if len(text) <= limit else text[:limit] + "…"
