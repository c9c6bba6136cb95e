"""An alarm's actions on a state change: with ActionsEnabled (and no suppressor in ALARM) the
actions for the new state are put on the event bus as one `vigil.alarms` "Alarm Action" event
holding the SNS message CloudWatch sends to a topic; the bus delivers it to each SNS topic's
subscribers (`<home>/topics/<name>.yaml`, see `vigil.events.alarm_actions`). Each action is
also an `Action` item in the alarm's history. Written in the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from vigil.state import outbox

SOURCE: Final = "vigil.alarms"
DETAIL_TYPE: Final = "Alarm Action"


def sns_topic(arn: str) -> str | None:
    """The topic an `arn:aws:sns:R:A:TOPIC` action names; None for other actions."""
    parts = arn.split(":")
    return parts[5] if arn.startswith("arn:aws:sns:") and len(parts) == 6 else None


def emit(db: sqlite3.Connection, name: str, arn: str, account: str, region: str,
         description: str, old: str, new: str, reason: str, data: str, now: int,
         actions: list[str], trigger: dict[str, Any]) -> None:  # fmt: skip
    if not actions:
        return
    when = datetime.fromtimestamp(now / 1000, UTC)
    message = {
        "AlarmName": name, "AlarmDescription": description or None, "AWSAccountId": account,
        "NewStateValue": new, "NewStateReason": reason, "StateChangeTime":
        when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now % 1000:03d}+0000",
        "Region": region, "AlarmArn": arn, "OldStateValue": old, "Trigger": trigger,
    }  # fmt: skip
    topics = [t for t in (sns_topic(a) for a in actions) if t is not None]
    detail = {"alarmName": name, "actions": actions, "topics": topics, "message": message}
    event = outbox.envelope(SOURCE, DETAIL_TYPE, detail, account=account, region=region,
                            resources=[arn], time=when, event_id=str(uuid.uuid4()))  # fmt: skip
    outbox.insert_event(db, event, now)
    for action in actions:
        summary = (f"Action {action} sent to the event bus" if sns_topic(action)
                   else f"Action {action} is not one Vigil runs (SNS topics only)")  # fmt: skip
        db.execute("INSERT INTO alarm_history VALUES (?, ?, 'Action', ?, ?)",
                   (name, now, summary, json.dumps({"actionState": "Succeeded"
                    if sns_topic(action) else "Failed", "stateUpdateTimestamp": now,
                    "notificationResource": action})))  # fmt: skip
