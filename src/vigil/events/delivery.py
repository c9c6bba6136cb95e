"""Durable delivery: events matched to rules become deliveries in the state store, tried
until they succeed, run out of attempts or age, or fail for good (then the dead-letter queue).

At-least-once: a delivery is marked done only after its target answered; one idempotency key
(`<event id>:<rule>:<target>`) travels with every attempt so receivers can drop repeats, and
dispatching the same event twice makes no second delivery. Retries back off exponentially with
jitter (1 s, 2 s, 4 s … capped at 5 minutes). Every attempt is in the audit trail: when, which
rule and target, the result and a short excerpt of the answer; never a secret.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from vigil import clock
from vigil.config import Settings
from vigil.events import targets as tg
from vigil.events.rules import Rule, RuleError, Target, load_rules, load_topic, shape
from vigil.state import Store
from vigil.state.outbox import envelope

# A target type's sender: (settings, rule, target, payload, idempotency key) -> response excerpt.
Sender = Callable[[Settings, Rule, Target, Any, str], str]

BACKOFF_CAP_S: Final = 300


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


def backoff_ms(attempts: int, rng: random.Random) -> int:
    base = min(BACKOFF_CAP_S, 2 ** max(0, attempts - 1))
    return int(base * 1000 * rng.uniform(0.5, 1.5))


class Deliveries(Store):
    def __init__(
        self,
        settings: Settings,
        rng: random.Random | None = None,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        super().__init__(settings)
        self.rng = rng or random.Random()
        # Target types a higher stage provides (jobs, playbooks): the service layer passes them.
        self.senders = dict(senders or {})
        self.buckets: dict[str, tuple[float, float]] = {}  # target key → (tokens, last time)

    # -- dispatch ------------------------------------------------------------------------------
    def dispatch(self, rules: list[Rule], now: int) -> tuple[int, int]:
        """Match new events against the enabled pattern rules of their bus; queue one delivery
        per target."""
        rows = self.state.db.execute(
            "SELECT seq, event, created_ms, bus FROM events WHERE dispatched = 0 ORDER BY seq "
            "LIMIT 1000"
        ).fetchall()
        events = [(seq, json.loads(text), arrived, bus) for seq, text, arrived, bus in rows]
        queued = 0
        with self.state.transaction() as db:
            for _, event, arrived, bus in events:
                for rule in rules:
                    if not rule.enabled or rule.pattern is None or arrived < rule.created_ms:
                        continue
                    if rule.bus != bus:
                        continue
                    if not rule.pattern.matches(event):
                        continue
                    for target in rule.targets:
                        queued += self._queue(db, rule, target, event, now)
            db.executemany(
                "UPDATE events SET dispatched = 1 WHERE seq = ?", [(e[0],) for e in events]
            )
        return len(events), queued

    def queue(self, db: Any, rule: Rule, target: Target, event: dict[str, Any], now: int) -> int:
        """One target's delivery of an event, in the caller's transaction (a replay's)."""
        return self._queue(db, rule, target, event, now)

    def _queue(self, db: Any, rule: Rule, target: Target, event: dict[str, Any], now: int) -> int:
        payload = shape(target, rule, event, now)
        if target.type == "topic":  # fan out: one delivery per subscription the policy admits
            queued = 0
            for sub in load_topic(self.settings, str(target.settings.get("topic"))):
                if sub.filter_policy is None or sub.filter_policy.matches(payload):
                    queued += self._insert(
                        db, rule, f"{target.id}/{sub.target.id}", event, payload, now
                    )
            return queued
        return self._insert(db, rule, target.id, event, payload, now)

    def _insert(
        self, db: Any, rule: Rule, target_id: str, event: dict[str, Any], payload: Any, now: int
    ) -> int:
        # a replayed event is delivered again: its replay is part of the key
        replay = f":{event['replay-name']}" if "replay-name" in event else ""
        key = f"{event['id']}:{rule.key}:{target_id}{replay}"
        cursor = db.execute(
            "INSERT OR IGNORE INTO deliveries (key, event_id, rule, target, payload, status, "
            "next_ms, created_ms) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (key, event["id"], rule.key, target_id, json.dumps(payload), now, now),
        )
        return int(cursor.rowcount)

    # -- delivery ------------------------------------------------------------------------------
    def due(self, now: int, limit: int = 100) -> list[tuple[Any, ...]]:
        return self.state.db.execute(
            "SELECT id, key, event_id, rule, target, payload, attempts, created_ms FROM deliveries "
            "WHERE status = 'pending' AND next_ms <= ? ORDER BY next_ms, id LIMIT ?",
            (now, limit),
        ).fetchall()

    def deliver_due(self, rules: list[Rule], now: int, send: Any = None) -> Round:
        done = Round()
        by_name = {r.key: r for r in rules}
        for row in self.due(now):
            ident, key, event_id, rule_name, target_id, payload, attempts, created = row
            rule = by_name.get(rule_name)
            target = self._target(rule, target_id) if rule else None
            if rule is None or target is None:
                self._dead(
                    ident,
                    rule_name,
                    target_id,
                    event_id,
                    attempts,
                    now,
                    "NO_RESOURCE",
                    "the rule or target no longer exists",
                    None,
                )
                done.dead += 1
                continue
            if now - created > target.max_age_seconds * 1000:
                self._dead(
                    ident,
                    rule_name,
                    target_id,
                    event_id,
                    attempts,
                    now,
                    "TIMEOUT",
                    "the event is older than the target's maximum age",
                    "MaximumEventAgeInSeconds",
                )
                done.dead += 1
                continue
            if not self._take_token(f"{rule_name}:{target_id}", target.rate_per_second):
                continue  # over the target's rate: it stays due for the next round
            attempt = attempts + 1
            try:
                excerpt = (send or self.send)(rule, target, json.loads(payload), key)
            except tg.DeliveryFailed as failure:
                if not failure.retriable or attempt > target.max_attempts:
                    exhausted = "MaximumRetryAttempts" if failure.retriable else None
                    self._dead(
                        ident,
                        rule_name,
                        target_id,
                        event_id,
                        attempt,
                        now,
                        failure.code,
                        str(failure),
                        exhausted,
                        answer=failure,
                    )
                    done.dead += 1
                else:
                    self._retry(ident, rule_name, target_id, event_id, attempt, now, failure)
                    done.retried += 1
                continue
            self._done(ident, rule_name, target_id, event_id, attempt, now, excerpt)
            done.delivered += 1
            if target.type == "job":
                done.jobs.append(f"job {target.settings.get('job')}: {excerpt}")
        return done

    def _target(self, rule: Rule, target_id: str) -> Target | None:
        name, _, sub = target_id.partition("/")
        target = next((t for t in rule.targets if t.id == name), None)
        if target is None or not sub:
            return target
        try:
            subs = load_topic(self.settings, str(target.settings.get("topic")))
        except RuleError:
            return None
        return next((s.target for s in subs if s.target.id == sub), None)

    def send(self, rule: Rule, target: Target, payload: Any, key: str) -> str:
        from vigil.events.senders import send

        provided = self.senders.get(target.type)
        if provided is not None:  # jobs and playbooks: their endpoint_url checked again
            from vigil.events.policy import policy

            problems = policy(self.settings).problems(target.type, target.settings)
            if problems:
                raise tg.DeliveryFailed("NO_PERMISSIONS", "; ".join(problems), retriable=False)
            return provided(self.settings, rule, target, payload, key)
        return send(self.settings, rule, target, payload, key)

    def _take_token(self, name: str, rate: float | None) -> bool:
        if not rate:
            return True
        clock = time.monotonic()
        tokens, last = self.buckets.get(name, (rate, clock))
        tokens = min(rate, tokens + (clock - last) * rate)
        if tokens < 1:
            self.buckets[name] = (tokens, clock)
            return False
        self.buckets[name] = (tokens - 1, clock)
        return True

    def _audit(
        self,
        db: Any,
        now: int,
        rule: str,
        target: str,
        event_id: str,
        attempt: int,
        result: str,
        excerpt: str | None,
        delivery: int | None = None,
        answer: Any = None,  # a sender's Reply or its DeliveryFailed: the HTTP status and body
        error: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO audit (ts, rule, target, event_id, attempt, result, excerpt, delivery, "
            "status, body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, rule, target, event_id, attempt, result, (excerpt or "")[:500], delivery,
             getattr(answer, "http_status", None), getattr(answer, "body", None), error),
        )  # fmt: skip

    def _done(
        self,
        ident: int,
        rule: str,
        target: str,
        event_id: str,
        attempt: int,
        now: int,
        excerpt: str,
    ) -> None:
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'delivered', attempts = ? WHERE id = ?",
                (attempt, ident),
            )
            self._audit(db, now, rule, target, event_id, attempt, "delivered", excerpt, ident,
                        excerpt)  # fmt: skip

    def _retry(
        self,
        ident: int,
        rule: str,
        target: str,
        event_id: str,
        attempt: int,
        now: int,
        failure: tg.DeliveryFailed,
    ) -> None:
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET attempts = ?, next_ms = ?, error_code = ?, error = ? "
                "WHERE id = ?",
                (attempt, now + backoff_ms(attempt, self.rng), failure.code, str(failure), ident),
            )
            error = f"{failure.code}: {failure}"
            self._audit(db, now, rule, target, event_id, attempt, "retry", error, ident, failure,
                        error)  # fmt: skip

    def _dead(
        self,
        ident: int,
        rule: str,
        target: str,
        event_id: str,
        attempt: int,
        now: int,
        code: str,
        error: str,
        exhausted: str | None,
        answer: Any = None,
    ) -> None:
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'dlq', attempts = ?, error_code = ?, "
                "error = ?, exhausted = ? WHERE id = ?",
                (attempt, code, error, exhausted, ident),
            )
            text = f"{code}: {error}"
            self._audit(db, now, rule, target, event_id, attempt, "dlq", text, ident, answer, text)

    # -- the dead-letter queue and the audit trail ---------------------------------------------
    def dlq(self) -> list[dict[str, Any]]:
        rows = self.state.db.execute(
            "SELECT id, event_id, rule, target, attempts, error_code, error, exhausted, created_ms "
            "FROM deliveries WHERE status = 'dlq' ORDER BY id"
        ).fetchall()
        names = (
            "id",
            "event_id",
            "rule",
            "target",
            "RETRY_ATTEMPTS",
            "ERROR_CODE",
            "ERROR_MESSAGE",
            "EXHAUSTED_RETRY_CONDITION",
            "created_ms",
        )
        return [dict(zip(names, r, strict=True)) for r in rows]

    def redrive(self, ids: list[int] | None, now: int) -> int:
        """Back to the queue, with fresh attempts (and a fresh age: created now)."""
        with self.state.transaction() as db:
            if ids:
                marks = ",".join("?" * len(ids))
                cursor = db.execute(
                    f"UPDATE deliveries SET status = 'pending', attempts = 0, next_ms = ?, "
                    f"created_ms = ? WHERE status = 'dlq' AND id IN ({marks})",
                    (now, now, *ids),
                )
            else:
                cursor = db.execute(
                    "UPDATE deliveries SET status = 'pending', attempts = 0, "
                    "next_ms = ?, created_ms = ? WHERE status = 'dlq'",
                    (now, now),
                )
        return int(cursor.rowcount)

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.state.db.execute(
            "SELECT ts, rule, target, event_id, attempt, result, excerpt FROM audit "
            "ORDER BY rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        names = ("ts", "rule", "target", "event_id", "attempt", "result", "excerpt")
        out = [dict(zip(names, r, strict=True)) for r in reversed(rows)]
        for item in out:  # ISO 8601 beside the milliseconds, as AWS's APIs print times
            item["time"] = clock.iso_ms(item["ts"])
        return out

    # -- schedules -----------------------------------------------------------------------------
    def fire_schedules(self, rules: list[Rule], now: int) -> int:
        """A "Scheduled Event" onto the bus for each schedule rule whose time has come."""
        from datetime import UTC, datetime

        fired = 0
        moment = datetime.fromtimestamp(now / 1000, UTC)
        for rule in rules:
            if not rule.enabled or rule.schedule is None:
                continue
            row = self.state.db.execute(
                "SELECT last_ms FROM schedules WHERE rule = ?", (rule.key,)
            ).fetchone()
            if row is None:
                with self.state.transaction() as db:
                    db.execute("INSERT INTO schedules VALUES (?, ?)", (rule.key, now))
                continue
            last = datetime.fromtimestamp(row[0] / 1000, UTC)
            due = rule.schedule.next_after(last)
            if due > moment:
                continue
            event = envelope(
                "aws.events",
                "Scheduled Event",
                {},
                account=rule.account,
                region=rule.region,
                resources=[rule.arn],
                time=due,
            )
            with self.state.transaction() as db:
                db.execute(
                    "UPDATE schedules SET last_ms = ? WHERE rule = ?",
                    (int(due.timestamp() * 1000), rule.key),
                )
                for target in rule.targets:
                    self._queue(db, rule, target, event, now)
            fired += 1
        return fired


def run_round(
    settings: Settings,
    now: int,
    deliveries: Deliveries | None = None,
    senders: Mapping[str, Sender] | None = None,
) -> Round:
    """One pass of the worker: schedules, dispatch, due deliveries."""
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
        counts = {"Delivered": done.delivered, "Retried": done.retried, "DeadLettered": done.dead}
        if any(counts.values()):
            from vigil.metrics import own as vigil_metrics

            points = [("Deliveries", float(n), {"Result": k}, "Count") for k, n in counts.items()]
            vigil_metrics.publish(settings, points, now)
        return done
    finally:
        if own:
            store.close()
