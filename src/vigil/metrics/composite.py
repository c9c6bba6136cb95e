"""Composite alarms: a rule over other alarms' states (`rule`), kept in the alarms table beside
metric alarms (one namespace of names, as in CloudWatch).

A composite is in ALARM while its rule holds and OK otherwise; it is evaluated when it is put and
again whenever one of its children changes state, parents of parents too. A composite on a cycle
(A's rule names B, B's names A: CloudWatch lets an update make one) is not evaluated, as
CloudWatch stops there; no alarm on a cycle can be deleted until the cycle is broken. Actions are
suppressed as `suppression` says (the suppressor's ALARM, its wait and extension periods)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Final

from vigil.metrics import rule as rules
from vigil.metrics.alarm_model import AlarmError as AlarmError
from vigil.metrics.alarm_model import CompositeAlarm as CompositeAlarm
from vigil.metrics.alarm_model import CompositeStatus as CompositeStatus
from vigil.metrics.alarm_model import aws_time
from vigil.metrics.evaluation import State
from vigil.metrics.suppression import act, suppression
from vigil.state import outbox

MAX_ACTIONS: Final = 5
MAX_PARENTS: Final = 150


def check(a: CompositeAlarm, known: set[str]) -> None:
    if not 1 <= len(a.name) <= 255 or re.search(r"[\x00-\x1f]", a.name):
        raise AlarmError(f"alarm name {a.name!r}: 1-255 characters, no control characters")
    if len(a.description) > 1024:
        raise AlarmError("The alarm description has at most 1024 characters.")
    for actions in (a.alarm_actions, a.ok_actions, a.insufficient_data_actions):
        if len(actions) > MAX_ACTIONS:
            raise AlarmError(f"At most {MAX_ACTIONS} actions per state.", "LimitExceeded")
    here = a.arn.rsplit(":", 1)[0]  # arn:aws:cloudwatch:REGION:ACCOUNT:alarm
    elsewhere = [r for r in rules.arns(rules.parse(a.rule)) if not r.startswith(here + ":")]
    if elsewhere:
        raise AlarmError(f"The alarm rule names {elsewhere[0]}: composite alarms watch alarms "
                         "of their own account and Region")  # fmt: skip
    missing = [c for c in a.children if c not in known]
    if missing:
        raise AlarmError(f"Could not save the composite alarm as alarms [{', '.join(missing)}] "
                         "in the alarm rule do not exist")  # fmt: skip
    if a.suppressor is not None:
        if rules.alarm_name(a.suppressor) not in known:
            raise AlarmError(f"ActionsSuppressor {a.suppressor}: no such alarm")
        if a.suppressor_wait is None or a.suppressor_extension is None:
            raise AlarmError("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod "
                             "are required with ActionsSuppressor")  # fmt: skip


def load(text: str) -> CompositeAlarm:
    raw = json.loads(text)
    for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        raw[key] = tuple(raw[key])
    return CompositeAlarm(**raw)


def is_composite(definition: str) -> bool:
    return '"kind": "composite"' in definition


def dump(a: CompositeAlarm) -> str:
    return json.dumps(asdict(a))


# -- reading the alarms table -------------------------------------------------------------------
def states(db: sqlite3.Connection) -> dict[str, tuple[str, int]]:
    return {n: (s, t) for n, s, t in db.execute("SELECT name, state, state_ms FROM alarms")}


def composites(db: sqlite3.Connection) -> dict[str, CompositeAlarm]:
    rows = db.execute("SELECT name, definition FROM alarms WHERE instr(definition, ?) > 0 "
                      "ORDER BY name", ('"kind": "composite"',)).fetchall()  # fmt: skip
    return {n: load(d) for n, d in rows if is_composite(d)}


def parents(db: sqlite3.Connection, name: str) -> list[str]:
    return [n for n, c in composites(db).items() if name in c.children]


def on_cycle(found: dict[str, CompositeAlarm], name: str) -> bool:
    """Whether `name` can reach itself through composite rules."""
    seen: set[str] = set()
    todo = [c for c in found[name].children if c in found]
    while todo:
        current = todo.pop()
        if current == name:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(c for c in found[current].children if c in found)
    return False


def status(row: tuple[Any, ...]) -> CompositeStatus:
    definition, state, reason, reason_data, state_ms = row
    return CompositeStatus(load(definition), state, reason, reason_data, state_ms)


# -- evaluation -------------------------------------------------------------------------------
def evaluate(db: sqlite3.Connection, name: str, now: int, cause: str | None = None) -> bool:
    """Evaluate one composite inside the caller's transaction; True when its state changed."""
    found = composites(db)
    if name not in found or on_cycle(found, name):
        return False
    a = found[name]
    current = states(db)
    rule = rules.parse(a.rule)
    new: State = "ALARM" if rules.holds(rule, lambda n: current[n][0]) else "OK"
    old = db.execute("SELECT definition, state, reason, reason_data, state_ms FROM alarms "
                     "WHERE name = ?", (name,)).fetchone()  # fmt: skip
    if old is None or old[1] == new:
        return False
    trigger = cause if cause in current else None
    if trigger is not None:
        t_state, t_ms = current[trigger]
        moment = datetime.fromtimestamp(t_ms / 1000, UTC)
        reason = (f"{a.arn.rsplit(':', 1)[0]}:{trigger} transitioned to {t_state} at "
                  f"{moment:%A %d %B, %Y %H:%M:%S} UTC")  # fmt: skip
        triggering = [{"arn": f"{a.arn.rsplit(':', 1)[0]}:{trigger}",
                       "state": {"value": t_state, "timestamp": aws_time(t_ms)}}]  # fmt: skip
    else:
        reason, triggering = f"The rule {'holds' if new == 'ALARM' else 'does not hold'}", []
    data = json.dumps({"triggeringAlarms": triggering})
    transition(db, status(old), new, reason, data, now)
    return True


