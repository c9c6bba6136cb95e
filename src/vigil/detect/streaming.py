"""The streaming path: Sigma rules evaluated in Python on events as they arrive, with the same
results as the batch SQL over the lake (tests hold the two to that).

Record rules match event by event. Correlation rules (event_count, value_count with a `>=` or
`>` condition) keep a count per grouping key and per window of their timespan, the same fixed
windows the batch query uses, and fire once when a window's count passes the condition.
Conditions that can only be decided when a window closes (`<`, `<=`, `=`) run in batch only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from vigil.detect.sigma_eval import Row
from vigil.detect.sigma_fields import getter
from vigil.detect.units import Unit
from vigil.formats.cloudtrail import parse_cloudtrail

_RISING = {">=": lambda n, k: n >= k, ">": lambda n, k: n > k}


class StreamMatcher:
    """Which rules an event matches (record rules) or completes (correlations)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.rules = []
        self.correlations = []
        for u in units:
            if u.sigma is None:
                continue
            corr = u.sigma.correlation
            if corr is None:
                self.rules.append((u.id, u.sigma.test))
            elif corr.op in _RISING:
                keys = [getter(f) for f in corr.group_by]
                value = getter(corr.field) if corr.kind == "value_count" and corr.field else None
                self.correlations.append((u.id, u.sigma.test, corr, keys, value))
        self.state: dict[tuple[Any, ...], set[Any] | int] = {}
        self.fired: set[tuple[Any, ...]] = set()

    def match(self, row: Row) -> list[str]:
        cache: dict[str, Any] = {}
        hits = [uid for uid, test in self.rules if test(row, cache)]
        for uid, test, corr, keys, value in self.correlations:
            if not test(row, cache):
                continue
            window = _window(row.get("event_ts"), corr.seconds)
            slot = (uid, window, *(k(row, cache) for k in keys))
            if value is None:
                before = self.state.get(slot, 0)
                count = (before if isinstance(before, int) else len(before)) + 1
                self.state[slot] = count
            else:
                seen = self.state.setdefault(slot, set())
                assert isinstance(seen, set)
                seen.add(value(row, cache))
                count = len(seen)
            if slot not in self.fired and _RISING[corr.op](count, corr.count):
                self.fired.add(slot)
                hits.append(uid)
        return hits

    def match_records(self, records: list[dict[str, Any]]) -> list[list[str]]:
        """CloudTrail records as AWS writes them → the rule ids each one matches."""
        return [self.match(row) for row in rows_of(records)]


def _window(moment: Any, seconds: int) -> int:
    epoch = moment.timestamp() if isinstance(moment, datetime) else 0.0
    return int(epoch // seconds)


def rows_of(records: list[dict[str, Any]]) -> list[Row]:
    """Records in the lake's shape (Athena columns), as the batch path sees them."""
    table = parse_cloudtrail(json.dumps({"Records": records}).encode(), "stream").table
    rows: list[Row] = table.to_pylist()
    return rows
