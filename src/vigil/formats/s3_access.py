"""S3 server access logs (spec §12) → Arrow: a columnar read with an exact per-line fallback.

Arrow's CSV reader splits the whole object at once: spaces separate fields and the double
quotes of Request-URI, Referer and User-Agent keep their spaces inside one field. The space
inside the bracketed time splits it in two columns, put back together by `bracket_times`.
The number of fields is told from the first records (older ones stop after versionid, newer
ones append fields AWS has not documented). A line Arrow cannot fit to that layout, or whose
time or counts are not values, is read again by the exact reader, which takes it if it is
only unusual (another field count, runs of spaces) and otherwise says which field was wrong.
Records the exact reader takes come after the others: file order means nothing (§12.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from vigil.formats.common import ParseResult, Reject
from vigil.formats.s3_access_fields import (
    FIELDS,
    INTEGERS,
    MAX_LINE,
    REQUIRED,
    SCHEMA,
    TIME,
    exact_table,
    tokens,
)
from vigil.formats.s3_access_vector import bracket_times, percent_decode

_BLOCK: Final = 1 << 20
_SNIFF_LINES: Final = 20


def parse_s3access(data: bytes, uri: str) -> ParseResult:
    """Parse one delivered object (decompressed bytes); `uri` names it in notices."""
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:  # Arrow cannot say which line: read each one
            return _result(*exact_table(_numbered(data)))
    width = _sniff(data)
    if width is None:  # no record among the first lines: let the exact reader say why
        return _result(*exact_table(_numbered(data)))
    table, unfit = _columnar(data, width)
    table, bad_rows = _typed(table)
    late = _late_lines(data, unfit, bad_rows, table.num_rows + len(bad_rows))
    if late is None:  # the rows could not be matched to their lines: read every line
        return _result(*exact_table(_numbered(data)))
    keep = np.ones(table.num_rows, dtype=bool)
    keep[bad_rows] = False
    exact, rejects = exact_table(late)
    good = table.filter(pa.array(keep)) if len(bad_rows) else table
    result = _result(pa.concat_tables([good, exact.select(good.column_names)]), rejects)
    if late and len(exact):
        result.notices.append(f"{uri}: {len(exact)} record(s) read line by line")
    return result


def _numbered(data: bytes) -> Iterator[tuple[int, bytes]]:
    return enumerate(data.split(b"\n"), start=1)


def _sniff(data: bytes) -> int | None:
    """How many fields most of the first records have (the time counted once)."""
    counts: dict[int, int] = {}
    for _, raw in zip(range(_SNIFF_LINES), data[: 4 * MAX_LINE].split(b"\n"), strict=False):
        text = raw.decode("utf-8", "replace").rstrip("\r")
        found = tokens(text)
        if not isinstance(found, str) and len(found) >= REQUIRED:
            counts[len(found)] = counts.get(len(found), 0) + 1
    return max(counts, key=lambda n: counts[n]) if counts else None


def _names(width: int) -> list[str]:
    """Column names of the CSV read: the known fields, the time as two halves, extras."""
    known = list(FIELDS[: min(width, len(FIELDS))])
    extras = [f"_extra{i}" for i in range(width - len(known))]
    return [*known[:TIME], "_time0", "_time1", *known[TIME + 1 :], *extras]


def _columnar(data: bytes, width: int) -> tuple[pa.Table, list[str]]:
    """Every line with `width` fields as text columns (`-` and `"-"` NULL), and the raw text
    of the rows that did not fit (in file order)."""
    names = _names(width)
    unfit: list[str] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        unfit.append(row.text)
        return "skip"

    table = pcsv.read_csv(
        pa.py_buffer(data),
        read_options=pcsv.ReadOptions(column_names=names, block_size=_BLOCK, use_threads=False),
        parse_options=pcsv.ParseOptions(
            delimiter=" ",
            quote_char='"',
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=["-"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return table, unfit


def _typed(text: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The text columns in their types (the exact reader's layout), and the indices of the
    rows whose time or counts were not values, or that may be longer than 64 KiB."""
    n = text.num_rows
    columns = dict(zip(text.column_names, text.columns, strict=True))
    left, right = columns.pop("_time0").combine_chunks(), columns.pop("_time1").combine_chunks()
    ms, bad = bracket_times(left, right)
    bad = ~bad
    columns["requestdatetime"] = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(left, 1), pc.utf8_slice_codeunits(right, 0, 5), " "
    )
    for name, typ in INTEGERS.items():
        if name in columns:
            columns[name], wrong = _counts(columns[name], typ)
            bad |= wrong
    bad |= _too_long(text)
    extras = [pc.fill_null(columns.pop(c), "-") for c in list(columns) if c.startswith("_extra")]
    out = [columns.get(f, pa.nulls(n, pa.string())) for f in FIELDS]
    out.append(pc.binary_join_element_wise(*extras, " ") if extras else pa.nulls(n, pa.string()))
    out.append(pa.array(ms, type=pa.int64()).cast(SCHEMA.field("request_ts").type))
    return pa.table(out, names=[*FIELDS, "extra_fields", "request_ts"]), np.flatnonzero(bad)


