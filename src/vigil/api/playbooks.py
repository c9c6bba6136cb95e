"""Playbooks: the units, a plan for an event (applied only when asked), the recorded runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.config import Settings
from vigil.playbooks.plans import Plan
from vigil.playbooks.units import PlaybookUnit, playbook_units

__all__ = ["Plan", "PlaybookRun", "PlaybookUnit", "run", "runs", "units"]


def units() -> list[PlaybookUnit]:
    return playbook_units()


@dataclass(frozen=True)
class PlaybookRun:
    run: int
    plan: Plan
    applied: bool
    results: list[dict[str, Any]]


def run(
    settings: Settings,
    name: str,
    event: dict[str, Any],
    *,
    apply: bool = False,
    endpoint_url: str | None = None,
    options: dict[str, Any] | None = None,
    role: str | None = None,
) -> PlaybookRun:
    """Plan a playbook for an event, and with `apply` carry it out; the run is recorded."""
    from vigil.playbooks.run import playbook

    plan, results, run_id = playbook(
        settings, name, event, apply=apply, endpoint_url=endpoint_url, options=options, role=role
    )
    return PlaybookRun(run_id, plan, apply, results)


def runs(settings: Settings, limit: int = 20) -> list[dict[str, Any]]:
    from vigil.playbooks.run import Runs

    with Runs(settings) as recorded:
        return recorded.all(limit)
