"""Playbooks: the units, a plan for an event (applied only when asked), the recorded runs."""

from __future__ import annotations

from vigil.playbooks.units import PlaybookUnit, playbook_units

__all__ = ["PlaybookUnit", "units"]


def units() -> list[PlaybookUnit]:
    return playbook_units()
