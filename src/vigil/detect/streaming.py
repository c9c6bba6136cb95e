"""The streaming path: Sigma rules evaluated in Python on events as they arrive, with the same
results as the batch SQL over the lake (tests hold the two to that).

Record rules match event by event. Correlation rules (event_count, value_count) keep a count
per window of their timespan and grouping key (with account and region, as the batch query
groups), over the same fixed windows the batch query uses. A rising condition (`>=`, `>`)
fires once, on the event that completes it. The others (`<`, `<=`, `=`) can only be decided
when the window is over: `close(until)` decides every window that ended by then. Closing also
frees the state of finished windows, so a long-running stream holds only open ones.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigil.detect.sigma_eval import Row
from vigil.detect.sigma_rules import Correlation
from vigil.detect.units import Unit
from vigil.formats.cloudtrail import parse_cloudtrail
from vigil.formats.cloudtrail_fields import getter

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq,
}  # fmt: skip
_RISING = (">=", ">")
_SCOPE = (getter("recipientAccountId"), getter("awsRegion"))


@dataclass(frozen=True)
class Closed:
    """A correlation decided when its window ended."""

    unit_id: str
    window_start: datetime
    key: tuple[Any, ...]  # account, region, then the rule's group-by values
    count: int


@dataclass(frozen=True)
class _Correlated:
    unit_id: str
    test: Callable[[Row, dict[str, Any]], bool]
    corr: Correlation
    keys: tuple[Callable[[Row, dict[str, Any]], Any], ...]
    value: Callable[[Row, dict[str, Any]], Any] | None


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
                self.rules.append((u.id, u.sigma.test))
                continue
            keys = (*_SCOPE, *(getter(f) for f in corr.group_by))
            value = getter(corr.field) if corr.kind == "value_count" and corr.field else None
            self.correlations.append(_Correlated(u.id, u.sigma.test, corr, keys, value))
        self.state: dict[tuple[Any, ...], set[Any] | int] = {}  # (unit, window, *key) → count
        self.fired: set[tuple[Any, ...]] = set()

    def match(self, row: Row) -> list[str]:
        cache: dict[str, Any] = {}
        hits = [uid for uid, test in self.rules if test(row, cache)]
        for c in self.correlations:
            if not c.test(row, cache):
                continue
            window = _window(row.get("event_ts"), c.corr.seconds)
            slot = (c.unit_id, window, *(k(row, cache) for k in c.keys))
            if c.value is None:
                before = self.state.get(slot, 0)
                count = (before if isinstance(before, int) else len(before)) + 1
                self.state[slot] = count
            else:
                seen = self.state.setdefault(slot, set())
                assert isinstance(seen, set)
                seen.add(c.value(row, cache))
                count = len(seen)
            rising = c.corr.op in _RISING
            if rising and slot not in self.fired and _COMPARE[c.corr.op](count, c.corr.count):
                self.fired.add(slot)
                hits.append(c.unit_id)
        return hits

    def close(self, until: datetime) -> list[Closed]:
        """Decide the windows that ended by `until` (falling conditions) and drop their state."""
        specs = {c.unit_id: c.corr for c in self.correlations}
        decided = []
        for slot in [
            s for s in self.state if (s[1] + 1) * specs[s[0]].seconds <= until.timestamp()
        ]:
            held = self.state.pop(slot)
            self.fired.discard(slot)
            corr = specs[slot[0]]
            count = held if isinstance(held, int) else len(held)
            if corr.op not in _RISING and _COMPARE[corr.op](count, corr.count):
                start = datetime.fromtimestamp(slot[1] * corr.seconds, UTC)
                decided.append(Closed(slot[0], start, tuple(slot[2:]), count))
        return sorted(decided, key=lambda d: (d.window_start, d.unit_id, repr(d.key)))

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
