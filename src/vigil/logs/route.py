"""Ingested flow logs and CloudTrail records, delivered to log groups as AWS delivers them.

Flow logs: one stream per interface (`eni-…-all`), one event per record in the default
format, stamped with the record's start. CloudTrail: one stream per account and region
(`<account>_CloudTrail_<region>`), one event per record as JSON with CloudTrail's key names,
stamped with its eventTime. The group's metric filters run on the events, as on any put.
This is delivery, not PutLogEvents: events older than 14 days are kept (an import of history).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.formats.cloudtrail_json import record_of
from vigil.lake.locking import lake_lock
from vigil.lake.tables import LOG_EVENTS
from vigil.lake.writer import Batch
from vigil.logs.groups import LogsError, LogStore
from vigil.logs.put import InputEvent, OnStored, by_day, commit, events_table
from vigil.query.engine import open_engine

FLOW_FIELDS: Final = ("version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport",
                      "dstport", "protocol", "packets", "bytes", "start", "end", "action",
                      "log_status")  # fmt: skip


def _flow_events(files: list[Path]) -> dict[str, list[InputEvent]]:
    message = "concat_ws(' ', " + ", ".join(
        f"coalesce(CAST(\"{c}\" AS VARCHAR), '-')" for c in FLOW_FIELDS
    ) + ")"  # fmt: skip
    with open_engine(None) as engine:
        rows = engine.rows(
            f"SELECT interface_id || '-all', \"start\" * 1000, {message} "
            f"FROM {engine.files(files)} ORDER BY 2"
        )
    out: dict[str, list[InputEvent]] = {}
    for stream, stamp, text in rows:
        out.setdefault(stream or "unknown-all", []).append(InputEvent(int(stamp), text))
    return out


def _trail_events(files: list[Path]) -> dict[str, list[InputEvent]]:
    with open_engine(None) as engine:
        table = engine.query(f"SELECT * FROM {engine.files(files, hive=True)} ORDER BY event_ts")
    out: dict[str, list[InputEvent]] = {}
    for row in table.to_pylist():
        stamp = row.get("event_ts")
        if stamp is None:
            continue
        stream = f"{row.get('recipientaccountid')}_CloudTrail_{row.get('awsregion')}"
        text = json.dumps(record_of(row), separators=(",", ":"))
        out.setdefault(stream, []).append(InputEvent(int(stamp.timestamp() * 1000), text))
    return out


def route(
    settings: Settings, table: str, files: list[Path], group: str, on_stored: OnStored | None
) -> int:
    """Deliver the rows of freshly written lake files to a log group; returns events."""
    if not files:
        return 0
    streams = _flow_events(files) if table == "flow_logs" else _trail_events(files)
    with LogStore(settings) as store:
        try:
            info = store.group(group)
        except LogsError:
            info = store.create_group(group)
        known = {s.name for s in store.streams(group)}
        for name in sorted(set(streams) - known):
            store.create_stream(group, name)
    now = now_ms()  # after the group exists: its events are those ingested since
    batch = Batch(LOG_EVENTS)
    total = 0
    for stream, events in streams.items():
        for day, rows in by_day(events).items():
            batch.add((info.account, info.region, day), events_table(group, stream, rows, now))
        total += len(events)
    with lake_lock(settings.home):
        commit(settings, batch)
    with LogStore(settings) as store:
        for stream, events in streams.items():
            size = sum(len(e.message.encode()) for e in events)
            store.record_put(group, stream, events[0].timestamp, events[-1].timestamp, now, size)
    delivered = [(e.timestamp, e.message) for events in streams.values() for e in events]
    if on_stored is not None:
        on_stored(settings, group, sorted(delivered), True)
    return total
