"""Metric alarms: PutMetricAlarm, evaluation at a moment, SetAlarmState, history.

Every state change is recorded in the alarm's history and emits a "CloudWatch Alarm State
Change" event (spec §4.5) onto the event bus (the state store's `events`), in one transaction.
Evaluation looks at the N + 2 periods that end at the evaluation minute (a sliding window, as
CloudWatch evaluates every minute) and decides with `evaluation.decide`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from vigil.metrics import alarm_math, anomaly, composite
from vigil.metrics import evaluation as ev
from vigil.metrics.actions import emit
from vigil.metrics.alarm_checks import check_alarm, low_sample_threshold
from vigil.metrics.alarm_docs import state_change_event
from vigil.metrics.alarm_math import Query
from vigil.metrics.alarm_model import Alarm, AlarmError, AlarmStatus, CompositeStatus, HistoryItem
from vigil.metrics.alarm_model import aws_time as _aws_time
from vigil.metrics.composite_store import CompositeAlarms
from vigil.metrics.stats import window
from vigil.metrics.store import MetricError, MetricStore
from vigil.metrics.suppression import settle
from vigil.state import outbox

__all__ = ["Alarm", "AlarmStatus", "AlarmStore", "HistoryItem", "check_alarm",
           "low_sample_threshold", "state_change_event"]  # fmt: skip


class AlarmStore(CompositeAlarms):
    _children: set[str] | None = None  # during evaluate(): the alarms composites name

    def put(self, alarm: Alarm, now: int) -> AlarmStatus:
        """Create or update; a new alarm starts in INSUFFICIENT_DATA."""
        check_alarm(alarm)
        definition = json.dumps(asdict(alarm))
        with self.state.transaction() as db:
            row = db.execute("SELECT definition FROM alarms WHERE name = ?",
                             (alarm.name,)).fetchone()  # fmt: skip
            if row and composite.is_composite(row[0]):
                raise AlarmError(f"The alarm {alarm.name} is a composite alarm")
            if row:
                db.execute(
                    "UPDATE alarms SET definition = ? WHERE name = ?", (definition, alarm.name)
                )
            else:
                db.execute(
                    "INSERT INTO alarms VALUES (?, ?, 'INSUFFICIENT_DATA', ?, '{}', ?)",
                    (alarm.name, definition, "Unchecked: Initial alarm creation", now),
                )
            summary = f'Alarm "{alarm.name}" {"updated" if row else "created"}'
            db.execute("INSERT INTO alarm_history VALUES (?, ?, 'ConfigurationUpdate', ?, ?)",
                       (alarm.name, now, summary, definition))  # fmt: skip
        self._detector_for_band(alarm)
        return self.get(alarm.name)

    def _detector_for_band(self, alarm: Alarm) -> None:
        """An anomaly alarm's metric gets a detector, as CloudWatch makes one for it."""
        if alarm.threshold_metric_id is None:
            return
        band = next(q for q in alarm.queries if q.id == alarm.threshold_metric_id)
        match = alarm_math.BAND.fullmatch(band.expression or "")
        source = next(q for q in alarm.queries if match and q.id == match[1])
        if source.stat and anomaly.find(self.settings, source.metric, source.stat) is None:
            anomaly.put(self.settings, anomaly.Detector(source.namespace or "",
                        source.metric_name or "", source.stat, source.dimensions))  # fmt: skip

    def get(self, name: str) -> AlarmStatus:
        row = self.state.db.execute(
            "SELECT definition, state, reason, reason_data, state_ms FROM alarms WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None or composite.is_composite(row[0]):
            raise MetricError(f"no alarm {name!r}", hint="vigil alarms list")
        return AlarmStatus(_alarm(row[0]), row[1], row[2], row[3], row[4])

    def all(self, prefix: str = "") -> list[AlarmStatus]:
        rows = self.state.db.execute(
            "SELECT definition, state, reason, reason_data, state_ms FROM alarms "
            "WHERE substr(name, 1, ?) = ? ORDER BY name",
            (len(prefix), prefix),
        ).fetchall()
        return [AlarmStatus(_alarm(r[0]), r[1], r[2], r[3], r[4]) for r in rows
                if not composite.is_composite(r[0])]  # fmt: skip

    def history(self, name: str | None = None) -> list[HistoryItem]:
        rows = self.state.db.execute(
            "SELECT name, ts, kind, summary, data FROM alarm_history "
            "WHERE ? IS NULL OR name = ? ORDER BY ts, rowid",
            (name, name),
        ).fetchall()
        return [HistoryItem(*r) for r in rows]

    def set_state(self, name: str, state: ev.State, reason: str, now: int,
                  reason_data: str = "{}") -> AlarmStatus | CompositeStatus:  # fmt: skip
        """SetAlarmState: until the next evaluation (a composite's: until a child changes)."""
        if state not in ("OK", "ALARM", "INSUFFICIENT_DATA"):
            raise MetricError(f"state {state!r}: OK, ALARM or INSUFFICIENT_DATA")
        if self.kind(name) == "CompositeAlarm":
            before = self.composite(name)
            with self.state.transaction() as db:
                composite.transition(db, before, state, reason, reason_data, now)
                composite.propagate(db, name, now)
            return self.composite(name)
        status = self.get(name)
        self._transition(status, state, reason, reason_data, now)
        return self.get(name)

    def evaluate(self, now: int, metrics: MetricStore) -> list[AlarmStatus]:
        """Evaluate every alarm at `now` (ms); returns those whose state changed."""
        changed = []
        # the alarms some composite names, read once a round: only their changes propagate
        found = composite.composites(self.state.db)
        self._children = {c for parent in found.values() for c in parent.children}
        if any(c.suppressor for c in found.values()):
            with self.state.transaction() as db:  # actions whose wait period is over
                settle(db, found, now)
        try:
            for status in self.all():
                new = self._evaluate_one(status, now, metrics)
                if new is not None:
                    changed.append(new)
        finally:
            self._children = None
        return changed

    def _evaluate_one(
        self, status: AlarmStatus, now: int, metrics: MetricStore
    ) -> AlarmStatus | None:
        a = status.alarm
        step = a.period * 1000
        end = now - now % 60_000  # evaluation runs on the minute
        slots = a.evaluation_periods + ev.EXTRA_RANGE
        starts = [end - i * step for i in range(slots, 0, -1)]
        low_recent = False
        if a.queries:
            detector = None
            if a.threshold_metric_id is not None:
                found = [
                    d
                    for d in anomaly.detectors(self.settings)
                    if any(q.metric == d.metric and q.stat == d.stat for q in a.queries)
                ]
                detector = found[0] if found else None  # fmt: skip
            column, bands = alarm_math.values(metrics, a.queries, a.threshold_metric_id,
                                              starts, a.period, detector)  # fmt: skip
        else:
            column, bands = [], [None] * slots
            low = low_sample_threshold(a.statistic)
            for start in starts:
                got = window(metrics, a.metric, start, start + step, a.statistic, a.unit)
                column.append(got[0] if got else None)
                if got is not None:
                    low_recent = low is not None and got[1] < low
        points: list[bool | None] = []
        values: list[tuple[int, float]] = []  # most recent first
        recent_bands: list[tuple[float, float]] = []
        for start, value, band in zip(starts, column, bands, strict=True):
            if value is None or (a.threshold_metric_id is not None and band is None):
                points.append(None)
                continue
            if band is not None:
                points.append(ev.BAND_COMPARISONS[a.comparison][1](value, *band))
                recent_bands.insert(0, band)
            else:
                points.append(ev.breaches(a.comparison, value, a.threshold))
            values.insert(0, (start, value))
        decision = ev.decide(points, a.evaluation_periods, a.m, a.treat_missing_data)
        if low_recent and a.evaluate_low_sample_count_percentile == "ignore":
            decision = "KEEP"
        if decision == "KEEP" or decision == status.state:
            return None
        evaluated = values[: a.evaluation_periods]
        missing = sum(1 for p in points[-a.evaluation_periods :] if p is None)
        if a.threshold_metric_id is not None and decision != "INSUFFICIENT_DATA" and evaluated:
            text = ev.band_reason(decision, status.state, evaluated,
                                  recent_bands[: a.evaluation_periods], a.evaluation_periods,
                                  a.m, a.comparison)  # fmt: skip
        else:
            text = ev.reason(decision, status.state, evaluated, a.evaluation_periods, a.m,
                             a.comparison if a.comparison in ev.COMPARISONS
                             else "GreaterThanThreshold", a.threshold, missing)  # fmt: skip
        doc: dict[str, Any] = {
            "version": "1.0",
            "queryDate": _aws_time(now),
            "startDate": _aws_time(end - slots * step),
            "period": a.period,
            "recentDatapoints": [v for _, v in evaluated],
        }
        if not a.queries:
            doc["statistic"] = a.statistic
        if a.threshold_metric_id is None:
            doc["threshold"] = a.threshold
        else:
            doc["recentLowerThresholds"] = [lo for lo, _ in recent_bands[: len(evaluated)]]
            doc["recentUpperThresholds"] = [hi for _, hi in recent_bands[: len(evaluated)]]
        self._transition(status, decision, text, json.dumps(doc), now)
        return self.get(a.name)

    def _transition(
        self, status: AlarmStatus, state: ev.State, reason: str, data: str, now: int
    ) -> None:
        a = status.alarm
        event = state_change_event(a, status, state, reason, data, now)
        with self.state.transaction() as db:
            db.execute("UPDATE alarms SET state = ?, reason = ?, reason_data = ?, state_ms = ? "
                       "WHERE name = ?", (state, reason, data, now, a.name))  # fmt: skip
            summary = f"Alarm updated from {status.state} to {state}"
            db.execute("INSERT INTO alarm_history VALUES (?, ?, 'StateUpdate', ?, ?)",
                       (a.name, now, summary, json.dumps(event["detail"])))  # fmt: skip
            outbox.insert_event(db, event, now)
            actions = {"ALARM": a.alarm_actions, "OK": a.ok_actions,
                       "INSUFFICIENT_DATA": a.insufficient_data_actions}[state]  # fmt: skip
            if a.actions_enabled:
                emit(db, a.name, a.arn, a.account, a.region, a.description, status.state, state,
                     reason, data, now, list(actions),
                     event["detail"]["configuration"])  # fmt: skip
            if self._children is None or a.name in self._children:
                composite.propagate(db, a.name, now)

    def events(self) -> list[dict[str, Any]]:
        """The state-change events this store emitted, oldest first."""
        rows = self.state.db.execute(
            "SELECT event FROM events WHERE source = 'aws.cloudwatch' ORDER BY seq"
        )
        return [json.loads(r[0]) for r in rows.fetchall()]


def _alarm(text: str) -> Alarm:
    raw = json.loads(text)
    for key in ("dimensions",):
        raw[key] = tuple(tuple(d) for d in raw[key])
    for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        raw[key] = tuple(raw[key])
    raw["queries"] = tuple(Query(**{**q, "dimensions": tuple(tuple(d) for d in q["dimensions"])})
                           for q in raw.get("queries") or ())  # fmt: skip
    return Alarm(**raw)
