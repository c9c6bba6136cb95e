"""Correlations over time, as the Sigma specification defines them, in one place for the batch
runs and the streaming path (so both find the same things).

Windows slide: a group's events form a *burst* while each follows the one before within the
timespan, so activity that crosses a clock boundary is one burst, never split into blocks.

* `event_count` / `value_count` with a rising condition (`gte`, `gt`): a burst fires once,
  when the events (or distinct values) within the timespan before one of its events first
  pass the condition. The batch path does this in SQL (`sigma_sql`); `Counter` does it here.
* `temporal`: every base rule matched within the timespan, in any order; `temporal_ordered`:
  in the order the correlation lists them. Each completion is one hit; the group starts over.
"""

from __future__ import annotations

import operator
from collections import Counter as Tally
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

_PASS: dict[str, Callable[[int, int], bool]] = {">=": operator.ge, ">": operator.gt}


@dataclass
class _Group:
    last: float | None = None  # the time of the group's previous event
    fired: bool = False  # this burst has fired already
    times: deque[tuple[float, Any]] = field(default_factory=deque)
    values: Tally[Any] = field(default_factory=Tally)


class Counter:
    """`event_count` / `value_count` over a sliding timespan, per group; `add` says when a
    burst first passes the condition."""

    def __init__(self, seconds: float, op: str, count: int, distinct: bool) -> None:
        self.seconds, self.count, self.distinct = seconds, count, distinct
        self.passes = _PASS[op]
        self.groups: dict[Hashable, _Group] = {}

    def add(self, key: Hashable, moment: float, value: Any = None) -> bool:
        group = self.groups.setdefault(key, _Group())
        if group.last is not None and moment - group.last > self.seconds:
            group.fired = False  # a new burst
            group.times.clear()
            group.values.clear()
        group.last = moment if group.last is None else max(group.last, moment)
        group.times.append((moment, value))
        group.values[value] += 1
        while group.times and group.times[0][0] < moment - self.seconds:
            _, old = group.times.popleft()
            group.values[old] -= 1
            if not group.values[old]:
                del group.values[old]
        seen = len(group.values) if self.distinct else len(group.times)
        if group.fired or not self.passes(seen, self.count):
            return False
        group.fired = True
        return True

    def forget(self, before: float) -> None:
        """Drop the groups whose last event is older than `before` (their bursts are over)."""
        for key in [k for k, g in self.groups.items() if g.last is not None and g.last < before]:
            del self.groups[key]


@dataclass(frozen=True)
class Event:
    moment: float  # epoch seconds
    ident: str  # the record's eventID
    rules: tuple[int, ...]  # which of the correlation's base rules it matched


@dataclass(frozen=True)
class Completion:
    events: tuple[Event, ...]  # one per base rule, in the rules' order

    @property
    def first(self) -> float:
        return min(e.moment for e in self.events)

    @property
    def last(self) -> float:
        return max(e.moment for e in self.events)


class Sequence:
    """`temporal` (any order) or `temporal_ordered` over a sliding timespan, per group."""

    def __init__(self, rules: int, seconds: float, ordered: bool) -> None:
        self.rules, self.seconds, self.ordered = rules, seconds, ordered
        # per group: unordered, the newest event of each rule; ordered, the partial chains
        # r0..ri with the latest start
        self.state: dict[Hashable, list[Any]] = {}

    def add(self, key: Hashable, event: Event) -> Completion | None:
        slots = self.state.setdefault(key, [None] * self.rules)
        done = self._ordered(slots, event) if self.ordered else self._any(slots, event)
        if done is not None:
            self.state[key] = [None] * self.rules  # the group starts over
        return done

    def _any(self, slots: list[Any], event: Event) -> Completion | None:
        for rule in event.rules:
            slots[rule] = event
        fresh = [e for e in slots if e is not None and e.moment >= event.moment - self.seconds]
        if len(fresh) == self.rules:
            return Completion(tuple(slots))
        return None

    def _ordered(self, slots: list[Any], event: Event) -> Completion | None:
        for rule in sorted(event.rules, reverse=True):  # one event is never two steps
            if rule == 0:
                slots[0] = (event.moment, (event,))
                continue
            before = slots[rule - 1]
            if before is None or event.moment - before[0] > self.seconds:
                continue
            if before[1][-1].ident == event.ident:
                continue
            chain = (before[0], (*before[1], event))
            if slots[rule] is None or chain[0] >= slots[rule][0]:
                slots[rule] = chain
        last = slots[-1]
        return Completion(last[1]) if last is not None else None


def sequences(
    rows: Iterable[tuple[Hashable, Event]], rules: int, seconds: float, ordered: bool
) -> list[tuple[Hashable, Completion]]:
    """Every completion in time-ordered rows of (group key, event): the batch path."""
    machine = Sequence(rules, seconds, ordered)
    found = []
    for key, event in sorted(rows, key=lambda r: (r[1].moment, r[1].ident)):
        done = machine.add(key, event)
        if done is not None:
            found.append((key, done))
    return found
