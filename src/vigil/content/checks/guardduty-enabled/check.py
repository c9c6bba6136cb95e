"""GuardDuty is on in every region."""

from __future__ import annotations

from typing import Any

from vigil.posture.checks import Result, service_enabled
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return service_enabled(snapshot, account, "guardduty list-detectors", _on, "GuardDuty")


def _on(found: Any, calls: dict[str, Any]) -> bool:
    """A detector, and (when the snapshot has get-detector) one that is not suspended."""
    ids = found.get("DetectorIds") or []
    states = calls.get("guardduty get-detector") or {}
    known = [states[i] for i in ids if states.get(i)]
    return bool(ids) and (not known or any(d.get("Status") == "ENABLED" for d in known))
