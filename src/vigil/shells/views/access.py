"""The audit log's entries as the CLI's `--json` and the native API show them."""

from __future__ import annotations

from typing import Any

from vigil.api.access import AuditEntry


def audit_entry(e: AuditEntry) -> dict[str, Any]:
    return {"seq": e.seq, "time": e.time, "user": e.user, "action": e.action,
            "target": e.target, "source": e.source, "result": e.result,
            "detail": e.detail}  # fmt: skip
