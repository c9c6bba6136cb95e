"""Alarm actions on the bus: one built-in rule per SNS topic (`<home>/topics/<name>.yaml`) that
takes the `vigil.alarms` "Alarm Action" events naming that topic and fans the SNS message they
carry out to the topic's subscribers, with the bus's retries, audit and dead-letter queue."""

from __future__ import annotations

from vigil.config import Settings
from vigil.events.rules import Rule, RuleError, parse_rule
from vigil.metrics.actions import DETAIL_TYPE, SOURCE


def rules(settings: Settings) -> list[Rule]:
    folder = settings.home / "topics"
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        topic = path.stem
        doc = {
            "name": f"alarm-actions.{topic}"[:64],
            "pattern": {"source": [SOURCE], "detail-type": [DETAIL_TYPE],
                        "detail": {"topics": [topic]}},
            "targets": [{"id": "topic", "type": "topic", "topic": topic,
                         "input_path": "$.detail.message"}],
        }  # fmt: skip
        try:
            found.append(parse_rule(doc, f"the alarm actions of topic {topic}"))
        except RuleError:
            continue  # a topic name a rule cannot carry: its alarm actions stay undelivered
    return found
