"""Delivering what is due: each delivery sent to its target, then marked delivered, tried again
later or dead-lettered (refused for good, out of attempts, older than the target's maximum age,
or its rule or target gone). Every attempt goes into the audit trail.

At-least-once: a delivery is marked done only after its target answered. Retries back off
exponentially with jitter (1 s, 2 s, 4 s … capped at 5 minutes). A target's rate is kept with
a token bucket: over it, a delivery stays due for the next round.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from vigil.config import Settings
from vigil.events import audit, senders
from vigil.events.dlq import bury
from vigil.events.queue import Delivery, Queue
from vigil.events.rules import Rule, RuleError, Target, load_topic
from vigil.events.senders import Sender
from vigil.events.targets import DeliveryFailed
from vigil.state import StateDB

BACKOFF_CAP_S: Final = 300
# How a round sends: (rule, target, payload, idempotency key) -> the answer's excerpt.
Send = Callable[[Rule, Target, Any, str], str]


@dataclass
class Round:
    dispatched: int = 0
    queued: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    scheduled: int = 0
    problems: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)  # what each job delivered did

    def count(self, outcome: str) -> None:
        """One delivery's outcome: delivered, retried, dead (or "": still due)."""
        if outcome == "delivered":
            self.delivered += 1
        elif outcome == "retried":
            self.retried += 1
        elif outcome == "dead":
            self.dead += 1


def backoff_ms(attempts: int, rng: random.Random) -> int:
    base = min(BACKOFF_CAP_S, 2 ** max(0, attempts - 1))
    return int(base * 1000 * rng.uniform(0.5, 1.5))


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        queue: Queue,
        rng: random.Random,
        provided: Mapping[str, Sender],
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.state: StateDB = queue.state
        self.rng = rng
        self.provided = provided  # senders of higher stages (jobs, playbooks), by target type
        self.buckets: dict[str, tuple[float, float]] = {}  # rule:target → (tokens, last time)

    def deliver_due(self, rules: list[Rule], now: int, send: Send | None = None) -> Round:
        done = Round()
        by_key = {r.key: r for r in rules}
        for delivery in self.queue.due(now):
            outcome, job = self._one(delivery, by_key.get(delivery.rule), now, send or self.send)
            done.count(outcome)
            done.jobs += [job] if job else []
        return done

    def send(self, rule: Rule, target: Target, payload: Any, key: str) -> str:
        return senders.send(self.settings, rule, target, payload, key, self.provided)

    def _one(
        self, delivery: Delivery, rule: Rule | None, now: int, send: Send
    ) -> tuple[str, str | None]:
        """(outcome, what a job did) of one due delivery."""
        target = self._target(rule, delivery.target) if rule else None
        if rule is None or target is None:
            gone = DeliveryFailed("NO_RESOURCE", "the rule or target no longer exists",
                                  retriable=False)  # fmt: skip
            bury(self.state, delivery, gone, now, None)
            return "dead", None
        if now - delivery.created_ms > target.max_age_seconds * 1000:
            old = DeliveryFailed("TIMEOUT", "the event is older than the target's maximum age",
                                 retriable=False)  # fmt: skip
            bury(self.state, delivery, old, now, "MaximumEventAgeInSeconds")
            return "dead", None
        if not self._take_token(f"{delivery.rule}:{delivery.target}", target.rate_per_second):
            return "", None  # over the target's rate: it stays due for the next round
        return self._attempt(delivery, rule, target, now, send)

    def _attempt(
        self, delivery: Delivery, rule: Rule, target: Target, now: int, send: Send
    ) -> tuple[str, str | None]:
        tried = replace(delivery, attempts=delivery.attempts + 1)
        payload = json.loads(delivery.payload)
        try:
            excerpt = send(rule, target, payload, delivery.key)
        except DeliveryFailed as failure:
            if failure.retriable and tried.attempts <= target.max_attempts:
                self._retry(tried, now, failure)
                return "retried", None
            exhausted = "MaximumRetryAttempts" if failure.retriable else None
            bury(self.state, tried, failure, now, exhausted)
            return "dead", None
        self._done(tried, now, excerpt)
        job = f"job {target.settings.get('job')}: {excerpt}" if target.type == "job" else None
        return "delivered", job

    def _target(self, rule: Rule, target_id: str) -> Target | None:
        """The rule's target, or the subscription of its topic (`topic-target/subscription`)."""
        name, _, sub = target_id.partition("/")
        target = next((t for t in rule.targets if t.id == name), None)
        if target is None or not sub:
            return target
        try:
            subs = load_topic(self.settings, str(target.settings.get("topic")))
        except RuleError:
            return None
        return next((s.target for s in subs if s.target.id == sub), None)

    def _take_token(self, name: str, rate: float | None) -> bool:
        if not rate:
            return True
        moment = time.monotonic()
        tokens, last = self.buckets.get(name, (rate, moment))
        tokens = min(rate, tokens + (moment - last) * rate)
        if tokens < 1:
            self.buckets[name] = (tokens, moment)
            return False
        self.buckets[name] = (tokens - 1, moment)
        return True

    def _done(self, tried: Delivery, now: int, excerpt: str) -> None:
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'delivered', attempts = ? WHERE id = ?",
                (tried.attempts, tried.id),
            )
            audit.record(db, tried, now, "delivered", excerpt, excerpt)

    def _retry(self, tried: Delivery, now: int, failure: DeliveryFailed) -> None:
        next_ms = now + backoff_ms(tried.attempts, self.rng)
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET attempts = ?, next_ms = ?, error_code = ?, error = ? "
                "WHERE id = ?",
                (tried.attempts, next_ms, failure.code, str(failure), tried.id),
            )
            error = f"{failure.code}: {failure}"
            audit.record(db, tried, now, "retry", error, failure, error)
