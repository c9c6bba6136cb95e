"""Route 53 Resolver query logs (spec §11): one JSON record a line → the `dns_logs` columns.

The same reader serves S3 delivery, Firehose output and CloudWatch Logs exports (whose lines
start with the event's time). The fast path hands the whole object to Arrow's JSON reader with
the lake's types, which refuses unknown keys and values of the wrong type; then the times,
ports and versions are checked in bulk. A file it declines (an unknown key, a wrong type, a
bad time, a version other than 1.x, a malformed, blank or over-long line) is read again in
chunks of lines; a chunk the fast path declines too is read line by line by
`route53_resolver_records`: each bad line is rejected with its number and a reason naming the
field, and the rest is taken.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from vigil.formats.common import ParseResult, Reject
from vigil.formats.route53_resolver_records import EXPORT_STAMP, MAX_LINE, SCHEMA, parse_lines
from vigil.formats.timestamps import UTC_MS, all_plausible

_VERSION_1: Final = r"^1(\.[0-9]+)?$"
_STAMPS: Final = re.compile(rb"(?m)^" + EXPORT_STAMP.pattern)
_READ: Final = pj.ReadOptions(use_threads=False)  # ingest parallelises files
CHUNK: Final = 4096  # lines read together once a file needs a closer look
_SCAN: Final = 1 << 22  # bytes looked at at once for line ends (small temporary arrays)


def _parse_options(port: pa.DataType) -> pj.ParseOptions:
    fields = [f for f in SCHEMA if f.name not in ("extra_fields", "query_ts")]
    schema = pa.schema([pa.field(f.name, port) if f.name == "srcport" else f for f in fields])
    return pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")


# srcport is a string in AWS's example and an int in Athena's table: a file is read with one,
# then the other.
_PORT_AS: Final = (_parse_options(pa.string()), _parse_options(pa.int64()))


def parse_dns(data: bytes, uri: str) -> ParseResult:
    """The records of one (decompressed) query-log object; `uri` names it in messages."""
    del uri  # rejections carry line numbers; the caller names the object
    table = _fast(data)
    if table is not None:
        return ParseResult(table)
    return _by_chunks(data)


def _by_chunks(data: bytes) -> ParseResult:
    """A file the fast path declined, CHUNK lines at a time: the chunks it takes are read in
    bulk, the others line by line (so one bad line costs a chunk, not the file)."""
    lines = data.split(b"\n")
    tables: list[pa.Table] = []
    rejects: list[Reject] = []
    for start in range(0, len(lines), CHUNK):
        chunk = b"\n".join(lines[start : start + CHUNK])
        table = _fast(chunk)
        if table is None:
            table, bad = parse_lines(chunk)
            rejects += [replace(r, line=(r.line or 0) + start) for r in bad]
        tables.append(table)
    return ParseResult(pa.concat_tables(tables), rejects)


def _fast(data: bytes) -> pa.Table | None:
    """Every record of `data` in bulk, or None when any line needs the careful path."""
    body = _unstamped(data)
    lines = _line_count(body)
    if lines is None or not _utf8(body):
        return None
    for options in _PORT_AS:
        try:
            parsed = pj.read_json(io.BytesIO(body), read_options=_READ, parse_options=options)
        except pa.ArrowInvalid as exc:
            if "/srcport" in str(exc):
                continue  # the other way of writing the port
            return None
        except (pa.ArrowException, UnicodeError):
            return None
        # several records on one line are read by Arrow, but are not what AWS writes
        return _finished(parsed) if parsed.num_rows == lines else None
    return None


def _unstamped(data: bytes) -> bytes:
    """A CloudWatch Logs export without the time before each line's record."""
    if EXPORT_STAMP.match(data[:64]) is None:
        return data
    return _STAMPS.sub(b"", data)


def _utf8(body: bytes) -> bool:
    """Arrow's reader does not check that text is UTF-8 (ASCII, the usual case, is checked fast)."""
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _line_count(body: bytes) -> int | None:
    """How many lines `body` has, or None when one is blank or longer than MAX_LINE."""
    if not body:
        return 0
    ends = np.concatenate(
        [
            np.flatnonzero(np.frombuffer(body, np.uint8, min(_SCAN, len(body) - at), at) == 10) + at
            for at in range(0, len(body), _SCAN)
        ]
    )
    if body[-1:] != b"\n":
        ends = np.append(ends, len(body))
    lengths = np.diff(ends, prepend=-1) - 1
    if len(lengths) and (lengths.max() > MAX_LINE or lengths.min() < 2):
        return None  # the careful path rejects the long lines, skips the blank ones
    return len(lengths)


def _finished(parsed: pa.Table) -> pa.Table | None:
    """The lake's columns, or None when a value needs a record-by-record look."""
    n = parsed.num_rows
    required = (parsed["query_name"], parsed["query_timestamp"])
    if any(c.null_count for c in required):
        return None
    if not pc.all(pc.match_substring_regex(parsed["version"], _VERSION_1), min_count=0).as_py():
        return None
    try:
        query_ts = parsed["query_timestamp"].cast(UTC_MS)
        port = parsed["srcport"].cast(pa.int32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not all_plausible(query_ts) or not _ports(port):
        return None
    columns = {
        **{name: parsed[name] for name in parsed.column_names},
        "srcport": port,
        "answers": parsed["answers"].cast(SCHEMA.field("answers").type),
        "extra_fields": pa.nulls(n, pa.string()),
        "query_ts": query_ts,
    }
    return pa.Table.from_arrays([columns[f.name] for f in SCHEMA], schema=SCHEMA)


def _ports(port: pa.ChunkedArray) -> bool:
    if port.null_count == len(port):
        return True
    bounds = pc.min_max(port).as_py()
    return bool(bounds["min"] >= 0 and bounds["max"] <= 65535)
