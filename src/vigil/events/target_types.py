"""The one table of target types: what each takes (its settings, checked when a rule is put)
and how it sends (called at each delivery). A new target type is one entry in `TARGETS` and
its send function here (the sender itself, if it is long, beside the others in `targets.py`).

Jobs and playbooks need stages above the events: their entries only say so, and the service
layer passes the real senders to the worker (`vigil.api.worker`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from vigil.config import Settings
from vigil.events import targets as tg
from vigil.events.policy import TargetPolicy
from vigil.events.target_config import (
    Check,
    Spec,
    check_email,
    check_job,
    check_playbook,
    check_settings,
    spec,
)


@dataclass(frozen=True)
class Outgoing:
    """One attempt as a target type's send function sees it."""

    settings: Settings
    allowed: TargetPolicy  # the operator's vigil.yaml, read again at every delivery
    kind: str
    options: dict[str, Any]  # the target's settings
    payload: Any
    key: str  # the idempotency key
    context: dict[str, Any]  # rule, rule_arn, target, home (a python handler's context)


@dataclass(frozen=True)
class TargetType:
    spec: Spec
    send: Callable[[Outgoing], str]
    check: Check = check_settings

    def problems(self, settings: Mapping[str, Any]) -> list[str]:
        """Every problem with a target's settings (empty when it can be delivered to)."""
        return self.check(self.spec, settings)


def _webhook(out: Outgoing) -> str:
    return tg.webhook(out.options, out.payload, out.key, out.allowed.web)


def _slack(out: Outgoing) -> str:
    return tg.slack(out.options, out.payload, out.key, out.allowed.web)


def _pagerduty(out: Outgoing) -> str:
    return tg.pagerduty(out.options, out.payload, out.key, out.allowed.web)


def _email(out: Outgoing) -> str:
    return tg.email(out.options, out.payload, out.key, out.allowed.mail)


def _command(out: Outgoing) -> str:
    return tg.command(out.options, out.payload, out.key, out.allowed.commands)


def _python(out: Outgoing) -> str:
    return tg.python(out.options, out.payload, out.key, out.context, out.allowed.handlers)


def _log(out: Outgoing) -> str:
    """A CloudWatch Logs target: the event as one log event (group and stream created)."""
    from vigil.logs.files import put_events_now
    from vigil.metrics.filters import apply_filters

    group = str(out.options.get("log_group", "/aws/events/vigil"))
    stream = str(out.options.get("stream", "events"))
    put_events_now(out.settings, group, stream, [json.dumps(out.payload)], on_stored=apply_filters)
    return f"1 event into {group}"


def not_available(out: Outgoing) -> str:
    """A topic (fanned out to its subscriptions when queued) or a type no longer known."""
    raise tg.DeliveryFailed(
        "NO_RESOURCE", f"target type {out.kind} is not available", retriable=False
    )


def _in_the_worker(out: Outgoing) -> str:
    """Jobs and playbooks: the worker's injected senders run them, nothing here."""
    raise tg.DeliveryFailed(
        "NO_RESOURCE", f"target type {out.kind} runs only in the worker", retriable=False
    )


_EMAIL_OPTIONAL: Final = "subject host port starttls ca_file username password"
TARGETS: Final[dict[str, TargetType]] = {  # in the order error messages list them
    "webhook": TargetType(spec("url", "headers secret", "secret"), _webhook),
    "slack": TargetType(spec("url", "link", "url"), _slack),
    "pagerduty": TargetType(spec("routing_key", "action url", "routing_key"), _pagerduty),
    "email": TargetType(spec("from to", _EMAIL_OPTIONAL, "password"), _email, check_email),
    "command": TargetType(spec("command", "timeout"), _command),
    "python": TargetType(spec("handler"), _python),
    "topic": TargetType(spec("topic"), not_available),
    "playbook": TargetType(
        spec("playbook", "apply role endpoint_url subnet"), _in_the_worker, check_playbook
    ),
    "log": TargetType(spec("", "log_group stream"), _log),
    "job": TargetType(spec("job"), _in_the_worker, check_job),
}


def check_target(kind: str, settings: Mapping[str, Any]) -> list[str]:
    """Every problem with a target's settings (empty when it can be delivered to)."""
    return TARGETS[kind].problems(settings)
