"""Which flow-log layout a file without a header line has, from a sample of its lines.

Only the sample is looked at here, value by value; the file itself is then read by the columnar
reader exactly as if the layout had been its header line. A layout is taken when it is the only
one whose every field fits its column: first among the known layouts (`LAYOUTS`), and when none
of those fits, among the subsets of the fields kept in the order of AWS's field table (as
custom formats often are). Several fits, or none, leave the choice to `--format`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Final

from vigil.errors import FormatError
from vigil.formats.flowlog_fields import record_version
from vigil.formats.flowlog_layouts import LAYOUTS, SHAPES, TELLING, VPC_FIELDS, as_format

SAMPLE_LINES: Final = 50
SAMPLE_BYTES: Final = 1 << 16
_CW_PREFIX: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$")
_MANY: Final = 12  # inferred layouts enumerated before a sample is called hopelessly ambiguous
_LEAVES: Final = 5000  # complete alignments tried at most (dashes fit anything: they multiply)
_SHOWN: Final = 4
_ASK: Final = "pass --format with the flow log's LogFormat (aws ec2 describe-flow-logs shows it)"


@dataclass(frozen=True)
class Layout:
    name: str  # a known layout's name, or "" for one inferred from AWS's field order
    fields: tuple[str, ...]

    def describe(self) -> str:
        spelled = as_format(self.fields)
        return f"{self.name} ({spelled})" if self.name else f"'{spelled}'"


@dataclass
class _Sample:
    rows: list[list[str]]
    width: int
    _fits: dict[tuple[int, str], bool] = field(default_factory=dict)
    _values: dict[int, set[str]] = field(default_factory=dict)

    def fits(self, column: int, name: str) -> bool:
        key = (column, name)
        if key not in self._fits:
            check = SHAPES.get(name)
            if column not in self._values:
                self._values[column] = {row[column] for row in self.rows} - {"-"}
            self._fits[key] = check is None or all(check(v) for v in self._values[column])
        return self._fits[key]

    def telling(self, column: int) -> bool:
        return any(row[column] != "-" for row in self.rows)

    def consistent(self, fields: tuple[str, ...]) -> bool:
        """Checks across fields: AWS writes the highest version of the format's fields; a packet
        has at least 20 bytes (an IPv4 header); a flow ends no earlier than it starts, and within
        the hour (the aggregation interval is at most 10 minutes)."""
        at = {name: i for i, name in enumerate(fields)}
        version = record_version(fields)
        for row in self.rows:
            if "version" in at and row[at["version"]] not in ("-", str(version)):
                return False
            if not _pair_fits(row, at, ("packets", "bytes"), lambda p, b: b >= 20 * p):
                return False
            if not _pair_fits(row, at, ("start", "end"), lambda s, e: 0 <= e - s <= 3600):
                return False
        return True


def _pair_fits(
    row: list[str], at: dict[str, int], pair: tuple[str, str], holds: Callable[[int, int], bool]
) -> bool:
    """Whether two fields' values agree, where the layout has both and the row fills both."""
    first, second = pair
    if first not in at or second not in at:
        return True
    a, b = row[at[first]], row[at[second]]
    return a == "-" or b == "-" or holds(int(a), int(b))


def detect_layout(body: bytes, source: str) -> Layout:
    """The one layout the sample fits, or a FormatError saying which fit (or that none did)."""
    sample = _sample(body)
    if sample is None:
        raise FormatError("no records to tell the flow-log layout from", source=source, line=1)
    fitting = [
        Layout(name, fields)
        for name, fields in LAYOUTS.items()
        if len(fields) == sample.width and _fits_all(sample, fields)
    ]
    complete = True
    if not fitting:
        inferred, complete = _inferred(sample)
        fitting = [Layout("", fields) for fields in inferred]
    if len(fitting) == 1 and complete:
        return fitting[0]
    first = " ".join(sample.rows[0])[:60]
    if not fitting:
        raise FormatError(
            f"no header line and no --format given, and no known flow-log layout fits its "
            f"{sample.width} fields (first line starts {first!r}); {_ASK}",
            source=source,
            line=1,
            hint=_ASK,
        )
    count = f"{len(fitting)}" if complete else f"at least {len(fitting)}"
    shown = "; ".join(layout.describe() for layout in fitting[:_SHOWN])
    more = len(fitting) - _SHOWN
    rest = " and more" if not complete else f" and {more} more" if more > 0 else ""
    raise FormatError(
        f"no header line, and {count} flow-log layouts fit its {sample.width} fields: "
        f"{shown}{rest}; {_ASK}",
        source=source,
        line=1,
        hint=_ASK,
    )


def _fits_all(sample: _Sample, fields: tuple[str, ...]) -> bool:
    return all(sample.fits(i, name) for i, name in enumerate(fields)) and sample.consistent(fields)


def _sample(body: bytes) -> _Sample | None:
    text = body[:SAMPLE_BYTES].decode("utf-8", "replace")
    lines = text.split("\n")
    if len(body) > SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut short
    rows = []
    for line in lines:
        tokens = line.split()
        if tokens and _CW_PREFIX.match(tokens[0]):
            tokens = tokens[1:]  # a CloudWatch Logs export's timestamp
        if tokens:
            rows.append(tokens)
        if len(rows) >= SAMPLE_LINES:
            break
    if not rows:
        return None
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    return _Sample([r for r in rows if len(r) == width], width)


def _inferred(sample: _Sample) -> tuple[list[tuple[str, ...]], bool]:
    """Subsets of the VPC fields in AWS's order that fit the columns (at most `_MANY`), and
    whether that is all of them."""
    width, names = sample.width, VPC_FIELDS

    @cache
    def possible(column: int, start: int) -> bool:
        if column == width:
            return True
        return any(
            sample.fits(column, names[k]) and possible(column + 1, k + 1)
            for k in range(start, len(names) - (width - column) + 1)
        )

    found: list[tuple[str, ...]] = []
    leaves = [0]

    def walk(column: int, start: int, chosen: list[str]) -> None:
        if len(found) > _MANY or leaves[0] >= _LEAVES:
            return
        if column == width:
            leaves[0] += 1
            fields = tuple(chosen)
            if _grounded(sample, fields) and sample.consistent(fields):
                found.append(fields)
            return
        for k in range(start, len(names) - (width - column) + 1):
            if sample.fits(column, names[k]) and possible(column + 1, k + 1):
                walk(column + 1, k + 1, [*chosen, names[k]])

    if possible(0, 0):
        walk(0, 0, [])
    return found[: _MANY + 1], len(found) <= _MANY and leaves[0] < _LEAVES


def _grounded(sample: _Sample, fields: tuple[str, ...]) -> bool:
    """At least two columns whose values say what they are (loose names and counts do not)."""
    telling = sum(1 for i, f in enumerate(fields) if f in TELLING and sample.telling(i))
    return telling >= 2
