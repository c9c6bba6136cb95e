"""A recorded playbook run as the CLI's `--json` and the native API show it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vigil.api.playbooks import RecordedRun


def recorded_run(run: RecordedRun) -> dict[str, Any]:
    """id, ts, playbook, event_id, applied, plan, results, approved_by, approved_ms,
    applied_by, applied_ms."""
    return asdict(run)