def _counts(column: pa.ChunkedArray, typ: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """A count column as integers, and which rows were not counts (NULL in the result)."""
    try:
        values = column.cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        fine = pc.or_kleene(pc.match_substring_regex(column, r"^[0-9]{1,18}$"), pc.is_null(column))
        values = pc.if_else(fine, column, pa.scalar(None, pa.string())).cast(typ, safe=False)
        return values, ~fine.to_numpy(False) | _negative(values)
    return values, _negative(values)


def _negative(values: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.less(values, 0), False).to_numpy(False))


def _too_long(text: pa.Table) -> np.ndarray:
    """Rows that may be longer than 64 KiB (an upper bound: NULLs counted as `"-"`); the
    exact reader measures them."""
    lengths = [pc.fill_null(pc.binary_length(c), 3) for c in text.columns]
    bound = sum(pc.max(x).as_py() or 0 for x in lengths) + 3 * len(lengths)
    if bound <= MAX_LINE:
        return np.zeros(text.num_rows, dtype=bool)
    total = np.zeros(text.num_rows, dtype=np.int64)
    for x in lengths:
        total += x.to_numpy() + 3
    return total > MAX_LINE


def _late_lines(
    data: bytes, unfit: list[str], bad_rows: np.ndarray, rows: int
) -> list[tuple[int, bytes]] | None:
    """Numbered lines for the exact reader: those Arrow did not fit and those of `bad_rows`
    (indices into the `rows` rows it read). None when rows and lines cannot be matched."""
    if not unfit and not len(bad_rows):
        return []
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(data)]])
    taken = np.zeros(len(starts), dtype=bool)
    cursor = 0
    for text in unfit:
        pos = _line_start(data, text.encode("utf-8"), cursor)
        if pos is None:
            return None
        first = int(np.searchsorted(starts, pos, side="right")) - 1
        taken[first : first + text.count("\n") + 1] = True
        cursor = pos + len(text)
    first_bytes = np.frombuffer(data, np.uint8)[np.minimum(starts, max(len(data) - 1, 0))]
    blank = (ends == starts) | ((ends - starts == 1) & (first_bytes == ord("\r")))
    row_lines = np.flatnonzero(~taken & ~blank)
    if len(row_lines) != rows:
        return None
    late = np.union1d(np.flatnonzero(taken), row_lines[bad_rows])
    return [(int(i) + 1, data[starts[i] : ends[i]]) for i in late]


def _line_start(data: bytes, needle: bytes, start: int) -> int | None:
    """Where `needle` is next a whole line (or lines) of `data`, from `start`."""
    pos = data.find(needle, start)
    while pos >= 0:
        end = pos + len(needle)
        if (pos == 0 or data[pos - 1] in b"\r\n") and (end == len(data) or data[end] in b"\r\n"):
            return pos
        pos = data.find(needle, pos + 1)
    return None


def _result(table: pa.Table, rejects: list[Reject]) -> ParseResult:
    """The parser's table in the lake's columns and types (`key_decoded` added)."""
    key = table["key"].combine_chunks()
    table = table.append_column("key_decoded", percent_decode(key))
    columns = [table[f.name].cast(f.type) for f in SCHEMA]
    return ParseResult(pa.table(columns, schema=SCHEMA), rejects)