def propagate(db: sqlite3.Connection, changed: str, now: int) -> None:
    """After `changed` moved: its parents, and theirs, inside the caller's transaction."""
    todo, done = [changed], set()
    while todo:
        child = todo.pop(0)
        for parent in parents(db, child):
            if parent not in done and evaluate(db, parent, now, cause=child):
                done.add(parent)
                todo.append(parent)


def transition(db: sqlite3.Connection, before: CompositeStatus, state: State, reason: str,
               data: str, now: int) -> None:  # fmt: skip
    a = before.alarm
    by, why = suppression(db, a, now)
    acting = {"ALARM": a.alarm_actions, "OK": a.ok_actions,
              "INSUFFICIENT_DATA": a.insufficient_data_actions}[state]  # fmt: skip
    if by is None and a.actions_enabled and acting and a.suppressor and a.suppressor_wait:
        by, why = "WaitPeriod", (f"Waiting up to {a.suppressor_wait} seconds for "
                                 f"{rules.alarm_name(a.suppressor)} to go into ALARM")  # fmt: skip
    detail: dict[str, Any] = {
        "alarmName": a.name,
        "state": {"value": state, "reason": reason, "reasonData": data,
                  "timestamp": aws_time(now)},
        "previousState": {"value": before.state, "reason": before.reason,
                          "reasonData": before.reason_data,
                          "timestamp": aws_time(before.state_ms)},
        "configuration": {"alarmRule": a.rule, "description": a.description,
                          "actionsSuppressor": a.suppressor,
                          "actionsSuppressorWaitPeriod": a.suppressor_wait,
                          "actionsSuppressorExtensionPeriod": a.suppressor_extension},
    }  # fmt: skip
    if by is not None:
        detail["state"]["actionsSuppressedBy"] = by
        detail["state"]["actionsSuppressedReason"] = why
    event = outbox.envelope("aws.cloudwatch", "CloudWatch Alarm State Change", detail,
                            account=a.account, region=a.region, resources=[a.arn],
                            time=datetime.fromtimestamp(now / 1000, UTC),
                            event_id=str(uuid.uuid4()))  # fmt: skip
    db.execute("UPDATE alarms SET state = ?, reason = ?, reason_data = ?, state_ms = ? "
               "WHERE name = ?", (state, reason, data, now, a.name))  # fmt: skip
    db.execute("INSERT INTO alarm_history VALUES (?, ?, 'StateUpdate', ?, ?)",
               (a.name, now, f"Alarm updated from {before.state} to {state}",
                json.dumps(detail)))  # fmt: skip
    outbox.insert_event(db, event, now)
    act(db, a, before.state, state, reason, data, now, by not in (None, "WaitPeriod"))
