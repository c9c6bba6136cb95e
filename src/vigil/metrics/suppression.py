"""A composite alarm's action suppression (`ActionsSuppressor`), as CloudWatch documents it:

* while the suppressor is in ALARM, the composite's actions do not run (`Alarm`);
* for `ActionsSuppressorExtensionPeriod` seconds after the suppressor leaves ALARM, neither
  (`ExtensionPeriod`);
* otherwise a change's actions wait up to `ActionsSuppressorWaitPeriod` seconds for the
  suppressor to go into ALARM (`WaitPeriod`): if it does, they never run; if not, they run when
  the wait ends (`settle`, called at every evaluation round) — unless the composite has changed
  state again meanwhile.

A wait is an `Action` item of the composite's history ("Waiting …" with the state and the
moment it ends in its data); what ends it is the next `Action` item."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Final

from vigil.metrics import rule as rules
from vigil.metrics.actions import emit

if TYPE_CHECKING:
    from vigil.metrics.alarm_model import CompositeAlarm

WAITING: Final = "Waiting"


def suppression(db: sqlite3.Connection, a: CompositeAlarm,
                now: int) -> tuple[str | None, str | None]:  # fmt: skip
    """(ActionsSuppressedBy, ActionsSuppressedReason) at `now`."""
    if a.suppressor is None:
        return None, None
    name = rules.alarm_name(a.suppressor)
    row = db.execute("SELECT state FROM alarms WHERE name = ?", (name,)).fetchone()
    if row and row[0] == "ALARM":
        return "Alarm", f"Alarm {name} is in ALARM state"
    left = db.execute("SELECT ts FROM alarm_history WHERE name = ? AND kind = 'StateUpdate' "
                      "AND summary LIKE 'Alarm updated from ALARM to %' ORDER BY ts DESC LIMIT 1",
                      (name,)).fetchone()  # fmt: skip
    extension = (a.suppressor_extension or 0) * 1000
    if left and row and now - int(left[0]) < extension:
        return "ExtensionPeriod", (f"Extension period of {a.suppressor_extension} seconds after "
                                   f"{name} left ALARM")  # fmt: skip
    pending = _pending(db, a.name)
    if pending is not None and pending[1] > now:
        return "WaitPeriod", (f"Waiting up to {a.suppressor_wait} seconds for {name} to go into "
                              "ALARM")  # fmt: skip
    return None, None


def act(db: sqlite3.Connection, a: CompositeAlarm, old: str, state: str, reason: str,
        data: str, now: int, suppressed: bool) -> str | None:  # fmt: skip
    """On a change: run the state's actions, hold them for the wait period, or not at all.
    Returns "WaitPeriod" when they wait."""
    actions = {"ALARM": a.alarm_actions, "OK": a.ok_actions,
               "INSUFFICIENT_DATA": a.insufficient_data_actions}[state]  # fmt: skip
    if not a.actions_enabled or suppressed or not actions:
        return None
    if a.suppressor is not None and a.suppressor_wait:
        due = now + a.suppressor_wait * 1000
        db.execute("INSERT INTO alarm_history VALUES (?, ?, 'Action', ?, ?)",
                   (a.name, now, f"{WAITING} up to {a.suppressor_wait} seconds for "
                    f"{rules.alarm_name(a.suppressor)} before the {state} actions",
                    json.dumps({"state": state, "old": old, "reason": reason,
                                "reasonData": data, "due": due})))  # fmt: skip
        return "WaitPeriod"
    emit(db, a.name, a.arn, a.account, a.region, a.description, old, state, reason, data, now,
         list(actions), {"alarmRule": a.rule})  # fmt: skip
    return None


def settle(db: sqlite3.Connection, found: dict[str, CompositeAlarm], now: int) -> None:
    """End the waits that are over: actions run, or are dropped when the suppressor went into
    ALARM (or the composite changed state since)."""
    for name, a in found.items():
        pending = _pending(db, name)
        if pending is None or a.suppressor is None:
            continue
        held, due = pending
        row = db.execute("SELECT state FROM alarms WHERE name = ?",
                         (rules.alarm_name(a.suppressor),)).fetchone()  # fmt: skip
        if row and row[0] == "ALARM":
            _end(db, name, now, f"Actions suppressed: {rules.alarm_name(a.suppressor)} went "
                 "into ALARM during the wait period")  # fmt: skip
        elif now >= due:
            actions = {"ALARM": a.alarm_actions, "OK": a.ok_actions,
                       "INSUFFICIENT_DATA": a.insufficient_data_actions}[held["state"]]  # fmt: skip
            emit(db, name, a.arn, a.account, a.region, a.description, held["old"],
                 held["state"], held["reason"], held["reasonData"], now, list(actions),
                 {"alarmRule": a.rule})  # fmt: skip


def _pending(db: sqlite3.Connection, name: str) -> tuple[dict[str, str], int] | None:
    """The wait in progress: the newest Action item, when it is a wait for the current state."""
    last = db.execute("SELECT ts, summary, data FROM alarm_history WHERE name = ? AND "
                      "kind = 'Action' ORDER BY ts DESC, rowid DESC LIMIT 1",
                      (name,)).fetchone()  # fmt: skip
    if last is None or not str(last[1]).startswith(WAITING):
        return None
    changed = db.execute("SELECT state_ms FROM alarms WHERE name = ?", (name,)).fetchone()
    if changed is None or int(changed[0]) > int(last[0]):
        return None  # the composite changed state again: that change decided anew
    held = json.loads(last[2])
    return held, int(held["due"])


def _end(db: sqlite3.Connection, name: str, now: int, summary: str) -> None:
    db.execute("INSERT INTO alarm_history VALUES (?, ?, 'Action', ?, ?)",
               (name, now, summary, json.dumps({"actionState": "Suppressed"})))  # fmt: skip
