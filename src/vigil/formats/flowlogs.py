"""VPC Flow Logs text records → Arrow, columnar (pyarrow's CSV reader) with a careful fallback.

The fast path hands the whole decompressed file to Arrow with declared column types, so no
Python object is built per record. If Arrow refuses the file (a value of the wrong type, bytes
that are not UTF-8), the slow path walks it line by line to say exactly which line and field
was wrong, keeps every good line and rejects only the bad ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from vigil.errors import FormatError
from vigil.formats.common import ParseResult, Reject, line_numbers_of
from vigil.formats.flowlog_fields import (
    DEFAULT_FORMAT,
    column_name,
    field_type,
    header_fields,
    unknown_fields,
)
from vigil.formats.flowlog_sniff import detect_layout
from vigil.formats.timestamps import plausible_seconds

# CloudWatch Logs exports prefix each message with its ISO-8601 timestamp.
_CW_PREFIX: Final = re.compile(rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ")
_CW_COLUMN: Final = "_cw_timestamp"
_INT_RANGES: Final = {pa.int32(): (-(2**31), 2**31 - 1), pa.int64(): (-(2**63), 2**63 - 1)}
_BLOCK: Final = 1 << 22
_INTEGER: Final = re.compile(r"^-?[0-9]+$")


def parse_flowlogs(data: bytes, fmt: tuple[str, ...] | None, source: str) -> ParseResult:
    """Parse one file of flow-log records (S3 text delivery, plain records or a CW export).

    The header line, when present, is the format; otherwise `fmt` must be given.
    """
    first_end = data.find(b"\n")
    first = data if first_end < 0 else data[:first_end]
    notices: list[str] = []
    header = header_fields(first.decode("utf-8", "replace").strip())
    fields = header or fmt
    if fields is None:
        if first.lstrip().startswith((b"{", b"[")):
            raise FormatError(
                _not_flowlogs_reason(first),
                source=source,
                line=1,
                hint="pass --format '${version} ${account-id} …' for files without a header line",
            )
        layout = detect_layout(data, source)  # AWS writes no header to CloudWatch Logs
        fields = layout.fields
        if layout.fields != DEFAULT_FORMAT:
            notices.append(f"{source}: no header line; read as {layout.describe()}")
    repeated = sorted({f for f in fields if fields.count(f) > 1})
    if repeated:
        raise FormatError(
            f"the header line repeats field(s): {', '.join(repeated)}",
            source=source,
            line=1,
            hint="each flow-log field appears once in a format",
        )
    if header and fmt and header != fmt:
        notices.append(f"{source}:1: header line differs from --format; the header was used")
    unknown = unknown_fields(fields)
    if unknown:
        notices.append(f"{source}:1: unknown flow-log field(s) kept as text: {', '.join(unknown)}")
    body_start = first_end + 1 if header is not None and first_end >= 0 else 0
    if header is not None and first_end < 0:
        return ParseResult(_empty(fields), notices=notices)
    first_record = data[body_start : body_start + 64]
    cw_prefixed = bool(_CW_PREFIX.match(first_record))
    try:
        table, rejects = _fast(data, body_start, fields, cw_prefixed)
        if "start" in fields and not _plausible_starts(table["start"]):
            raise _BadTimes  # which lines: the careful path says
    except (pa.ArrowInvalid, UnicodeDecodeError, _BadTimes, _Spacing):
        table, rejects = _slow(data, body_start, fields, cw_prefixed)
    return ParseResult(table, rejects, notices)


class _Spacing(Exception):
    """A record whose fields are apart by more than one space: the careful path splits it."""


class _BadTimes(Exception):
    """A record's `start` is missing or not a time: the careful path rejects those lines."""


def _plausible_starts(start: pa.ChunkedArray) -> bool:
    if start.null_count:
        return False
    if len(start) == 0:
        return True
    bounds = pc.min_max(start).as_py()
    return plausible_seconds(bounds["min"]) and plausible_seconds(bounds["max"])


def _not_flowlogs_reason(first: bytes) -> str:
    text = first[:40].decode("utf-8", "replace")
    return f"this looks like JSON, not flow-log text (starts {text!r}); is it CloudTrail?"


def _column_names(fields: tuple[str, ...], cw_prefixed: bool) -> list[str]:
    names = [column_name(f) for f in fields]
    return [_CW_COLUMN, *names] if cw_prefixed else names


def _empty(fields: tuple[str, ...]) -> pa.Table:
    return pa.schema([(column_name(f), field_type(f)) for f in fields]).empty_table()


