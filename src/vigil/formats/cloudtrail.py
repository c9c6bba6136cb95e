"""CloudTrail records → Arrow: S3 log files, CloudWatch Logs lines and EventBridge events.

Accepted shapes: `{"Records": […]}` files (S3 delivery), one record per line (CloudWatch Logs
delivery and its exports, optionally prefixed by the export's timestamp), and EventBridge
"AWS API Call via CloudTrail" events (one per line, one per file, or a JSON array), whose
`detail` is the record.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import msgspec
import pyarrow as pa

from vigil.errors import FormatError
from vigil.formats.cloudtrail_fast import fast_tables
from vigil.formats.cloudtrail_model import COLUMNS, EVENT_TS, LogFile, Record, lake_schema
from vigil.formats.columnar import build_array, columns_of
from vigil.formats.common import ParseResult, Reject
from vigil.formats.timestamps import event_ts, time_problem

_DECODE_FILE: Final = msgspec.json.Decoder(LogFile)
_DECODE_RECORD: Final = msgspec.json.Decoder(Record)
_LENIENT_RECORD: Final = msgspec.json.Decoder(Record, strict=False)
_DECODE_ANY: Final = msgspec.json.Decoder()
_CW_PREFIX: Final = re.compile(rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ")
_RECORDS_KEY: Final = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
DIGEST_MARKER: Final = b'"digestStartTime"'
# A record with where it came from: (line or None, a label such as "record 3: ").
Numbered = tuple[tuple[int | None, str], Record]


def is_digest(data: bytes) -> bool:
    """CloudTrail digest files are recorded, never ingested as events."""
    return DIGEST_MARKER in data[:4096]


def is_log_file(data: bytes) -> bool:
    """The S3 delivery shape, `{"Records": […]}`, which the fast path reads."""
    return bool(_RECORDS_KEY.match(data))


def parse_cloudtrail(data: bytes, source: str, fast: pa.Table | None = None) -> ParseResult:
    """`fast` is this file's table when it was already read on the fast path with others.
    Content no JSON reader can take (too deep, not UTF-8, numbers too long) is a FormatError."""
    if fast is not None:
        return ParseResult(fast)
    try:
        return _parse(data, source)
    except RecursionError as exc:
        raise FormatError("JSON nested too deeply to read", source=source) from exc
    except UnicodeDecodeError as exc:
        raise FormatError(f"bytes that are not UTF-8 at byte {exc.start}", source=source) from exc
    except msgspec.DecodeError as exc:
        raise FormatError(f"not valid JSON: {exc}", source=source) from exc
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise FormatError(f"cannot read the JSON: {exc}", source=source) from exc


def _parse(data: bytes, source: str) -> ParseResult:
    stripped = data.lstrip()
    if not stripped:
        raise FormatError("the file is empty", source=source)
    if stripped[:1] not in (b"{", b"["):
        start = stripped[:40].decode("utf-8", "replace")
        if not _CW_PREFIX.match(stripped):
            raise FormatError(
                f"this is not CloudTrail JSON (starts {start!r}); is it a flow log?",
                source=source,
                line=1,
                hint="use --type flowlogs, or --type auto to let Vigil decide",
            )
    if _RECORDS_KEY.match(data):
        tables = fast_tables([data])
        if tables is not None:
            return ParseResult(tables[0])
        records, rejects = _log_file(data, source)
    else:
        records, rejects = _events(data)
    timed, late = _timed(records)
    result = ParseResult(to_table(timed), sorted(rejects + late, key=_order))
    borrowed = sum(1 for r in timed if r.atTimestamp is not None and r.atTimestamp == r.eventTime)
    if borrowed:
        result.notices.append(
            f"{source}: {borrowed} record(s) without eventTime took their @timestamp as the "
            "event time (a Logstash or Elastic export)"
        )
    return result


def _order(reject: Reject) -> int:
    return reject.line if reject.line is not None else 0


def _timed(records: list[Numbered]) -> tuple[list[Record], list[Reject]]:
    """Records whose eventTime can be read; the others rejected with the reason (a record
    without a usable time would be filed on the wrong day, or in 1970)."""
    kept: list[Record] = []
    rejects: list[Reject] = []
    for where, record in records:
        if record.eventTime is None and record.atTimestamp is not None:
            record.eventTime = record.atTimestamp  # counted as borrowed by the caller
        problem = time_problem(record.eventTime)
        if problem is None:
            kept.append(record)
            continue
        line, label = where
        raw = msgspec.json.encode(record).decode("utf-8", "backslashreplace")
        rejects.append(Reject(line, f"{label}{problem}", raw))
    return kept, rejects


def to_table(records: list[Record]) -> pa.Table:
    if not records:
        return lake_schema().empty_table()
    values = columns_of(records, [attr for _, attr, _ in COLUMNS])
    arrays = [build_array(col, typ) for col, (_, _, typ) in zip(values, COLUMNS, strict=True)]
    names = [col for col, _, _ in COLUMNS]
    table = pa.table(arrays, names=names)
    return table.append_column(EVENT_TS, event_ts(table["eventtime"]))


def _log_file(data: bytes, source: str) -> tuple[list[Numbered], list[Reject]]:
    try:
        records = _DECODE_FILE.decode(data).Records
        return [((None, f"record {i}: "), r) for i, r in enumerate(records)], []
    except msgspec.ValidationError:
        return _one_by_one(data)
    except msgspec.DecodeError as exc:
        return _salvage(data, source, str(exc))


def _one_by_one(data: bytes) -> tuple[list[Numbered], list[Reject]]:
    """Typed decoding failed somewhere: decode each record alone to find which."""
    raw_records = _DECODE_ANY.decode(data)["Records"]
    records: list[Numbered] = []
    rejects: list[Reject] = []
    for index, item in enumerate(raw_records):
        try:
            records.append(((None, f"record {index}: "), _record(item)))
        except msgspec.ValidationError as exc:
            rejects.append(Reject(None, f"record {index}: {exc}", json.dumps(item)))
    return records, rejects


def _salvage(data: bytes, source: str, error: str) -> tuple[list[Numbered], list[Reject]]:
    """Malformed JSON: keep every record before the break, report where it broke."""
    text = data.decode("utf-8", "replace")
    start = text.index("[") + 1
    decoder = json.JSONDecoder()
    records: list[Numbered] = []
    pos = start
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            line = text.count("\n", 0, pos) + 1
            item, pos = decoder.raw_decode(text, pos)
            records.append(((line, ""), _record(item)))
        except (ValueError, msgspec.ValidationError):
            line = text.count("\n", 0, pos) + 1
            reason = f"malformed JSON at line {line}, character {pos + 1}: {error}"
            return records, [Reject(line, reason, text[pos:])]
    return records, []


def _events(data: bytes) -> tuple[list[Numbered], list[Reject]]:
    """One JSON document per line, or one (pretty-printed) document, or a JSON array."""
    try:
        whole = _DECODE_ANY.decode(data)
    except msgspec.DecodeError:
        return _lines(data)
    items = whole if isinstance(whole, list) else [whole]
    records: list[Numbered] = []
    rejects: list[Reject] = []
    for index, item in enumerate(items):
        record, problem = _from_item(item)
        if record is not None:
            records.append(((None, f"item {index}: "), record))
        else:
            rejects.append(Reject(None, f"item {index}: {problem}", json.dumps(item)))
    return records, rejects


def _lines(data: bytes) -> tuple[list[Numbered], list[Reject]]:
    records: list[Numbered] = []
    rejects: list[Reject] = []
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        line = line.strip()
        if not line:
            continue
        prefix = _CW_PREFIX.match(line)
        if prefix:
            line = line[prefix.end() :]
        try:
            fast = _DECODE_RECORD.decode(line)
            if fast.eventTime is not None or fast.eventVersion is not None:
                records.append(((lineno, ""), fast))
                continue
        except msgspec.DecodeError:  # includes ValidationError; the slow path says why
            pass
        try:
            item = _DECODE_ANY.decode(line)
        except msgspec.DecodeError as exc:
            rejects.append(
                Reject(lineno, f"malformed JSON: {exc}", line.decode("utf-8", "backslashreplace"))
            )
            continue
        record, problem = _from_item(item)
        if record is None:
            rejects.append(Reject(lineno, problem, line.decode("utf-8", "backslashreplace")))
        else:
            records.append(((lineno, ""), record))
    return records, rejects


def _from_item(item: Any) -> tuple[Record | None, str]:
    if not isinstance(item, dict):
        return None, f"expected a JSON object, found {type(item).__name__}"
    if "detail-type" in item and isinstance(item.get("detail"), dict):
        if (
            item["detail-type"] != "AWS API Call via CloudTrail"
            and "eventName" not in item["detail"]
        ):
            return None, f"EventBridge event of type {item['detail-type']!r} is not CloudTrail"
        item = item["detail"]
    if "eventTime" not in item and "eventVersion" not in item and "@timestamp" not in item:
        return None, "not a CloudTrail record (no eventVersion, eventTime or @timestamp)"
    try:
        return _record(item), ""
    except msgspec.ValidationError as exc:
        return None, f"invalid CloudTrail record: {exc}"


def _record(item: Any) -> Record:
    """A record from already-decoded JSON (slow paths only): encode it and decode it typed."""
    return _LENIENT_RECORD.decode(msgspec.json.encode(item))
