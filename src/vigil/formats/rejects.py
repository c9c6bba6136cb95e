"""A record (or a whole file) a parser could not take, and where it was: light on purpose (no
Arrow), so the ingest's options and the hub's intake can name it without loading a parser."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reject:
    """One record (or a whole file when `line` is None) that could not be taken."""

    line: int | None
    reason: str
    raw: str = ""

    def where(self, source: str) -> str:
        return f"{source}:{self.line}" if self.line is not None else source