def _fast(
    data: bytes, start: int, fields: tuple[str, ...], cw_prefixed: bool
) -> tuple[pa.Table, list[Reject]]:
    names = _column_names(fields, cw_prefixed)
    types = {column_name(f): field_type(f) for f in fields}
    if cw_prefixed:
        types[_CW_COLUMN] = pa.string()
    bad_rows: list[tuple[int | None, str, int]] = []
    spaced: list[int | None] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        found = row.actual_columns - (1 if cw_prefixed else 0)
        try:
            text = row.text
        except UnicodeDecodeError:  # the careful path names the line and the byte
            spaced.append(row.number)
            return "skip"
        if len(text.split()) - (1 if cw_prefixed else 0) == len(fields):
            spaced.append(row.number)  # runs of spaces (AWS's documentation prints such records)
        bad_rows.append((row.number, text, found))
        return "skip"

    if not data.isascii():
        data.decode("utf-8")  # not UTF-8: the careful path names each bad line (pyarrow cannot)
    buffer = pa.py_buffer(data)
    if start:
        buffer = buffer.slice(start)
    table = pcsv.read_csv(
        buffer,
        read_options=pcsv.ReadOptions(column_names=names, block_size=_BLOCK, use_threads=False),
        parse_options=pcsv.ParseOptions(
            delimiter=" ",
            quote_char=False,
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types=types,
            null_values=["-"],
            strings_can_be_null=True,
            check_utf8=True,
        ),
    )
    if spaced:
        raise _Spacing
    if cw_prefixed:
        table = table.drop_columns([_CW_COLUMN])
    offset = data.count(b"\n", 0, start) if start else 0
    positions: dict[str, Iterator[int]] = {}
    rejects = []
    for number, text, found in bad_rows:
        if number is not None:
            line: int | None = number + offset
        else:  # Arrow's threaded reader does not know row numbers: find the line itself
            line = next(positions.setdefault(text, line_numbers_of(data, text, start)), None)
        reason = f"expected {len(fields)} fields, found {found}"
        rejects.append(Reject(line=line, reason=reason, raw=text))
    rejects.sort(key=lambda r: r.line or 0)
    return table, rejects


def _slow(
    data: bytes, start: int, fields: tuple[str, ...], cw_prefixed: bool
) -> tuple[pa.Table, list[Reject]]:
    types = [field_type(f) for f in fields]
    start_at = fields.index("start") if "start" in fields else None
    columns: list[list[object]] = [[] for _ in fields]
    rejects: list[Reject] = []
    first_line = data.count(b"\n", 0, start) + 1
    for lineno, raw in enumerate(data[start:].split(b"\n"), start=first_line):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"bytes that are not UTF-8 at column {exc.start + 1}"
            rejects.append(Reject(lineno, reason, raw.decode("utf-8", "backslashreplace")))
            continue
        tokens = text.split()
        if cw_prefixed and tokens and _CW_PREFIX.match(raw):
            tokens = tokens[1:]
        if len(tokens) != len(fields):
            reason = f"expected {len(fields)} fields, found {len(tokens)}"
            rejects.append(Reject(lineno, reason, text))
            continue
        values, problem = _convert(tokens, fields, types)
        if problem is None and start_at is not None and not plausible_seconds(values[start_at]):
            token = tokens[start_at]
            problem = (
                f"field {start_at + 1} (start): {token!r} is not a time "
                "(Unix seconds between 2006 and 9999)"
            )
        if problem is not None:
            rejects.append(Reject(lineno, problem, text))
            continue
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    arrays = [pa.array(col, type=typ) for col, typ in zip(columns, types, strict=True)]
    return pa.table(arrays, names=[column_name(f) for f in fields]), rejects


def _convert(
    tokens: list[str], fields: tuple[str, ...], types: list[pa.DataType]
) -> tuple[list[object], str | None]:
    values: list[object] = []
    for pos, (token, name, typ) in enumerate(zip(tokens, fields, types, strict=True), start=1):
        if token == "-":
            values.append(None)
            continue
        bounds = _INT_RANGES.get(typ)
        if bounds is None:
            values.append(token)
            continue
        if not _INTEGER.match(token):
            return values, f"field {pos} ({name}): {token!r} is not an integer"
        if len(token) > 20:
            return values, f"field {pos} ({name}): {token[:24]}… is out of range for {typ}"
        number = int(token)
        if not bounds[0] <= number <= bounds[1]:
            return values, f"field {pos} ({name}): {token} is out of range for {typ}"
        values.append(number)
    return values, None


def parse_flowlogs_parquet(data: bytes, source: str) -> ParseResult:
    """Parquet delivery (`FileFormat=parquet`): columns renamed to Athena's names and typed."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise FormatError(f"unreadable Parquet file: {exc}", source=source) from exc
    fields = tuple(name.replace("_", "-") for name in table.column_names)
    notices = []
    unknown = unknown_fields(fields)
    if unknown:
        notices.append(f"{source}: unknown flow-log field(s) kept as text: {', '.join(unknown)}")
    columns = []
    for name, field in zip(table.column_names, fields, strict=True):
        column = table[name]
        target = field_type(field)
        try:
            columns.append(column.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise FormatError(
                f"column {name}: cannot read as {target}: {exc}", source=source
            ) from exc
    table = pa.table(columns, names=[column_name(f) for f in fields])
    rejects: list[Reject] = []
    if "start" in table.column_names and not _plausible_starts(table["start"]):
        starts: list[int | None] = table["start"].to_pylist()
        bad = [i for i, v in enumerate(starts) if not plausible_seconds(v)]
        for i in bad[:1000]:
            rejects.append(Reject(None, f"row {i + 1}: start {starts[i]!r} is not a time"))
        if len(bad) > 1000:
            rejects.append(Reject(None, f"… and {len(bad) - 1000} more rows without a time"))
        keep = pa.array([plausible_seconds(v) for v in starts])
        table = table.filter(keep)
    return ParseResult(table, rejects, notices)
