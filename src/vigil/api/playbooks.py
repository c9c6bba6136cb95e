"""Playbooks: the units, a plan for an event (applied only when asked), the recorded runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.config import Settings
from vigil.playbooks.plans import Plan as Plan
from vigil.playbooks.run import RecordedRun as RecordedRun
from vigil.playbooks.run import Runs, playbook
from vigil.playbooks.run import apply_approved as _apply
from vigil.playbooks.run import approve as _approve
from vigil.playbooks.units import PlaybookUnit as PlaybookUnit
from vigil.playbooks.units import playbook_units


def units() -> list[PlaybookUnit]:
    return playbook_units()


@dataclass(frozen=True)
class PlaybookRequest:
    name: str
    event: dict[str, Any]
    apply: bool = False  # carry the plan out (else only plan, and record it)
    endpoint_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"subnet": ...}
    role: str | None = None  # act in the event's account by assuming this role there
    by: str = "cli"  # who asked (recorded as the applier when it applies)


@dataclass(frozen=True)
class PlaybookRun:
    run: int
    plan: Plan
    applied: bool
    results: list[dict[str, Any]]


def run(settings: Settings, request: PlaybookRequest) -> PlaybookRun:
    """Plan a playbook for an event, and with `apply` carry it out; the run is recorded."""

    r = request
    plan, results, run_id = playbook(
        settings, r.name, r.event, apply=r.apply, endpoint_url=r.endpoint_url,
        options=r.options, role=r.role, by=r.by,
    )  # fmt: skip
    return PlaybookRun(run_id, plan, r.apply, results)


def approve(settings: Settings, run_id: int, by: str) -> RecordedRun:
    """Approve a planned run (admins): it may then be applied as planned."""

    return _approve(settings, run_id, by)


def apply_approved(settings: Settings, run_id: int, by: str) -> RecordedRun:
    """Carry out an approved run's plan exactly; the run, with its results."""

    run, _ = _apply(settings, run_id, by)
    return run


def runs(settings: Settings, limit: int = 20) -> list[RecordedRun]:
    with Runs(settings) as recorded:
        return recorded.all(limit)
