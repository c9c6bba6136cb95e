"""The agent's pure parts: a record's time from a `timestamp_format` (the CloudWatch agent's
strftime codes), multi-line records by a start pattern, syslog lines (RFC 5424 and RFC 3164),
and batches within PutLogEvents' limits (10,000 events, 1,048,576 bytes with 26 bytes an
event, 24 hours apart at most, in time order)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

MAX_EVENTS: Final = 10_000
MAX_BYTES: Final = 1_048_576
OVERHEAD: Final = 26
MAX_EVENT: Final = 262_144 - OVERHEAD
DAY_MS: Final = 86_400_000
_CODES: Final = {
    "%Y": r"\d{4}", "%y": r"\d{2}", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%-d": r"\d{1,2}",
    "%H": r"\d{1,2}", "%I": r"\d{1,2}", "%M": r"\d{2}", "%S": r"\d{2}", "%f": r"\d{1,9}",
    "%b": r"[A-Za-z]{3}", "%B": r"[A-Za-z]+", "%a": r"[A-Za-z]{3}", "%A": r"[A-Za-z]+",
    "%p": r"[AaPp][Mm]", "%Z": r"[A-Za-z]{1,5}", "%z": r"(?:Z|[+-]\d{2}:?\d{2})", "%j": r"\d{3}",
    "%-m": r"\d{1,2}", "%-H": r"\d{1,2}", "%-I": r"\d{1,2}", "%-M": r"\d{1,2}",
    "%-S": r"\d{1,2}",
}  # fmt: skip
_CODE: Final = re.compile(r"%-?[A-Za-z]")


def format_regex(fmt: str) -> str:
    """A regex for text in this format (a space matches a run of them: syslog pads days)."""
    out, at = [], 0

    def literal(text: str) -> str:
        return r"\s+".join(re.escape(part) for part in text.split(" "))

    for m in _CODE.finditer(fmt):
        out.append(literal(fmt[at : m.start()]))
        out.append(_CODES.get(m[0], ".+?"))
        at = m.end()
    out.append(literal(fmt[at:]))
    return "".join(out)


class Clock:
    """How one file's records are timed: a `timestamp_format` found in the line, a JSON
    record's own time field, or else the time it was read."""

    def __init__(self, fmt: str | None = None, json_records: bool = False) -> None:
        self.fmt = fmt
        self.json = json_records
        self.regex = re.compile(format_regex(fmt)) if fmt else None

    def time_of(self, message: str, default_ms: int) -> int:
        if self.json:
            found = _json_time(message)
            if found is not None:
                return found
        if self.regex is None or self.fmt is None:
            return default_ms
        m = self.regex.search(message)
        if m is None:
            return default_ms
        try:
            moment = datetime.strptime(m[0], self.fmt.replace("%-", "%"))
        except ValueError:
            return default_ms
        if moment.year == 1900:  # no year in the format (syslog style): this year
            moment = moment.replace(year=datetime.now(UTC).year)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)


def _json_time(message: str) -> int | None:
    try:
        doc = json.loads(message)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    for key in ("timestamp", "@timestamp", "time", "ts"):
        value = doc.get(key)
        if isinstance(value, int | float):
            return int(value if value > 1e11 else value * 1000)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
                       * 1000)  # fmt: skip
    return None


@dataclass
class Line:
    text: str
    end: int  # the offset just past the line (its newline included)


@dataclass
class Record:
    message: str
    end: int  # the checkpoint once this record is sent


def group_lines(lines: Iterable[Line], start: re.Pattern[str] | None,
                pending: list[Line]) -> Iterator[Record]:  # fmt: skip
    """Records from lines: each line alone, or with a start pattern, a start line and the lines
    that follow it. The last record stays in `pending` (more may follow) until flushed."""
    for line in lines:
        if start is None:
            yield Record(line.text, line.end)
            continue
        if start.search(line.text) and pending:
            yield Record("\n".join(p.text for p in pending), pending[-1].end)
            pending.clear()
        pending.append(line)


def flush_pending(pending: list[Line]) -> Iterator[Record]:
    if pending:
        yield Record("\n".join(p.text for p in pending), pending[-1].end)
        pending.clear()


def batches(events: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    """Events (time-ordered inside each batch) split to PutLogEvents' limits; an event over
    256 KB is cut to it."""
    ordered = sorted(events, key=lambda e: e[0])
    batch: list[tuple[int, str]] = []
    size = 0
    for ts, message in ordered:
        data = message.encode()
        if len(data) > MAX_EVENT:
            message = data[:MAX_EVENT].decode(errors="ignore")
            data = message.encode()
        cost = len(data) + OVERHEAD
        if batch and (len(batch) >= MAX_EVENTS or size + cost > MAX_BYTES
                      or ts - batch[0][0] > DAY_MS):  # fmt: skip
            yield batch
            batch, size = [], 0
        batch.append((ts, message))
        size += cost
    if batch:
        yield batch


# -- syslog -------------------------------------------------------------------------------------
_RFC5424: Final = re.compile(
    r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+) ?(.*)", re.DOTALL
)
_RFC3164: Final = re.compile(r"<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}) (\S+) (.*)",
                             re.DOTALL)  # fmt: skip


@dataclass(frozen=True)
class Syslog:
    timestamp_ms: int
    host: str
    facility: int
    severity: int
    message: str  # the line as received


def parse_syslog(line: str, now_ms: int) -> Syslog:
    """A syslog message; what is not RFC 5424 or 3164 is kept as text at the time received."""
    text = line.rstrip("\r\n")
    m = _RFC5424.match(text)
    if m:
        pri = int(m[1])
        try:
            moment = datetime.fromisoformat(m[2].replace("Z", "+00:00"))
            ts = int(moment.timestamp() * 1000) if m[2] != "-" else now_ms
        except ValueError:
            ts = now_ms
        return Syslog(ts, m[3], pri // 8, pri % 8, text)
    m = _RFC3164.match(text)
    if m:
        pri = int(m[1])
        try:
            moment = datetime.strptime(m[2].replace("  ", " 0"), "%b %d %H:%M:%S").replace(
                year=datetime.now(UTC).year, tzinfo=UTC
            )
            ts = int(moment.timestamp() * 1000)
        except ValueError:
            ts = now_ms
        return Syslog(ts, m[3], pri // 8, pri % 8, text)
    return Syslog(now_ms, "-", 1, 5, text)


def octet_frames(buffer: bytearray) -> Iterator[str]:
    """Messages from a TCP stream: octet-counted (RFC 6587 `LEN SP MSG`) or newline-ended;
    what is incomplete stays in the buffer."""
    while buffer:
        m = re.match(rb"(\d{1,7}) ", buffer)
        if m and buffer[:1] != b"<":
            length = int(m[1])
            start = m.end()
            if len(buffer) < start + length:
                return
            yield buffer[start : start + length].decode(errors="replace")
            del buffer[: start + length]
            continue
        end = buffer.find(b"\n")
        if end < 0:
            return
        yield buffer[:end].decode(errors="replace")
        del buffer[: end + 1]
