"""Durable delivery: events matched to rules become deliveries in the state store, tried until
they succeed, run out of attempts or age, or fail for good (then the dead-letter queue).

`Deliveries` is the one store callers open for all of it; its parts live by concern: the queue
and schedules (`queue`), sending with retries (`delivering`), dead letters (`dlq`) and the
audit trail (`audit`). `run_round` is one pass of the worker over them.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Mapping
from typing import Any

from vigil.config import Settings
from vigil.events import audit, dlq
from vigil.events.audit import AuditRow
from vigil.events.delivering import BACKOFF_CAP_S, Deliverer, Round, Send, backoff_ms
from vigil.events.queue import Delivery, Queue
from vigil.events.rules import Rule, Target, load_rules
from vigil.events.senders import Sender
from vigil.state import Store

__all__ = ["BACKOFF_CAP_S", "Deliveries", "Delivery", "Round", "Sender", "backoff_ms", "run_round"]


class Deliveries(Store):
    def __init__(
        self,
        settings: Settings,
        rng: random.Random | None = None,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        super().__init__(settings)
        self.queued = Queue(settings, self.state)
        # Target types a higher stage provides (jobs, playbooks): the service layer passes them.
        self.deliverer = Deliverer(
            settings, self.queued, rng or random.Random(), dict(senders or {})
        )

    def dispatch(self, rules: list[Rule], now: int) -> tuple[int, int]:
        return self.queued.dispatch(rules, now)

    def queue(
        self, db: sqlite3.Connection, rule: Rule, target: Target, event: dict[str, Any], now: int
    ) -> int:
        """One target's delivery of an event, in the caller's transaction (a replay's)."""
        return self.queued.add(db, rule, target, event, now)

    def fire_schedules(self, rules: list[Rule], now: int) -> int:
        return self.queued.fire_schedules(rules, now)

    def due(self, now: int, limit: int = 100) -> list[Delivery]:
        return self.queued.due(now, limit)

    def deliver_due(self, rules: list[Rule], now: int, send: Send | None = None) -> Round:
        return self.deliverer.deliver_due(rules, now, send)

    def dlq(self) -> list[Delivery]:
        return dlq.dead_letters(self.state)

    def redrive(self, ids: list[int] | None, now: int) -> int:
        return dlq.redrive(self.state, ids, now)

    def audit(self, limit: int = 100) -> list[AuditRow]:
        return audit.recent(self.state.db, limit)


def run_round(
    settings: Settings,
    now: int,
    deliveries: Deliveries | None = None,
    senders: Mapping[str, Sender] | None = None,
) -> Round:
    """One pass of the worker: schedules, dispatch, due deliveries (`senders` serve only a
    store opened here; a given store has its own)."""
    from vigil.events import alarm_actions

    rules, problems = load_rules(settings)
    rules += alarm_actions.rules(settings)  # alarms' SNS actions, to the topics' subscribers
    own = deliveries is None
    store = deliveries or Deliveries(settings, senders=senders)
    try:
        done = Round(problems=problems)
        done.scheduled = store.fire_schedules(rules, now)
        done.dispatched, done.queued = store.dispatch(rules, now)
        delivered = store.deliver_due(rules, now)
        done.delivered, done.retried, done.dead = (
            delivered.delivered,
            delivered.retried,
            delivered.dead,
        )
        done.jobs = delivered.jobs
        _publish(settings, done, now)
        return done
    finally:
        if own:
            store.close()


def _publish(settings: Settings, done: Round, now: int) -> None:
    """The round's outcomes as Vigil's own metrics (nothing for an idle round)."""
    counts = {"Delivered": done.delivered, "Retried": done.retried, "DeadLettered": done.dead}
    if any(counts.values()):
        from vigil.metrics import own as vigil_metrics

        points = [("Deliveries", float(n), {"Result": k}, "Count") for k, n in counts.items()]
        vigil_metrics.publish(settings, points, now)
