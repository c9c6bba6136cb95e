"""Sending one delivery: the target type's send function from the one table (`TARGETS`), or a
sender a higher stage provided (jobs and playbooks, passed in by the service layer through the
worker), with the operator's policy checked again at every delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vigil.config import Settings
from vigil.events import targets as tg
from vigil.events.policy import policy
from vigil.events.rules import Rule, Target
from vigil.events.target_types import TARGETS, Outgoing, not_available

# A provided sender: (settings, rule, target, payload, idempotency key) -> response excerpt.
Sender = Callable[[Settings, Rule, Target, Any, str], str]


def send(
    settings: Settings,
    rule: Rule,
    target: Target,
    payload: Any,
    key: str,
    provided: Mapping[str, Sender] | None = None,
) -> str:
    """The target's answer (an excerpt), or `DeliveryFailed`."""
    allowed = policy(settings)  # the operator's vigil.yaml, checked again at every delivery
    sender = (provided or {}).get(target.type)
    if sender is not None:  # jobs and playbooks: their endpoint_url checked again
        problems = allowed.problems(target.type, target.settings)
        if problems:
            raise tg.DeliveryFailed("NO_PERMISSIONS", "; ".join(problems), retriable=False)
        return sender(settings, rule, target, payload, key)
    kind = TARGETS.get(target.type)
    context = {"rule": rule.name, "rule_arn": rule.arn, "target": target.id,
               "home": str(settings.home)}  # fmt: skip
    out = Outgoing(settings, allowed, target.type, target.settings, payload, key, context)
    return (kind.send if kind else not_available)(out)
