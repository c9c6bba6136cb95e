"""The streaming path: Sigma rules evaluated in Python on events as they arrive, with the same
results as the batch SQL over the lake (tests hold the two to that).

Record rules match event by event. Correlations share their logic with the batch runs
(`vigil.detect.correlate`), per account and grouping key:

* a count that must reach a number (`>=`, `>`) slides: it fires once per burst, on the event
  at which the timespan before it holds enough;
* `temporal` and `temporal_ordered` fire on the event that completes them;
* a count that must stay under or at a number (`<`, `<=`, `=`) is decided per fixed window,
  when the window is over: `close(until)` decides every window that ended by then and frees
  their state (and the state of bursts long over), so a long-running stream holds little.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigil.detect.correlate import Counter, Event, Sequence
from vigil.detect.sigma_eval import Row
from vigil.detect.sigma_rules import Correlation
from vigil.detect.units import Unit
from vigil.formats.cloudtrail import parse_cloudtrail
from vigil.formats.cloudtrail_fields import getter

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq,
}  # fmt: skip
_RISING = (">=", ">")
_SCOPE = (getter("recipientAccountId"),)


@dataclass(frozen=True)
class Closed:
    """A correlation decided when its window ended."""

    unit_id: str
    window_start: datetime
    key: tuple[Any, ...]  # account, then the rule's group-by values
    count: int


@dataclass(frozen=True)
class _Correlated:
    unit_id: str
    test: Callable[[Row, dict[str, Any]], bool]
    corr: Correlation
    keys: tuple[Callable[[Row, dict[str, Any]], Any], ...]
    value: Callable[[Row, dict[str, Any]], Any] | None
    bases: tuple[Callable[[Row, dict[str, Any]], bool], ...]
    sliding: Counter | None
    sequence: Sequence | None


class StreamMatcher:
    """Which rules an event matches (record rules) or completes (correlations)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.rules = []
        self.correlations: list[_Correlated] = []
        for u in units:
            if u.sigma is None:
                continue
            corr = u.sigma.correlation
            if corr is None:
                if not u.silent:
                    self.rules.append((u.id, u.sigma.test))
                continue
            keys = (*_SCOPE, *(getter(f) for f in corr.group_by))
            value = getter(corr.field) if corr.kind == "value_count" and corr.field else None
            sliding = (Counter(corr.seconds, corr.op, corr.count, value is not None)
                       if not corr.temporal and corr.op in _RISING else None)  # fmt: skip
            sequence = (Sequence(corr.count, corr.seconds, corr.kind == "temporal_ordered")
                        if corr.temporal else None)  # fmt: skip
            bases = u.sigma.base_tests
            entry = _Correlated(u.id, u.sigma.test, corr, keys, value, bases, sliding, sequence)
            self.correlations.append(entry)
        self.state: dict[tuple[Any, ...], set[Any] | int] = {}  # (unit, window, *key) → count

    def match(self, row: Row) -> list[str]:
        cache: dict[str, Any] = {}
        hits = [uid for uid, test in self.rules if test(row, cache)]
        for c in self.correlations:
            if not c.test(row, cache):
                continue
            key = tuple(k(row, cache) for k in c.keys)
            moment = _epoch(row.get("event_ts"))
            if c.sequence is not None:
                rules = tuple(i for i, base in enumerate(c.bases) if base(row, cache))
                event = Event(moment, str(row.get("eventid")), rules)
                if c.sequence.add(key, event) is not None:
                    hits.append(c.unit_id)
                continue
            value = c.value(row, cache) if c.value is not None else None
            if c.sliding is not None:
                if c.sliding.add(key, moment, value):
                    hits.append(c.unit_id)
                continue
            slot = (c.unit_id, int(moment // c.corr.seconds), *key)  # falling: fixed windows
            if c.value is None:
                before = self.state.get(slot, 0)
                self.state[slot] = (before if isinstance(before, int) else len(before)) + 1
            else:
                seen = self.state.setdefault(slot, set())
                assert isinstance(seen, set)
                seen.add(value)
        return hits

    def close(self, until: datetime) -> list[Closed]:
        """Decide the windows that ended by `until` (falling conditions) and drop their state."""
        specs = {c.unit_id: c.corr for c in self.correlations}
        for c in self.correlations:
            if c.sliding is not None:
                c.sliding.forget(until.timestamp() - c.corr.seconds)
        decided = []
        for slot in [
            s for s in self.state if (s[1] + 1) * specs[s[0]].seconds <= until.timestamp()
        ]:
            held = self.state.pop(slot)
            corr = specs[slot[0]]
            count = held if isinstance(held, int) else len(held)
            if _COMPARE[corr.op](count, corr.count):
                start = datetime.fromtimestamp(slot[1] * corr.seconds, UTC)
                decided.append(Closed(slot[0], start, tuple(slot[2:]), count))
        return sorted(decided, key=lambda d: (d.window_start, d.unit_id, repr(d.key)))

    def match_records(self, records: list[dict[str, Any]]) -> list[list[str]]:
        """CloudTrail records as AWS writes them → the rule ids each one matches."""
        return [self.match(row) for row in rows_of(records)]


def _epoch(moment: Any) -> float:
    return moment.timestamp() if isinstance(moment, datetime) else 0.0


def rows_of(records: list[dict[str, Any]]) -> list[Row]:
    """Records in the lake's shape (Athena columns), as the batch path sees them."""
    table = parse_cloudtrail(json.dumps({"Records": records}).encode(), "stream").table
    rows: list[Row] = table.to_pylist()
    return rows
