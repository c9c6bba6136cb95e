"""Route 53 Resolver query-log records one line at a time (spec §11.2): the careful path.

Every line is decoded on its own, so a bad line is rejected with its number and a reason that
names the field, and the rest of the file is still taken. `route53_resolver` uses this path only
for files its columnar reader declines.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
import pyarrow as pa

from vigil import clock
from vigil.formats.common import Reject
from vigil.formats.timestamps import UTC_MS, time_problem

MAX_LINE: Final = 1 << 20  # bytes; a longer line is rejected unread
MAX_DEPTH: Final = 32  # levels of nesting allowed inside an unknown field's value
_RAW_SHOWN: Final = 1024  # characters of an oversized line kept in its rejection
# A CloudWatch Logs export writes each event as "<ISO time> <message>".
EXPORT_STAMP: Final = re.compile(
    rb"[ \t]*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z[ \t]+(?=\{)"
)

ANSWER: Final = pa.struct([("Rdata", pa.string()), ("Type", pa.string()), ("Class", pa.string())])
SRCIDS: Final = pa.struct(
    [
        ("instance", pa.string()),
        ("resolver_endpoint", pa.string()),
        ("resolver_network_interface", pa.string()),
    ]
)
_TEXT: Final = (
    *("version", "account_id", "region", "vpc_id", "query_timestamp"),
    *("query_name", "query_type", "query_class", "rcode"),
)
_FIREWALL: Final = ("firewall_rule_action", "firewall_rule_group_id", "firewall_domain_list_id")
# The columns a record gives, in the lake's order; ingest adds the ones derived from others
# (`registered_domain` from query_name, `srcaddr_ipv4` from srcaddr).
SCHEMA: Final = pa.schema(
    [
        *[(name, pa.string()) for name in _TEXT],
        ("answers", pa.list_(ANSWER)),
        ("srcaddr", pa.string()),
        ("srcport", pa.int32()),
        ("transport", pa.string()),
        ("srcids", SRCIDS),
        *[(name, pa.string()) for name in _FIREWALL],
        ("extra_fields", pa.string()),
        ("query_ts", UTC_MS),
    ]
)
KNOWN: Final = frozenset(SCHEMA.names) - {"extra_fields", "query_ts"}
STRINGS: Final = frozenset(KNOWN - {"answers", "srcport", "srcids"})
# Answer members are capitalised in records, lower-case in AWS's field list (§11.2).
_ANSWER_KEYS: Final = {
    "rdata": "Rdata",
    "type": "Type",
    "class": "Class",
    "answer_type": "Type",
    "answer_class": "Class",
}
_SRCID_KEYS: Final = frozenset(SRCIDS.names)
_DECODE: Final = msgspec.json.Decoder()
Row = dict[str, Any]


def parse_lines(data: bytes) -> tuple[pa.Table, list[Reject]]:
    """Every non-blank line of `data` as one record; the ones that cannot be taken rejected."""
    rows: list[Row] = []
    rejects: list[Reject] = []
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > MAX_LINE:
            shown = line[:_RAW_SHOWN].decode("utf-8", "backslashreplace") + "…"
            reason = f"line of {len(line):,} bytes is longer than {MAX_LINE:,} (not read)"
            rejects.append(Reject(lineno, reason, shown))
            continue
        if not line.strip():
            continue
        row, problem = record(line)
        if row is None:
            rejects.append(Reject(lineno, problem, line.decode("utf-8", "backslashreplace")))
        else:
            rows.append(row)
    return table_of(rows), rejects


def table_of(rows: list[Row]) -> pa.Table:
    arrays = [pa.array([row[f.name] for row in rows], type=f.type) for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def record(line: bytes) -> tuple[Row | None, str]:
    """One line as a row, or None and why not."""
    stamp = EXPORT_STAMP.match(line)
    if stamp:
        line = line[stamp.end() :]
    try:
        item = _DECODE.decode(line)
    except RecursionError:
        return None, "nesting too deep to decode"
    except msgspec.DecodeError as exc:
        return None, f"malformed JSON: {exc}"
    except UnicodeDecodeError:
        return None, f"bytes that are not UTF-8 at column {_bad_utf8_at(line) + 1}"
    if not isinstance(item, dict):
        return None, f"expected a JSON object, found {_kind(item)}"
    return _row(item)


def _bad_utf8_at(line: bytes) -> int:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def _row(item: dict[str, Any]) -> tuple[Row | None, str]:
    row: Row = {}
    extra: dict[str, Any] = {}
    for key, value in item.items():
        if key in KNOWN:
            row[key] = value
        else:
            extra[key] = value
    for name in STRINGS:
        value = row.setdefault(name, None)
        if value is not None and not isinstance(value, str):
            return None, f"{name}: expected a string, found {_kind(value)}"
    problem = (
        _required(row)
        or _version(row["version"])
        or _port(row)
        or _answers(row)
        or _srcids(row)
        or _depth(extra)
    )
    if problem:
        return None, problem
    row["query_ts"] = clock.to_ms(clock.parse_iso(row["query_timestamp"]))
    row["extra_fields"] = msgspec.json.encode(extra).decode() if extra else None
    return row, ""


def _required(row: Row) -> str | None:
    if row["query_name"] is None:
        return "no query_name"
    return time_problem(row["query_timestamp"], "query_timestamp")


def _version(text: str | None) -> str | None:
    """Only major version 1 is known; a new major version may change what fields mean."""
    if text is None:
        return None
    major = text.strip().split(".", 1)[0]
    if not major.isascii() or not major.isdigit() or len(major) > 9:
        return f"version {text[:40]!r} is not a version number"
    if int(major) != 1:
        return f"version {text!r}: major version {int(major)} is not supported (only 1.x)"
    return None


def _port(row: Row) -> str | None:
    value = row.setdefault("srcport", None)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value) if len(value) <= 9 else 1 << 31  # out of range either way
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        return f"srcport: expected a port number, found {_kind(value)} {value!r}"
    if not 0 <= number <= 65535:
        return f"srcport {value!r} is outside 0-65535"
    row["srcport"] = number
    return None


def _answers(row: Row) -> str | None:
    value = row.setdefault("answers", None)
    if value is None:
        return None
    if not isinstance(value, list):
        return f"answers: expected an array, found {_kind(value)}"
    answers = []
    for index, member in enumerate(value):
        if not isinstance(member, dict):
            return f"answers[{index}]: expected an object, found {_kind(member)}"
        answer: dict[str, Any] = {}
        for key, text in member.items():
            name = _ANSWER_KEYS.get(key.lower())
            if name is None:
                continue  # a member AWS may add later; the three known ones are kept
            if text is not None and not isinstance(text, str):
                return f"answers[{index}].{key}: expected a string, found {_kind(text)}"
            answer[name] = text
        answers.append(answer)
    row["answers"] = answers
    return None


def _srcids(row: Row) -> str | None:
    value = row.setdefault("srcids", None)
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"srcids: expected an object, found {_kind(value)}"
    for key, text in value.items():
        if key in _SRCID_KEYS and text is not None and not isinstance(text, str):
            return f"srcids.{key}: expected a string, found {_kind(text)}"
    return None


def _depth(extra: dict[str, Any]) -> str | None:
    """Unknown fields are kept as JSON text; one nested deeper than MAX_DEPTH is refused."""
    for key, value in extra.items():
        level = [value]
        for depth in range(1, MAX_DEPTH + 2):
            level = [
                child
                for item in level
                if isinstance(item, (dict, list))
                for child in (item.values() if isinstance(item, dict) else item)
            ]
            if not level:
                break
            if depth > MAX_DEPTH:
                return f"{key}: nesting too deep (more than {MAX_DEPTH} levels)"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
