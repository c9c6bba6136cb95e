"""Event buses, archives of their events and replays, as EventBridge has them (the shells shape
its documents): the default bus and custom ones (a rule sees only its own bus's events),
archives kept by the worker, replays it runs. Errors carry EventBridge's codes (`code`)."""

from __future__ import annotations

import shutil
from typing import Any

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.events.archive import Archive as Archive
from vigil.events.archive import ArchiveStore
from vigil.events.buses import Bus as Bus
from vigil.events.buses import BusStore, name_of
from vigil.events.replay import Replay as Replay
from vigil.events.replay import ReplayStore, Request, archive_name
from vigil.events.rules import load_rules, rules_dir


def bus_name(settings: Settings, name_or_arn: str | None) -> str:
    """The bus a request names (absent: default), or ResourceNotFoundException."""

    with BusStore(settings) as store:
        return store.get(name_or_arn).name


def create_bus(settings: Settings, name: str, description: str,
               tags: list[dict[str, str]]) -> Bus:  # fmt: skip
    with BusStore(settings) as store:
        return store.create(name, description, tags, now_ms())


def describe_bus(settings: Settings, name_or_arn: str | None) -> Bus:
    with BusStore(settings) as store:
        return store.get(name_or_arn)


def update_bus(settings: Settings, name_or_arn: str | None, description: str | None) -> Bus:
    with BusStore(settings) as store:
        return store.update(name_or_arn, description, now_ms())


def list_buses(settings: Settings, prefix: str) -> list[Bus]:
    with BusStore(settings) as store:
        return store.listing(prefix)


def delete_bus(settings: Settings, name_or_arn: str) -> int:
    """Delete a custom bus and its rules (as EventBridge does); how many rules went with it.
    A bus that is not there is no error."""

    with BusStore(settings) as store:
        store.delete(name_or_arn)
    folder = rules_dir(settings, name_of(name_or_arn))
    count = len(list(folder.glob("*.yaml"))) if folder.is_dir() else 0
    shutil.rmtree(folder, ignore_errors=True)
    return count


def create_archive(settings: Settings, name: str, source_arn: str, pattern: str | None,
                   description: str, retention: Any) -> Archive:  # fmt: skip
    """An archive of a bus's events (by the bus's ARN), matching `pattern` when given."""

    bus = bus_name(settings, source_arn)
    with ArchiveStore(settings) as store:
        return store.create(name, bus, pattern, description, retention, now_ms())


def describe_archive(settings: Settings, name: str) -> Archive:
    with ArchiveStore(settings) as store:
        return store.get(name)


def list_archives(settings: Settings, prefix: str, source_arn: str | None,
                  state: str | None) -> list[Archive]:  # fmt: skip
    bus = bus_name(settings, source_arn) if source_arn else None
    with ArchiveStore(settings) as store:
        return store.listing(prefix, bus, state)


def update_archive(settings: Settings, name: str, pattern: str | None, description: str | None,
                   retention: Any) -> Archive:  # fmt: skip
    with ArchiveStore(settings) as store:
        return store.update(name, pattern, description, retention)


def delete_archive(settings: Settings, name: str) -> None:
    with ArchiveStore(settings) as store:
        store.delete(name)


def start_replay(settings: Settings, name: str, archive_arn: str, start_ms: int, end_ms: int,
                 bus_arn: str, filter_arns: list[str], description: str, account: str,
                 region: str) -> Replay:  # fmt: skip
    """Replay an archive's events from [start, end) to its bus's rules (the filter's only);
    the worker runs it."""

    request = Request(name, archive_name(archive_arn), start_ms, end_ms, bus_arn,
                      list(filter_arns), description)  # fmt: skip
    with ReplayStore(settings) as store:
        return store.start(request, load_rules(settings)[0], account, region, now_ms())


def describe_replay(settings: Settings, name: str) -> Replay:
    with ReplayStore(settings) as store:
        return store.replay(name)


def list_replays(settings: Settings, prefix: str, state: str | None,
                 archive_arn: str | None) -> list[Replay]:  # fmt: skip
    archive = archive_name(archive_arn) if archive_arn else None
    with ReplayStore(settings) as store:
        return store.replays(prefix, state, archive)


def cancel_replay(settings: Settings, name: str) -> Replay:
    with ReplayStore(settings) as store:
        return store.cancel(name)
