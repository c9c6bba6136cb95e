"""Which sender a target type uses, with what it needs from Vigil (allow-list, context).
Jobs and playbooks are provided by the service layer (`vigil.api.worker`), which passes them in."""

from __future__ import annotations

import json
from typing import Any

from vigil.config import Settings
from vigil.events import targets as tg
from vigil.events.policy import policy
from vigil.events.rules import Rule, Target


def send(settings: Settings, rule: Rule, target: Target, payload: Any, key: str) -> str:
    kind = target.type
    allowed = policy(settings)  # the operator's vigil.yaml, checked again at every delivery
    if kind == "webhook":
        return tg.webhook(target.settings, payload, key, allowed.web)
    if kind == "slack":
        return tg.slack(target.settings, payload, key, allowed.web)
    if kind == "pagerduty":
        return tg.pagerduty(target.settings, payload, key, allowed.web)
    if kind == "email":
        return tg.email(target.settings, payload, key, allowed.mail)
    if kind == "command":
        return tg.command(target.settings, payload, key, allowed.commands)
    if kind == "python":
        context = {
            "rule": rule.name,
            "rule_arn": rule.arn,
            "target": target.id,
            "home": str(settings.home),
        }
        return tg.python(target.settings, payload, key, context, allowed.handlers)
    if kind == "log":
        return _log(settings, target, payload)
    if kind in ("job", "playbook"):  # provided by the service layer (vigil.api.worker)
        raise tg.DeliveryFailed(
            "NO_RESOURCE", f"target type {kind} runs only in the worker", retriable=False
        )
    raise tg.DeliveryFailed("NO_RESOURCE", f"target type {kind} is not available", retriable=False)


def _log(settings: Settings, target: Target, payload: Any) -> str:
    """A CloudWatch Logs target: the event as one log event (group and stream created)."""
    from vigil.logs.files import put_events_now
    from vigil.metrics.filters import apply_filters

    group = str(target.settings.get("log_group", "/aws/events/vigil"))
    stream = str(target.settings.get("stream", "events"))
    put_events_now(settings, group, stream, [json.dumps(payload)], on_stored=apply_filters)
    return f"1 event into {group}"
