"""S3 server access log records, one line at a time: the exact reader (spec §12).

The columnar reader in `s3_access` takes the bulk of a file; this one reads the lines it could
not, to take the ones that are only unusual (runs of spaces, an odd field count) and to say of
the others which field, at which column, was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import pyarrow as pa

from vigil.formats.common import Reject
from vigil.formats.timestamps import EARLIEST_S, LATEST_S

# The 26 fields AWS documents, in order (Athena's column names); later ones are `extra_fields`.
FIELDS: Final = (
    "bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester", "requestid",
    "operation", "key", "request_uri", "httpstatus", "errorcode", "bytessent", "objectsize",
    "totaltime", "turnaroundtime", "referrer", "useragent", "versionid", "hostid", "sigv",
    "ciphersuite", "authtype", "endpoint", "tlsversion", "accesspointarn", "aclrequired",
)  # fmt: skip
REQUIRED: Final = FIELDS.index("hostid")  # older records end after versionid
TIME: Final = FIELDS.index("requestdatetime")
QUOTED: Final = frozenset({"request_uri", "referrer", "useragent"})
# Everything the parser hands the lake: its table but the integer address `conform` adds.
_TEXT: Final = ("bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester",
                 "requestid", "operation", "key", "request_uri")  # fmt: skip
_COUNTS: Final = ("bytessent", "objectsize", "totaltime", "turnaroundtime")
_TAIL: Final = ("referrer", "useragent", "versionid", "hostid", "sigv", "ciphersuite", "authtype",
                "endpoint", "tlsversion", "accesspointarn", "aclrequired", "extra_fields",
                "key_decoded")  # fmt: skip
# The lake's columns (Athena's names, in the logged order), less `remoteip_ipv4`, which the
# lake adds from remoteip.
SCHEMA: Final = pa.schema(
    [
        *[(name, pa.string()) for name in _TEXT],
        ("httpstatus", pa.int32()),
        ("errorcode", pa.string()),
        *[
            (name, pa.int64())
            for name in ("bytessent", "objectsize", "totaltime", "turnaroundtime")
        ],
        *[(name, pa.string()) for name in _TAIL],
        ("request_ts", pa.timestamp("ms", tz="UTC")),
    ]
)
INTEGERS: Final = {f.name: f.type for f in SCHEMA if pa.types.is_integer(f.type)}
MAX_LINE: Final = 64 * 1024
TIME_FORMAT: Final = "%d/%b/%Y:%H:%M:%S %z"

# The tokeniser of spec §12.1: a quoted field, a bracketed field, or a run of non-spaces. A
# closing quote or bracket ends its field: one followed by more text did not close it.
_TOKEN: Final = re.compile(r'"[^"]*"(?=\s|$)|\[[^\]]*\](?=\s|$)|\S+')
_DIGITS: Final = re.compile(r"[0-9]{1,18}")
_LIMITS: Final = {pa.int32(): 2**31 - 1, pa.int64(): 2**63 - 1}

Row = dict[str, object]


def exact_record(text: str) -> Row | str:
    """One record's values by column name, or why the line is not a record."""
    if len(text.encode("utf-8", "surrogateescape")) > MAX_LINE:
        return f"line is longer than 64 KiB ({len(text):,} characters)"
    found = tokens(text)
    if isinstance(found, str):
        return found
    if len(found) < REQUIRED:
        return (
            f"expected at least {REQUIRED} fields (bucketowner … versionid) or {len(FIELDS)}, "
            f"found {len(found)}"
        )
    row: Row = {}
    try:
        for pos, ((_, token), name) in enumerate(zip(found, FIELDS, strict=False), start=1):
            row[name] = _value(pos, name, token)
    except _BadField as exc:
        return str(exc)
    if len(found) > len(FIELDS):
        row["extra_fields"] = text[found[len(FIELDS)][0] :].strip()
    return row


class _BadField(ValueError):
    """A field whose text is not a value of its column (the message names it)."""


def tokens(text: str) -> list[tuple[int, str]] | str:
    tokens: list[tuple[int, str]] = []
    for match in _TOKEN.finditer(text):
        start, token = match.start(), match.group()
        field = _name(len(tokens) + 1)
        if start > 0 and not text[start - 1].isspace():
            return f"field {field}: no space before it at column {start + 1}"
        if token[0] == '"' and (len(token) == 1 or token[-1] != '"'):
            return f"field {field}: unterminated quote at column {start + 1}"
        if token[0] == "[" and token[-1] != "]":
            return f"field {field}: unterminated '[' at column {start + 1}"
        tokens.append((start, token))
    return tokens


def _name(pos: int) -> str:
    return f"{pos} ({FIELDS[pos - 1]})" if pos <= len(FIELDS) else f"{pos} (extra)"


def _value(pos: int, name: str, token: str) -> object:
    if name == "requestdatetime":
        return _time(pos, token)
    if name in QUOTED and len(token) >= 2 and token[0] == token[-1] == '"':
        token = token[1:-1]  # "-" is NULL too, as unquoted "-"
    if token == "-":
        return None
    limit = _LIMITS.get(INTEGERS.get(name, pa.null()))
    if limit is None:
        return token
    if not _DIGITS.fullmatch(token) or int(token) > limit:
        raise _BadField(f"field {pos} ({name}): {token[:40]!r} is not a count")
    return int(token)


def _time(pos: int, token: str) -> object:
    inner = token[1:-1] if token[:1] == "[" and token[-1:] == "]" else token
    try:
        moment = datetime.strptime(inner, TIME_FORMAT)
    except ValueError:
        raise _BadField(
            f"field {pos} (requestdatetime): {token[:40]!r} is not a time "
            "like [06/Feb/2019:00:00:38 +0000]"
        ) from None
    seconds = moment.timestamp()
    if not EARLIEST_S <= seconds <= LATEST_S:
        raise _BadField(f"field {pos} (requestdatetime): {inner!r} is outside 2006-9999")
    return inner


def time_ms(inner: str) -> int:
    """A checked `requestdatetime` text as milliseconds since the epoch."""
    return int(datetime.strptime(inner, TIME_FORMAT).timestamp()) * 1000


def exact_table(lines: Iterable[tuple[int, bytes]]) -> tuple[pa.Table, list[Reject]]:
    """The records among numbered raw lines (blank ones skipped), and the lines rejected.

    The table has the 26 fields, `extra_fields` and `request_ts`; no `key_decoded`.
    """
    rows: list[Row] = []
    rejects: list[Reject] = []
    for number, raw in lines:
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"bytes that are not UTF-8 at column {exc.start + 1}"
            rejects.append(Reject(number, reason, _shown(raw.decode("utf-8", "replace"))))
            continue
        got = exact_record(text)
        if isinstance(got, str):
            rejects.append(Reject(number, got, _shown(text)))
        else:
            rows.append(got)
    names = [*FIELDS, "extra_fields"]
    arrays = [pa.array([r.get(n) for r in rows], type=SCHEMA.field(n).type) for n in names]
    times = [time_ms(str(r["requestdatetime"])) for r in rows]
    arrays.append(pa.array(times, type=pa.int64()).cast(SCHEMA.field("request_ts").type))
    return pa.table(arrays, names=[*names, "request_ts"]), rejects


def _shown(text: str) -> str:
    """A rejected line as kept with its reason (a line past 64 KiB is cut)."""
    return text if len(text) <= MAX_LINE else text[:1024] + "…"
