"""The demo's CloudWatch part: the organization trail also delivers to a log group carrying the
CIS pack, and the alarms are evaluated every five minutes across the day, as CloudWatch would
have done, so the demo shows which fired and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from vigil.config import Settings
from vigil.logs.groups import LogsError, LogStore
from vigil.metrics.alarms import AlarmStore
from vigil.metrics.packs import install_pack
from vigil.metrics.store import MetricStore

TRAIL_GROUP: Final = "aws-cloudtrail-logs-anycompany-org"
STEP: Final = timedelta(minutes=5)


def prepare(settings: Settings) -> str:
    """The trail's log group with the CIS metric filters and alarms (once)."""
    with LogStore(settings) as logs:
        try:
            logs.group(TRAIL_GROUP)
            return TRAIL_GROUP
        except LogsError:
            logs.create_group(TRAIL_GROUP, account="111111111111", region="us-east-1",
                              retention_days=365)  # fmt: skip
    install_pack(settings, "cis", TRAIL_GROUP)
    return TRAIL_GROUP


def replay_day(settings: Settings, day: str) -> list[dict[str, Any]]:
    """Evaluate every alarm every five minutes over the day (and an hour after); the alarms
    that went to ALARM, each with the first time and CloudWatch's reason."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    fired: dict[str, dict[str, Any]] = {}
    with AlarmStore(settings) as alarms, MetricStore(settings) as metrics:
        moment = start + STEP
        while moment <= start + timedelta(days=1, hours=1):
            for status in alarms.evaluate(int(moment.timestamp() * 1000), metrics):
                if status.state == "ALARM" and status.alarm.name not in fired:
                    fired[status.alarm.name] = {
                        "alarm": status.alarm.name, "at": moment.isoformat().replace("+00:00", "Z"),
                        "reason": status.reason, "description": status.alarm.description,
                    }  # fmt: skip
            moment += STEP
    return sorted(fired.values(), key=lambda a: str(a["at"]))
