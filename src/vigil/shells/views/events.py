"""The bus's dead letters and delivery attempts as the CLI's `--json`, the native API and the
console show them (a dead letter with EventBridge's names for why it is there)."""

from __future__ import annotations

from typing import Any

from vigil.api.events import AuditRow, Delivery


def dead_letter(d: Delivery) -> dict[str, Any]:
    return {"id": d.id, "event_id": d.event_id, "rule": d.rule, "target": d.target,
            "RETRY_ATTEMPTS": d.attempts, "ERROR_CODE": d.error_code,
            "ERROR_MESSAGE": d.error, "EXHAUSTED_RETRY_CONDITION": d.exhausted,
            "created_ms": d.created_ms}  # fmt: skip


def attempt(a: AuditRow) -> dict[str, Any]:
    """One attempt, its time in ISO 8601 beside the epoch ms (as AWS's APIs print times)."""
    return {"ts": a.ts, "rule": a.rule, "target": a.target, "event_id": a.event_id,
            "attempt": a.attempt, "result": a.result, "excerpt": a.excerpt,
            "time": a.time}  # fmt: skip
