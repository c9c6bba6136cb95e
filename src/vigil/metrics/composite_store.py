"""The composite side of the alarms table: put and read composite alarms, delete alarms as
CloudWatch allows (never one a composite still names), and switch actions on and off; the
metric side (`alarms.AlarmStore`) builds on it."""

from __future__ import annotations

import json
import time

from vigil.metrics import composite
from vigil.metrics.composite import AlarmError, CompositeAlarm, CompositeStatus
from vigil.metrics.suppression import suppression
from vigil.state import Store


class CompositeAlarms(Store):
    def put_composite(self, alarm: CompositeAlarm, now: int) -> CompositeStatus:
        """Create or update a composite alarm, then evaluate it (its state on an update too)."""
        with self.state.transaction() as db:
            known = set(composite.states(db))
            composite.check(alarm, known | {alarm.name} if alarm.name in known else known)
            row = db.execute("SELECT definition FROM alarms WHERE name = ?",
                             (alarm.name,)).fetchone()  # fmt: skip
            if row and not composite.is_composite(row[0]):
                raise AlarmError(f"The alarm {alarm.name} is a metric alarm")
            for child in alarm.children:
                if len(composite.parents(db, child)) >= composite.MAX_PARENTS and not row:
                    raise AlarmError(f"{child} is in the rules of {composite.MAX_PARENTS} "
                                     "composite alarms already", "LimitExceeded")  # fmt: skip
            definition = composite.dump(alarm)
            if row:
                db.execute("UPDATE alarms SET definition = ? WHERE name = ?",
                           (definition, alarm.name))  # fmt: skip
            else:
                db.execute("INSERT INTO alarms VALUES (?, ?, 'INSUFFICIENT_DATA', ?, '{}', ?)",
                           (alarm.name, definition, "Unchecked: Initial alarm creation",
                            now))  # fmt: skip
            summary = f'Alarm "{alarm.name}" {"updated" if row else "created"}'
            db.execute("INSERT INTO alarm_history VALUES (?, ?, 'ConfigurationUpdate', ?, ?)",
                       (alarm.name, now, summary, definition))  # fmt: skip
            if composite.evaluate(db, alarm.name, now):
                composite.propagate(db, alarm.name, now)
        return self.composite(alarm.name)

    def composite(self, name: str) -> CompositeStatus:
        row = self.state.db.execute(
            "SELECT definition, state, reason, reason_data, state_ms FROM alarms WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None or not composite.is_composite(row[0]):
            raise AlarmError(f"Alarm {name} does not exist", "ResourceNotFound")
        found = composite.status(row)
        found.suppressed_by, found.suppressed_reason = suppression(
            self.state.db, found.alarm, int(time.time() * 1000)
        )
        return found

    def composites(self) -> list[CompositeStatus]:
        names = self.state.db.execute("SELECT name, definition FROM alarms ORDER BY name")
        return [self.composite(n) for n, d in names.fetchall() if composite.is_composite(d)]

    def kind(self, name: str) -> str | None:
        """MetricAlarm, CompositeAlarm, or None for no such alarm."""
        row = self.state.db.execute("SELECT definition FROM alarms WHERE name = ?",
                                    (name,)).fetchone()  # fmt: skip
        if row is None:
            return None
        return "CompositeAlarm" if composite.is_composite(row[0]) else "MetricAlarm"

    def delete(self, name: str) -> None:
        self.delete_many([name])

    def delete_many(self, names: list[str]) -> None:
        """DeleteAlarms: refused (nothing deleted) for an alarm a composite still names, or
        for more than one composite at once."""
        with self.state.transaction() as db:
            kinds = {n: self.kind(n) for n in names}
            missing = [n for n, k in kinds.items() if k is None]
            if missing:
                raise AlarmError(f"Alarm {missing[0]} does not exist", "ResourceNotFound")
            if sum(1 for k in kinds.values() if k == "CompositeAlarm") > 1:
                raise AlarmError("DeleteAlarms deletes at most one composite alarm at a time")
            held = [n for n in names if set(composite.parents(db, n)) - set(names)
                    or (n in composite.parents(db, n))]  # fmt: skip
            if held:
                them = "it" if len(held) == 1 else "them"
                raise AlarmError(f"Cannot delete {','.join(held)} as there are composite "
                                 f"alarm(s) depending on {them}.")  # fmt: skip
            db.executemany("DELETE FROM alarms WHERE name = ?", [(n,) for n in names])

    def set_actions_enabled(self, names: list[str], enabled: bool) -> None:
        """EnableAlarmActions / DisableAlarmActions (names that are not alarms are skipped)."""
        with self.state.transaction() as db:
            for name in names:
                row = db.execute("SELECT definition FROM alarms WHERE name = ?",
                                 (name,)).fetchone()  # fmt: skip
                if row is None:
                    continue
                raw = json.loads(row[0])
                raw["actions_enabled"] = enabled
                db.execute("UPDATE alarms SET definition = ? WHERE name = ?",
                           (json.dumps(raw), name))  # fmt: skip
