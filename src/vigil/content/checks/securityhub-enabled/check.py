"""Security Hub is on in every region."""

from __future__ import annotations

from typing import Any

from vigil.posture.checks import Result, service_enabled
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return service_enabled(snapshot, account, "securityhub describe-hub", _on, "Security Hub")


def _on(found: Any, _: dict[str, Any]) -> bool:
    return bool(found.get("HubArn"))
