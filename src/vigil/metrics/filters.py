"""Metric filters: a filter pattern on a log group that turns matching events into metrics.

As CloudWatch Logs: at most 100 per group; the metric value is a number, `$.json.path` or a
space-delimited `$field`; up to 3 dimensions from fields; a default value emitted for each
minute that had events but no match (not with dimensions). Filters apply to events as they
are put, and `backfill` applies one to events already stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.groups import LogsError, LogStore
from vigil.logs.pattern import Spaced, Terms
from vigil.logs.pattern_match import Matcher, compile_pattern
from vigil.metrics.store import UNITS, Datum, Metric, MetricStore
from vigil.state import Store

MAX_PER_GROUP: Final = 100
MAX_DIMENSIONS: Final = 3
_REF: Final = re.compile(r"\$(\.[A-Za-z0-9_\-@.\[\]]+|[A-Za-z0-9_\-@]+)")
_BAD_METRIC_CHARS: Final = re.compile(r"[:*$]")


@dataclass(frozen=True)
class MetricFilter:
    log_group: str
    name: str
    pattern: str
    metric_name: str
    namespace: str
    metric_value: str = "1"
    default_value: float | None = None
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str = "None"
    created_ms: int = 0

    def as_aws(self) -> dict[str, object]:
        transformation: dict[str, object] = {
            "metricName": self.metric_name, "metricNamespace": self.namespace,
            "metricValue": self.metric_value, "unit": self.unit,
        }  # fmt: skip
        if self.default_value is not None:
            transformation["defaultValue"] = self.default_value
        if self.dimensions:
            transformation["dimensions"] = dict(self.dimensions)
        return {"filterName": self.name, "logGroupName": self.log_group,
                "filterPattern": self.pattern, "creationTime": self.created_ms,
                "metricTransformations": [transformation]}  # fmt: skip


def check(f: MetricFilter, existing: list[MetricFilter]) -> None:
    def bad(message: str) -> LogsError:
        return LogsError("InvalidParameterException", f"metric filter {f.name!r}: {message}")

    if not 1 <= len(f.name) <= 512 or ":" in f.name or "*" in f.name:
        raise bad("the name has 1-512 characters, no ':' and no '*'")
    if len([e for e in existing if e.name != f.name]) >= MAX_PER_GROUP:
        raise LogsError("LimitExceededException", f"{f.log_group} has {MAX_PER_GROUP} filters")
    tree = compile_pattern(f.pattern).tree
    for label, text in (("metric name", f.metric_name), ("namespace", f.namespace)):
        if not 1 <= len(text) <= 255 or _BAD_METRIC_CHARS.search(text):
            raise bad(f"the {label} has 1-255 characters, none of : * $")
    refs = [f.metric_value] if f.metric_value.startswith("$") else []
    if not refs:
        try:
            float(f.metric_value)
        except ValueError as exc:
            raise bad(f"metricValue {f.metric_value!r}: a number, $.field or $field") from exc
    if len(f.metric_value) > 100:
        raise bad("metricValue has at most 100 characters")
    if len(f.dimensions) > MAX_DIMENSIONS:
        raise bad(f"at most {MAX_DIMENSIONS} dimensions")
    refs += [ref for _, ref in f.dimensions]
    if f.dimensions and isinstance(tree, Terms):
        raise bad("dimensions need a JSON or space-delimited pattern")
    if f.dimensions and f.default_value is not None:
        raise bad("a default value cannot be used with dimensions")
    for ref in refs:
        if not _REF.fullmatch(ref):
            raise bad(f"{ref!r} is not a $.json.path or a $field")
        if not ref.startswith("$.") and not isinstance(tree, Spaced):
            raise bad(f"{ref} names a space-delimited field; the pattern is not one")
    if f.unit not in UNITS:
        raise bad(f"unit {f.unit!r} is not a CloudWatch unit")


class FilterStore(Store):
    def put(self, f: MetricFilter) -> MetricFilter:
        """PutMetricFilter: create or replace."""
        with LogStore(self.settings) as logs:
            logs.group(f.log_group)
        check(f, self.filters(f.log_group))
        f = MetricFilter(**{**f.__dict__, "created_ms": now_ms()})
        with self.state.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO metric_filters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (f.log_group, f.name, f.pattern, f.metric_name, f.namespace, f.metric_value,
                 f.default_value, json.dumps(dict(f.dimensions)), f.unit, f.created_ms),
            )  # fmt: skip
        return f

    def filters(self, group: str | None = None, prefix: str = "") -> list[MetricFilter]:
        rows = self.state.db.execute(
            "SELECT * FROM metric_filters WHERE (? IS NULL OR log_group = ?) "
            "AND substr(name, 1, ?) = ? ORDER BY log_group, name",
            (group, group, len(prefix), prefix),
        ).fetchall()
        return [_row(r) for r in rows]

    def delete(self, group: str, name: str) -> None:
        with self.state.transaction() as db:
            gone = db.execute(
                "DELETE FROM metric_filters WHERE log_group = ? AND name = ?", (group, name)
            ).rowcount
        if not gone:
            raise LogsError("ResourceNotFoundException", f"no metric filter {name!r} on {group}")


def _row(r: tuple[object, ...]) -> MetricFilter:
    dims = tuple(json.loads(str(r[7])).items())
    default = None if r[6] is None else float(str(r[6]))
    return MetricFilter(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                        default, dims, str(r[8]), int(str(r[9])))  # fmt: skip


def datapoints(f: MetricFilter, events: Iterable[tuple[int, str]]) -> list[Datum]:
    """The metric data a filter makes of (timestamp ms, message) events, per minute."""
    matcher = compile_pattern(f.pattern)
    sums: dict[tuple[tuple[tuple[str, str], ...], int], list[float]] = {}
    minutes_seen: set[int] = set()
    for timestamp, message in events:
        minute = timestamp - timestamp % 60_000
        minutes_seen.add(minute)
        value = _value(matcher, f.metric_value, message)
        if value is None:
            continue
        dims = []
        for name, ref in f.dimensions:
            found = matcher.value(message, ref)
            if found is None or not found.strip():
                break
            dims.append((name, found[:1024]))
        else:
            sums.setdefault((tuple(sorted(dims)), minute), []).append(value)
    data = [
        Datum(Metric(f.namespace, f.metric_name, dims), minute, values=values, unit=f.unit)
        for (dims, minute), values in sorted(sums.items())
    ]
    if f.default_value is not None:
        matched = {minute for _, minute in sums}
        data += [Datum(Metric(f.namespace, f.metric_name), minute, value=f.default_value,
                       unit=f.unit) for minute in sorted(minutes_seen - matched)]  # fmt: skip
    return [_compact(d) for d in data]


def _compact(datum: Datum) -> Datum:
    """Values with counts (at most 150 distinct per datum), as PutMetricData allows."""
    if not datum.values:
        return datum
    counts: dict[float, float] = {}
    for v in datum.values:
        counts[v] = counts.get(v, 0.0) + 1.0
    if len(counts) > 150:
        total = sum(datum.values)
        stats = (float(len(datum.values)), total, min(datum.values), max(datum.values))
        return Datum(datum.metric, datum.timestamp, statistics=stats, unit=datum.unit)
    return Datum(datum.metric, datum.timestamp, values=list(counts), counts=list(counts.values()),
                 unit=datum.unit)  # fmt: skip


def _value(matcher: Matcher, reference: str, message: str) -> float | None:
    if not matcher.matches(message):
        return None
    if not reference.startswith("$"):
        return float(reference)
    found = matcher.value(message, reference)
    try:
        return float(found) if found is not None else None
    except ValueError:
        return None  # a non-numeric field publishes nothing for this event


def apply_filters(
    settings: Settings, group: str, events: list[tuple[int, str]], history: bool = False
) -> int:
    """Run a group's filters on new events and store the metric data; returns datapoints.
    `history`: events of the past delivered now (an import), any age."""
    with FilterStore(settings) as store:
        filters = store.filters(group)
    data = [d for f in filters for d in datapoints(f, events)]
    if data:
        with MetricStore(settings) as metrics:
            metrics.put(data, history=history)
    return len(data)


def backfill(settings: Settings, group: str, name: str) -> int:
    """Apply a filter to the events stored before it was created (once; AWS never does this,
    users ask for it)."""
    from vigil.logs.read import live_events_sql
    from vigil.query.engine import open_engine

    with FilterStore(settings) as store:
        found = [f for f in store.filters(group) if f.name == name]
        if not found:
            raise LogsError("ResourceNotFoundException", f"no metric filter {name!r} on {group}")
        done = store.state.db.execute(
            "SELECT backfilled FROM metric_filters WHERE log_group = ? AND name = ?", (group, name)
        ).fetchone()[0]
        if done:
            return 0
    f = found[0]
    with LogStore(settings) as logs:
        info = logs.group(group)
    now = now_ms()
    source = live_events_sql(info, None, None, now)
    sql = (
        f"SELECT timestamp, message FROM ({source}) "
        f"WHERE ingestion_time < {f.created_ms} ORDER BY timestamp"
    )
    count = 0
    with open_engine(settings, engine="duckdb") as engine, MetricStore(settings) as metrics:
        for batch in engine.batches(sql, 200_000):
            rows = list(zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True))
            data = datapoints(f, rows)
            if data:
                metrics.put(data, now=now, history=True)
            count += len(data)
    with FilterStore(settings) as store, store.state.transaction() as db:
        db.execute("UPDATE metric_filters SET backfilled = 1 WHERE log_group = ? AND name = ?",
                   (group, name))  # fmt: skip
    return count
