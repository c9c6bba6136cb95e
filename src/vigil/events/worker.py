"""The delivery worker (`vigil run`, and inside `vigil serve`): schedules, dispatch and
deliveries, then the archives and replays, round after round until asked to stop. Signals
belong to the shell; the worker takes a `threading.Event`.

Target types that need higher stages (a scheduled job, a playbook) are senders passed in by
whoever builds the worker (the service layer): the events stage never imports them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.events.delivery import Deliveries, Round, run_round
from vigil.events.rules import load_rules
from vigil.events.senders import Sender
from vigil.state.outbox import ARRIVED

__all__ = ["Round", "Totals", "Worker", "archive_and_replay", "one_round"]


def one_round(
    settings: Settings,
    now: int,
    store: Deliveries | None = None,
    senders: Mapping[str, Sender] | None = None,
) -> Round:
    """One pass: schedules, dispatch, due deliveries, then the archives and replays."""
    done = run_round(settings, now, store, senders)
    if store is not None:
        archive_and_replay(settings, store, now)
    else:
        with Deliveries(settings, senders=senders) as own:
            archive_and_replay(settings, own, now)
    return done


def archive_and_replay(settings: Settings, store: Deliveries, now: int) -> int:
    """The bus's new events into their archives; a batch of each running replay queued for
    its rules (delivered in the next rounds). How many events were replayed."""
    from vigil.events.replay import ReplayStore  # archives and replays: loaded when first used

    with ReplayStore(settings) as replays:
        replays.capture(now)
        if not replays.busy():
            return 0
        return replays.advance(store, load_rules(settings)[0], now)


@dataclass
class Totals:
    rounds: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    queued: int = 0
    scheduled: int = 0

    def add(self, done: Round) -> None:
        self.rounds += 1
        for key in ("delivered", "retried", "dead", "queued", "scheduled"):
            setattr(self, key, getattr(self, key) + getattr(done, key))


@dataclass
class Worker:
    settings: Settings
    interval: float = 1.0
    totals: Totals = field(default_factory=Totals)
    senders: Mapping[str, Sender] = field(default_factory=dict)  # by target type

    def run(
        self,
        stop: threading.Event,
        on_round: Callable[[int, Round, float], None] | None = None,
        *,
        once: bool = False,
    ) -> Totals:
        """Rounds until `stop` is set (the round in progress finishes; the state store lets
        the next start resume). `on_round(number, round, seconds)` after each."""
        with Deliveries(self.settings, senders=self.senders) as store:
            while True:
                began = time.monotonic()
                done = run_round(self.settings, now_ms(), store)
                if archive_and_replay(self.settings, store, now_ms()):
                    ARRIVED.set()  # replayed deliveries are due at once: no wait
                self.totals.add(done)
                if on_round is not None:
                    on_round(self.totals.rounds, done, time.monotonic() - began)
                if once or self._wait(stop):
                    break
        return self.totals

    def _wait(self, stop: threading.Event) -> bool:
        """Until the interval passes or an event arrives on the bus in this process; True
        when asked to stop."""
        deadline = time.monotonic() + self.interval
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or ARRIVED.wait(min(left, 0.25)):
                ARRIVED.clear()
                return stop.is_set()
        return True
