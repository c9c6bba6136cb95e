"""Metrics, metric filters and alarms: PutMetricData, ListMetrics, GetMetricStatistics,
Put/Describe/DeleteMetricFilter, Put/Describe/DeleteAlarms, SetAlarmState, the history, and
packs of filters with their alarms. Requests are the typed models (`Datum`, `MetricFilter`,
`Alarm`); alarm answers are DescribeAlarms' shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil.api._lazy import exports
from vigil.clock import now_ms
from vigil.config import Settings

if TYPE_CHECKING:
    from vigil.metrics.alarms import Alarm
    from vigil.metrics.dashboards import Dashboard
    from vigil.metrics.filters import MetricFilter
    from vigil.metrics.packs import Installed
    from vigil.metrics.stats import BASIC, Point
    from vigil.metrics.store import Datum, Metric

__getattr__ = exports(__name__, {
    "Alarm": "vigil.metrics.alarms", "Dashboard": "vigil.metrics.dashboards",
    "MetricFilter": "vigil.metrics.filters",
    "Installed": "vigil.metrics.packs", "BASIC": "vigil.metrics.stats",
    "Point": "vigil.metrics.stats", "Datum": "vigil.metrics.store", "Metric": "vigil.metrics.store",
})  # fmt: skip

__all__ = ["BASIC", "Alarm", "Dashboard", "Datum", "Installed", "Metric", "MetricFilter", "Point"]


def put_metric_filter(settings: Settings, f: MetricFilter) -> list[str]:
    """Create or replace a metric filter; the pattern's lint warnings."""
    from vigil.logs.pattern import lint, parse
    from vigil.metrics.filters import FilterStore

    with FilterStore(settings) as store:
        store.put(f)
    return lint(parse(f.pattern))


def metric_filters(settings: Settings, group: str | None = None) -> list[MetricFilter]:
    from vigil.metrics.filters import FilterStore

    with FilterStore(settings) as store:
        return store.filters(group)


def delete_metric_filter(settings: Settings, group: str, name: str) -> None:
    from vigil.metrics.filters import FilterStore

    with FilterStore(settings) as store:
        store.delete(group, name)


def backfill_metric_filter(settings: Settings, group: str, name: str) -> int:
    """Apply a filter to the events stored before it existed (once); the datapoints."""
    from vigil.metrics.filters import backfill

    return backfill(settings, group, name)


def install_pack(
    settings: Settings, pack: str, group: str, actions: list[str] | None = None
) -> Installed:
    from vigil.metrics.packs import install_pack as install

    return install(settings, pack, group, actions)


def put_metric_data(settings: Settings, data: list[Datum]) -> int:
    from vigil.metrics.store import MetricStore

    with MetricStore(settings) as store:
        return store.put(data)


def list_metrics(
    settings: Settings, namespace: str | None = None, name: str | None = None
) -> list[Metric]:
    from vigil.metrics.store import MetricStore

    with MetricStore(settings) as store:
        return store.metrics(namespace, name)


def statistics(
    settings: Settings,
    metric: Metric,
    start: int,
    end: int,
    period: int,
    stats: list[str],
    unit: str | None = None,
) -> list[Point]:
    from vigil.metrics.stats import statistics as compute
    from vigil.metrics.store import MetricStore

    with MetricStore(settings) as store:
        return compute(store, metric, start, end, period, stats, unit)


def put_alarm(settings: Settings, alarm: Alarm) -> dict[str, Any]:
    from vigil.metrics.alarms import AlarmStore, with_state

    with AlarmStore(settings) as store:
        return with_state(store.put(alarm, now_ms()))


def alarms(settings: Settings) -> list[dict[str, Any]]:
    from vigil.metrics.alarms import AlarmStore, with_state

    with AlarmStore(settings) as store:
        return [with_state(s) for s in store.all()]


def evaluate_alarms(settings: Settings, now: int | None = None) -> list[dict[str, Any]]:
    """Evaluate every alarm once; the ones that changed state (each also an event)."""
    from vigil.metrics.alarms import AlarmStore, with_state
    from vigil.metrics.store import MetricStore

    with AlarmStore(settings) as store, MetricStore(settings) as metrics:
        return [with_state(s) for s in store.evaluate(now_ms() if now is None else now, metrics)]


def set_alarm_state(settings: Settings, name: str, state: str, reason: str) -> None:
    from vigil.metrics.alarms import AlarmStore

    with AlarmStore(settings) as store:
        store.set_state(name, state, reason, now_ms())  # type: ignore[arg-type]


def delete_alarm(settings: Settings, name: str) -> None:
    from vigil.metrics.alarms import AlarmStore

    with AlarmStore(settings) as store:
        store.delete(name)


def alarm_history(settings: Settings, name: str | None = None) -> list[dict[str, Any]]:
    from vigil.metrics.alarms import AlarmStore

    with AlarmStore(settings) as store:
        return store.history(name)


def put_dashboard(settings: Settings, name: str, body: str) -> list[dict[str, str]]:
    """PutDashboard: the validation messages (stored only when there are none)."""
    from vigil.metrics import dashboards

    return dashboards.put(settings, name, body)


def dashboard(settings: Settings, name: str) -> Dashboard:
    from vigil.metrics import dashboards

    return dashboards.get(settings, name)


def dashboards(settings: Settings, prefix: str = "") -> list[Dashboard]:
    from vigil.metrics import dashboards as store

    return store.listing(settings, prefix)


def delete_dashboards(settings: Settings, names: list[str]) -> None:
    from vigil.metrics import dashboards

    dashboards.delete(settings, names)
