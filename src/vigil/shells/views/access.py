"""The audit log's entries as the CLI's `--json` and the native API show them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from vigil.api.access import AuditEntry


def audit_entry(e: AuditEntry) -> dict[str, Any]:
    """seq, time, user, action, target, source, result, detail."""
    return asdict(e)
