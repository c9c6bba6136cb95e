"""Metrics and alarms: evaluation as the worker runs it."""

from __future__ import annotations

from typing import Any

from vigil.config import Settings


def evaluate_alarms(settings: Settings, now: int | None = None) -> list[Any]:
    """Evaluate every alarm now; the state changes (each also an event on the bus)."""
    from vigil.clock import now_ms
    from vigil.metrics.alarms import AlarmStore
    from vigil.metrics.store import MetricStore

    with AlarmStore(settings) as alarms, MetricStore(settings) as metrics:
        return list(alarms.evaluate(now_ms() if now is None else now, metrics))
