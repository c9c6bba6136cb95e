"""The worker (`vigil run`, and later inside `vigil serve`): schedules, dispatch and deliveries,
round after round until asked to stop. Signals belong to the shell; the worker takes a
`threading.Event`. This module also composes the target types that need higher stages: a
scheduled job (detect, alarms, ingest, posture) and a playbook."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigil.config import Settings
from vigil.events.delivery import Deliveries, Round, Sender, run_round
from vigil.events.rules import Rule, Target
from vigil.events.targets import DeliveryFailed

__all__ = ["Round", "Totals", "Worker", "one_round", "senders"]


def senders() -> dict[str, Sender]:
    from vigil.playbooks.run import run_playbook

    return {"job": _job, "playbook": run_playbook}


def one_round(settings: Settings, now: int, store: Deliveries | None = None) -> Round:
    """One pass: schedules, dispatch, due deliveries (jobs and playbooks included), then the
    archives and replays."""
    done = run_round(settings, now, store, senders())
    if store is not None:
        archive_and_replay(settings, store, now)
    else:
        with Deliveries(settings, senders=senders()) as own:
            archive_and_replay(settings, own, now)
    return done


def archive_and_replay(settings: Settings, store: Deliveries, now: int) -> int:
    """The bus's new events into their archives; a batch of each running replay queued for
    its rules (delivered in the next rounds). How many events were replayed."""
    from vigil.events.replay import ReplayStore
    from vigil.events.rules import load_rules

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

    def run(
        self,
        stop: threading.Event,
        on_round: Callable[[int, Round, float], None] | None = None,
        *,
        once: bool = False,
    ) -> Totals:
        """Rounds until `stop` is set (the round in progress finishes; the state store lets
        the next start resume). `on_round(number, round, seconds)` after each."""
        from vigil.clock import now_ms
        from vigil.state.outbox import ARRIVED

        with Deliveries(self.settings, senders=senders()) as store:
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
        from vigil.state.outbox import ARRIVED

        deadline = time.monotonic() + self.interval
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or ARRIVED.wait(min(left, 0.25)):
                ARRIVED.clear()
                return stop.is_set()
        return True


def _job(settings: Settings, rule: Rule, target: Target, payload: Any, key: str) -> str:
    """Scheduled work: detect, evaluate alarms, ingest a source, collect posture."""
    from vigil import api

    options = target.settings
    job = str(options.get("job"))
    if job == "detect":
        report = api.detect.run(settings)
        return f"{report.units} units, {report.hits} hits"
    if job == "alarms":
        return f"{len(api.metrics.evaluate_alarms(settings))} alarm(s) changed"
    if job == "ingest":
        sources = options.get("sources") or []
        done = api.lake.ingest(
            settings,
            [str(s) for s in ([sources] if isinstance(sources, str) else sources)],
            fmt=options.get("format"),
            endpoint_url=options.get("endpoint_url"),
            account=options.get("account"),
            region=options.get("region"),
        )
        return f"{done.ingested} object(s), {sum(done.records.values())} records"
    if job == "posture":
        regions = options.get("regions")
        profiles = options.get("profiles") or options.get("profile")
        accounts = options.get("accounts") or ["all"]
        snap = api.posture.collect(
            list(regions) if regions else None,
            [profiles] if isinstance(profiles, str) else profiles,
            options.get("endpoint_url"),
            role=options.get("role"),
            accounts=[str(a) for a in ([accounts] if isinstance(accounts, str) else accounts)],
        )
        counts = api.posture.keep(settings, snap).recorded
        return (
            f"snapshot {snap.taken_at}: {counts['recorded']} finding(s) recorded, "
            f"{counts['resolved']} resolved"
        )
    raise DeliveryFailed(
        "NO_RESOURCE", f"unknown job {job!r} (detect, alarms, ingest, posture)", retriable=False
    )
