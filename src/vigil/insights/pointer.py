"""`@ptr`: the pointer an Insights result row that is one log event carries, and GetLogRecord,
which reads that event back whole.

A pointer names the event's group, stream, timestamp (the lake's partition to read) and event
id, sealed with an HMAC keyed from the home's own secret: it is opaque to clients, stable for
the event, and one that was not made here (forged or altered) is refused before anything is
read. It is only ever looked up as those values, among the group's live events in the lake.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from vigil.access.secrets import KEY_FILE, key_file
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.insights.sources import FLOW_FIELDS
from vigil.logs.groups import LogsError, LogStore
from vigil.logs.pattern_sql import literal
from vigil.logs.read import live_events_sql
from vigil.query.engine import client_engine

_MAC_BYTES: Final = 16
_VERSION: Final = 1
MAX_FIELDS: Final = 1000  # fields discovered in one JSON message at most


@dataclass(frozen=True)
class Pointer:
    group: str
    stream: str
    timestamp: int
    event_id: str


@cache
def _key(home: Path) -> bytes:
    key_file(home)  # made on first use, and refused when others may read it
    secret = (home / KEY_FILE).read_bytes().strip()
    return hmac.new(secret, b"vigil insights @ptr v1", hashlib.sha256).digest()


def seal(settings: Settings, p: Pointer) -> str:
    body = json.dumps([_VERSION, p.group, p.stream, p.timestamp, p.event_id],
                      separators=(",", ":")).encode()  # fmt: skip
    mac = hmac.new(_key(settings.home), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def unseal(settings: Settings, token: str) -> Pointer:
    """The pointer's event, or InvalidParameterException for text that is not a pointer this
    home made."""
    bad = LogsError("InvalidParameterException", "logRecordPointer is not a valid pointer",
                    hint="use the @ptr of a GetQueryResults row, as it was given")  # fmt: skip
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    expected = hmac.new(_key(settings.home), body, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, expected):
        raise bad
    version, group, stream, timestamp, event_id = json.loads(body)
    if version != _VERSION:
        raise bad
    return Pointer(str(group), str(stream), int(timestamp), str(event_id))


def get_log_record(settings: Settings, token: str) -> dict[str, str]:
    """GetLogRecord: the event's @timestamp and @ingestionTime (epoch ms), @message,
    @logStream, @log (`account:group`) and the fields Insights discovers: a JSON message's,
    flattened, or a default-format flow-log record's."""
    p = unseal(settings, token)
    gone = LogsError("ResourceNotFoundException", "the log record no longer exists (its "
                     "group was deleted, or the event expired)")  # fmt: skip
    with LogStore(settings) as store:
        try:
            info = store.group(p.group)
        except LogsError:
            raise gone from None
    source = live_events_sql(info, p.timestamp, p.timestamp + 1, now_ms())
    sql = (
        f"SELECT timestamp, ingestion_time, message FROM ({source}) WHERE "
        f"log_stream = {literal(p.stream)} AND event_id = {literal(p.event_id)} LIMIT 1"
    )
    with client_engine(settings) as engine:
        rows = engine.rows(sql, capped=False)
    if not rows:
        raise gone
    timestamp, ingested, message = rows[0]
    record = {"@timestamp": str(timestamp), "@ingestionTime": str(ingested),
              "@message": str(message), "@logStream": p.stream,
              "@log": f"{info.account}:{info.name}"}  # fmt: skip
    return {**json_fields(str(message)), **flow_fields(str(message)), **record}


def flow_fields(message: str) -> dict[str, str]:
    """A default-format (version 2) flow-log record's fields under Insights' names."""
    parts = message.split(" ")
    if len(parts) != len(FLOW_FIELDS) or parts[0] != "2":
        return {}
    return dict(zip(FLOW_FIELDS, parts, strict=True))


def json_fields(message: str) -> dict[str, str]:
    """A JSON object message's fields as Insights discovers them: keys flattened with dots,
    array elements under their index, a key starting `@` shown with one more `@`."""
    try:
        doc = json.loads(message)
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    out: dict[str, str] = {}

    def walk(value: object, path: str) -> None:
        if len(out) >= MAX_FIELDS:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else ("@" + k if k.startswith("@") else k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}.{i}")
        elif value is not None:
            out[path] = json.dumps(value) if isinstance(value, bool) else str(value)

    walk(doc, "")
    return out
