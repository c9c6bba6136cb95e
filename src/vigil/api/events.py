"""The event bus: PutEvents, TestEventPattern, the recent events, rules (Put/Describe/
Enable/Disable/DeleteRule with their targets), the dead-letter queue and the delivery audit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigil.clock import now_ms
from vigil.config import Settings

if TYPE_CHECKING:
    from vigil.events.attempts import Delivery
    from vigil.events.rules import Rule

__all__ = ["PutEventsResult", "RuleRow", "Rules"]


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
    from vigil.events.bus import EventStore

    result = PutEventsResult()
    with EventStore(settings) as store:
        for i in range(0, len(entries), 10):
            batch = entries[i : i + 10]
            result.entries += store.put_events(
                batch, account=account, region=region, now=now_ms()
            ).entries
    return result


def test_pattern(pattern: Any, event: dict[str, Any]) -> bool:
    from vigil.events.pattern import Pattern

    return Pattern(pattern).matches(event)


def recent(settings: Settings, limit: int = 20, source: str | None = None) -> list[dict[str, Any]]:
    from vigil.events.bus import EventStore

    with EventStore(settings) as store:
        return store.recent(limit, source)


def put_rule(settings: Settings, doc: dict[str, Any]) -> Rule:
    """Add or replace a rule (checked first; its `bus`, a name or ARN, must exist)."""
    from vigil.events.rules import save_rule

    if doc.get("bus") not in (None, "", "default"):
        doc = {**doc, "bus": bus_name(settings, str(doc["bus"]))}
    return save_rule(settings, doc)


def check_rule(settings: Settings, doc: dict[str, Any]) -> Rule:
    """The rule this document makes, or the RuleError saying what is wrong (its targets held to
    the operator's policy in vigil.yaml); nothing saved."""
    from vigil.events.rules import check_rule as check

    return check(settings, doc)


def check_endpoint(settings: Settings, url: str | None) -> None:
    """An AWS endpoint a client of the server names (a playbook's, a source's): Vigil signs
    its calls there with the server's own credentials, so it is held to the networks
    vigil.yaml lets targets reach (a ConfigError saying why not)."""
    from vigil.errors import ConfigError
    from vigil.events.netguard import Refused
    from vigil.events.policy import policy

    if not url:
        return
    try:
        policy(settings).web.check_url(str(url))
    except Refused as exc:
        raise ConfigError(f"endpoint_url: {exc}") from None


def rules(settings: Settings) -> Rules:
    from vigil.events.rules import load_rules

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


def rule_document(settings: Settings, name: str, bus: str = "default") -> dict[str, Any]:
    """A rule as written (name, pattern or schedule, enabled, description, targets; `bus`
    when it is on a custom bus)."""
    from vigil.events.rules import rule_doc

    return rule_doc(settings, name, bus)


def rule_documents(settings: Settings, bus: str | None = None) -> list[dict[str, Any]]:
    """Every rule of a bus (None: of every bus) that parses, as written, by name."""
    from vigil.events.rules import load_rules, rule_doc

    found, _ = load_rules(settings)
    chosen = [r for r in found if bus is None or r.bus == bus]
    return [rule_doc(settings, r.name, r.bus) for r in sorted(chosen, key=lambda r: r.key)]


def set_rule_enabled(settings: Settings, name: str, enabled: bool, bus: str = "default") -> None:
    from vigil.events.rules import rule_doc, save_rule

    doc = rule_doc(settings, name, bus)
    doc["enabled"] = enabled
    save_rule(settings, doc)


def delete_rule(settings: Settings, name: str, bus: str = "default") -> None:
    from vigil.events.rules import rule_doc, rules_dir

    rule_doc(settings, name, bus)  # an unknown name is an error
    (rules_dir(settings, bus) / f"{name}.yaml").unlink()


def dead_letters(settings: Settings) -> list[dict[str, Any]]:
    from vigil.events.delivery import Deliveries

    with Deliveries(settings) as store:
        return store.dlq()


def redrive(settings: Settings, ids: list[int] | None = None) -> int:
    """Queue dead-lettered deliveries again (all, or these)."""
    from vigil.events.delivery import Deliveries

    with Deliveries(settings) as store:
        return store.redrive(ids, now_ms())


def audit(settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    from vigil.events.delivery import Deliveries

    with Deliveries(settings) as store:
        return store.audit(limit)


# -- event buses, archives and replays (EventBridge's shapes) ------------------------------------
def bus_name(settings: Settings, name_or_arn: str | None) -> str:
    """The bus a request names (absent: default), or ResourceNotFoundException."""
    from vigil.events.buses import BusStore

    with BusStore(settings) as store:
        return store.get(name_or_arn).name


def create_bus(settings: Settings, name: str, description: str, tags: list[dict[str, str]],
               account: str, region: str) -> dict[str, Any]:  # fmt: skip
    from vigil.events.buses import BusStore

    with BusStore(settings) as store:
        bus = store.create(name, description, tags, now_ms())
        return store.as_dict(bus, account, region)


def describe_bus(settings: Settings, name_or_arn: str | None, account: str,
                 region: str) -> dict[str, Any]:  # fmt: skip
    from vigil.events.buses import BusStore

    with BusStore(settings) as store:
        return store.as_dict(store.get(name_or_arn), account, region)


def update_bus(settings: Settings, name_or_arn: str | None, description: str | None,
               account: str, region: str) -> dict[str, Any]:  # fmt: skip
    from vigil.events.buses import BusStore

    with BusStore(settings) as store:
        bus = store.update(name_or_arn, description, now_ms())
        return store.as_dict(bus, account, region)


def list_buses(settings: Settings, prefix: str, account: str, region: str) -> list[dict[str, Any]]:
    from vigil.events.buses import BusStore

    with BusStore(settings) as store:
        return [store.as_dict(b, account, region) for b in store.listing(prefix)]


def delete_bus(settings: Settings, name_or_arn: str) -> int:
    """Delete a custom bus and its rules (as EventBridge does); how many rules went with it.
    A bus that is not there is no error."""
    import shutil

    from vigil.events.buses import BusStore, name_of
    from vigil.events.rules import rules_dir

    with BusStore(settings) as store:
        store.delete(name_or_arn)
    folder = rules_dir(settings, name_of(name_or_arn))
    count = len(list(folder.glob("*.yaml"))) if folder.is_dir() else 0
    shutil.rmtree(folder, ignore_errors=True)
    return count


def create_archive(settings: Settings, name: str, source_arn: str, pattern: str | None,
                   description: str, retention: Any, account: str,
                   region: str) -> dict[str, Any]:  # fmt: skip
    """An archive of a bus's events (by the bus's ARN), matching `pattern` when given."""
    from vigil.events.archive import ArchiveStore

    bus = bus_name(settings, source_arn)
    with ArchiveStore(settings) as store:
        archive = store.create(name, bus, pattern, description, retention, now_ms())
        return {"ArchiveArn": archive.arn(account, region), "State": archive.state,
                "CreationTime": archive.created_ms / 1000}  # fmt: skip


def describe_archive(settings: Settings, name: str, account: str, region: str) -> dict[str, Any]:
    from vigil.events.archive import ArchiveStore, as_dict

    with ArchiveStore(settings) as store:
        return as_dict(store.get(name), account, region, full=True)


def list_archives(settings: Settings, prefix: str, source_arn: str | None, state: str | None,
                  account: str, region: str) -> list[dict[str, Any]]:  # fmt: skip
    from vigil.events.archive import ArchiveStore, as_dict

    bus = bus_name(settings, source_arn) if source_arn else None
    with ArchiveStore(settings) as store:
        found = store.listing(prefix, bus, state)
        return [as_dict(a, account, region, full=False) for a in found]


def update_archive(settings: Settings, name: str, pattern: str | None, description: str | None,
                   retention: Any, account: str, region: str) -> dict[str, Any]:  # fmt: skip
    from vigil.events.archive import ArchiveStore

    with ArchiveStore(settings) as store:
        archive = store.update(name, pattern, description, retention)
        return {"ArchiveArn": archive.arn(account, region), "State": archive.state,
                "CreationTime": archive.created_ms / 1000}  # fmt: skip


def delete_archive(settings: Settings, name: str) -> None:
    from vigil.events.archive import ArchiveStore

    with ArchiveStore(settings) as store:
        store.delete(name)


def start_replay(settings: Settings, name: str, archive_arn: str, start_ms: int, end_ms: int,
                 bus_arn: str, filter_arns: list[str], description: str, account: str,
                 region: str) -> dict[str, Any]:  # fmt: skip
    """Replay an archive's events from [start, end) to its bus's rules (the filter's only);
    the worker runs it."""
    from vigil.events.replay import ReplayStore, Request, archive_name
    from vigil.events.rules import load_rules

    request = Request(name, archive_name(archive_arn), start_ms, end_ms, bus_arn,
                      list(filter_arns), description)  # fmt: skip
    with ReplayStore(settings) as store:
        replay = store.start(request, load_rules(settings)[0], account, region, now_ms())
    return {"ReplayArn": replay.arn, "State": replay.state,
            "ReplayStartTime": replay.started_ms / 1000}  # fmt: skip


def describe_replay(settings: Settings, name: str) -> dict[str, Any]:
    from vigil.events.replay import ReplayStore

    with ReplayStore(settings) as store:
        return store.replay(name).as_dict(full=True)


def list_replays(settings: Settings, prefix: str, state: str | None,
                 archive_arn: str | None) -> list[dict[str, Any]]:  # fmt: skip
    from vigil.events.replay import ReplayStore, archive_name

    archive = archive_name(archive_arn) if archive_arn else None
    with ReplayStore(settings) as store:
        return [r.as_dict(full=False) for r in store.replays(prefix, state, archive)]


def cancel_replay(settings: Settings, name: str) -> dict[str, Any]:
    from vigil.events.replay import ReplayStore

    with ReplayStore(settings) as store:
        replay = store.cancel(name)
    return {"ReplayArn": replay.arn, "State": replay.state}


def deliveries(settings: Settings, limit: int = 50) -> list[Delivery]:
    """The newest deliveries, each with its last error and every attempt's answer."""
    from vigil.events.attempts import deliveries as newest

    return newest(settings, limit)


def send_test_event(
    settings: Settings, rule: str, target: str, by: str, wait_seconds: float = 15.0
) -> list[Delivery]:
    """A test event to one target of a rule, through the queue and the worker (`vigil serve`
    runs it); its deliveries after their first attempt, or as they are when the wait ends."""
    from vigil.events.attempts import send_test, wait_for

    ids = send_test(settings, rule, target, by, now_ms())
    return wait_for(settings, ids, wait_seconds)
