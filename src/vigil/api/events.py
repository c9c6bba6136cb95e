"""The event bus: PutEvents, TestEventPattern, the recent events, rules (Put/Describe/
Enable/Disable/DeleteRule with their targets), the dead-letter queue and the delivery audit.
Answers are the stage's typed values (`BusEvent`, `WrittenRule`, a dead letter's
`Delivery`, `AuditRow`, `DeliveryView`); the shells shape them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vigil.api.buses import bus_name
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.events.attempts import DeliveryView as DeliveryView
from vigil.events.attempts import deliveries as newest
from vigil.events.attempts import send_test, wait_for
from vigil.events.audit import AuditRow as AuditRow
from vigil.events.bus import BusEvent as BusEvent
from vigil.events.bus import EventStore
from vigil.events.delivery import Deliveries
from vigil.events.netguard import Refused
from vigil.events.pattern import Pattern
from vigil.events.policy import policy
from vigil.events.queue import Delivery as Delivery
from vigil.events.rules import Rule, load_rules, rule_doc, rules_dir, save_rule
from vigil.events.rules import WrittenRule as WrittenRule
from vigil.events.rules import check_rule as check


@dataclass
class PutEventsResult:
    entries: list[dict[str, str]] = field(default_factory=list)  # EventId or ErrorCode each

    @property
    def failed(self) -> int:
        return sum(1 for e in self.entries if "ErrorCode" in e)


@dataclass(frozen=True)
class RuleRow:
    name: str
    enabled: bool
    trigger: str  # the schedule expression or the pattern as JSON
    targets: str
    bus: str = "default"


@dataclass(frozen=True)
class Rules:
    rules: list[RuleRow]
    problems: list[str]


def put_events(
    settings: Settings, entries: list[Any], *, account: str, region: str
) -> PutEventsResult:
    """Entries 10 to a call, as PutEvents takes them; an entry that is not valid fails alone."""

    result = PutEventsResult()
    with EventStore(settings) as store:
        for i in range(0, len(entries), 10):
            batch = entries[i : i + 10]
            result.entries += store.put_events(
                batch, account=account, region=region, now=now_ms()
            ).entries
    return result


def test_pattern(pattern: Any, event: dict[str, Any]) -> bool:
    return Pattern(pattern).matches(event)


def recent(settings: Settings, limit: int = 20, source: str | None = None) -> list[BusEvent]:
    with EventStore(settings) as store:
        return store.recent(limit, source)


def put_rule(settings: Settings, doc: dict[str, Any]) -> Rule:
    """Add or replace a rule (checked first; its `bus`, a name or ARN, must exist)."""

    if doc.get("bus") not in (None, "", "default"):
        doc = {**doc, "bus": bus_name(settings, str(doc["bus"]))}
    return save_rule(settings, doc)


def check_rule(settings: Settings, doc: dict[str, Any]) -> Rule:
    """The rule this document makes, or the RuleError saying what is wrong (its targets held to
    the operator's policy in vigil.yaml); nothing saved."""

    return check(settings, doc)


def check_endpoint(settings: Settings, url: str | None) -> None:
    """An AWS endpoint a client of the server names (a playbook's, a source's): Vigil signs
    its calls there with the server's own credentials, so it is held to the networks
    vigil.yaml lets targets reach (a ConfigError saying why not)."""

    if not url:
        return
    try:
        policy(settings).web.check_url(str(url))
    except Refused as exc:
        raise ConfigError(f"endpoint_url: {exc}") from None


def rules(settings: Settings) -> Rules:
    found, problems = load_rules(settings)
    rows = [
        RuleRow(
            r.name,
            r.enabled,
            r.schedule.text if r.schedule else json.dumps(r.pattern.raw if r.pattern else {}),
            ", ".join(f"{t.id} ({t.type})" for t in r.targets),
            r.bus,
        )
        for r in found
    ]
    return Rules(rows, problems)


def rule_document(settings: Settings, name: str, bus: str = "default") -> WrittenRule:
    """A rule as written (name, pattern or schedule, enabled, description, targets; `bus`
    when it is on a custom bus)."""

    return rule_doc(settings, name, bus)


def rule_documents(settings: Settings, bus: str | None = None) -> list[WrittenRule]:
    """Every rule of a bus (None: of every bus) that parses, as written, by name."""

    found, _ = load_rules(settings)
    chosen = [r for r in found if bus is None or r.bus == bus]
    return [rule_doc(settings, r.name, r.bus) for r in sorted(chosen, key=lambda r: r.key)]


def set_rule_enabled(settings: Settings, name: str, enabled: bool, bus: str = "default") -> None:
    save_rule(settings, {**rule_doc(settings, name, bus).written, "enabled": enabled})


def delete_rule(settings: Settings, name: str, bus: str = "default") -> None:
    rule_doc(settings, name, bus)  # an unknown name is an error
    (rules_dir(settings, bus) / f"{name}.yaml").unlink()


def dead_letters(settings: Settings) -> list[Delivery]:
    """Deliveries that failed for good, with why (`error_code`, `error`, `exhausted`)."""

    with Deliveries(settings) as store:
        return store.dlq()


def redrive(settings: Settings, ids: list[int] | None = None) -> int:
    """Queue dead-lettered deliveries again (all, or these)."""

    with Deliveries(settings) as store:
        return store.redrive(ids, now_ms())


def audit(settings: Settings, limit: int = 50) -> list[AuditRow]:
    with Deliveries(settings) as store:
        return store.audit(limit)


def deliveries(settings: Settings, limit: int = 50) -> list[DeliveryView]:
    """The newest deliveries, each with its last error and every attempt's answer."""

    return newest(settings, limit)


def send_test_event(
    settings: Settings, rule: str, target: str, by: str, wait_seconds: float = 15.0
) -> list[DeliveryView]:
    """A test event to one target of a rule, through the queue and the worker (`vigil serve`
    runs it); its deliveries after their first attempt, or as they are when the wait ends."""

    ids = send_test(settings, rule, target, by, now_ms())
    return wait_for(settings, ids, wait_seconds)
