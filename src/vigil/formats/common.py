"""What every parser returns: the records it could take and the ones it could not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from vigil.formats.rejects import Reject as Reject


@dataclass
class ParseResult:
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def line_numbers_of(data: bytes, text: str, start: int = 0) -> Iterator[int]:
    """1-based numbers of the lines of `data` that are exactly `text` (slow; for bad rows)."""
    needle = text.encode("utf-8", "surrogateescape")
    pos = data.find(needle, start)
    while pos >= 0:
        end = pos + len(needle)
        at_start = pos == 0 or data[pos - 1 : pos] == b"\n"
        at_end = end == len(data) or data[end : end + 1] in (b"\n", b"\r")
        if at_start and at_end:
            yield data.count(b"\n", 0, pos) + 1
        pos = data.find(needle, pos + 1)
