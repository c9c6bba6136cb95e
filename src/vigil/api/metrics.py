"""Metrics, metric filters and alarms: PutMetricData, ListMetrics, GetMetricStatistics,
Put/Describe/DeleteMetricFilter, Put/Describe/DeleteAlarms, SetAlarmState, the history, and
packs of filters with their alarms. Requests are the typed models (`Datum`, `MetricFilter`,
`Alarm`); alarms answer with their status (`AlarmStatus`, `CompositeStatus`), which describes
itself in DescribeAlarms' shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.pattern import lint, parse
from vigil.metrics import anomaly
from vigil.metrics import dashboards as dashboard_store
from vigil.metrics import dashboards as store
from vigil.metrics.alarm_math import Query as AlarmQuery
from vigil.metrics.alarm_math import from_aws
from vigil.metrics.alarm_model import AlarmStatus as AlarmStatus
from vigil.metrics.alarm_model import CompositeStatus as CompositeStatus
from vigil.metrics.alarm_model import HistoryItem as HistoryItem
from vigil.metrics.alarms import Alarm as Alarm
from vigil.metrics.alarms import AlarmStore
from vigil.metrics.anomaly import Detector as Detector
from vigil.metrics.composite import CompositeAlarm as CompositeAlarm
from vigil.metrics.composite import parents
from vigil.metrics.dashboard_data import draw
from vigil.metrics.dashboard_view import read_board
from vigil.metrics.dashboards import Dashboard as Dashboard
from vigil.metrics.filters import FilterStore, backfill
from vigil.metrics.filters import MetricFilter as MetricFilter
from vigil.metrics.graphs import DrawnDashboard as DrawnDashboard
from vigil.metrics.graphs import Graph as Graph
from vigil.metrics.graphs import GraphLine
from vigil.metrics.metric_data import Query as Query
from vigil.metrics.metric_data import Result as Result
from vigil.metrics.metric_data import run
from vigil.metrics.stats import BASIC as BASIC
from vigil.metrics.stats import Point as Point
from vigil.metrics.stats import statistics as compute
from vigil.metrics.store import Datum as Datum
from vigil.metrics.store import Metric as Metric
from vigil.metrics.store import MetricStore

if TYPE_CHECKING:
    from vigil.metrics.packs import Installed


def put_metric_filter(settings: Settings, f: MetricFilter) -> list[str]:
    """Create or replace a metric filter; the pattern's lint warnings."""

    with FilterStore(settings) as store:
        store.put(f)
    return lint(parse(f.pattern))


def metric_filters(settings: Settings, group: str | None = None) -> list[MetricFilter]:
    with FilterStore(settings) as store:
        return store.filters(group)


def delete_metric_filter(settings: Settings, group: str, name: str) -> None:
    with FilterStore(settings) as store:
        store.delete(group, name)


def backfill_metric_filter(settings: Settings, group: str, name: str) -> int:
    """Apply a filter to the events stored before it existed (once); the datapoints."""

    return backfill(settings, group, name)


def install_pack(
    settings: Settings, pack: str, group: str, actions: list[str] | None = None
) -> Installed:
    """A pack's filters, each with its alarm, on a log group (start-up: the content kit and
    its pydantic models load only here, not with every metrics command)."""
    from vigil.metrics.packs import install_pack as install

    return install(settings, pack, group, actions)


def put_metric_data(settings: Settings, data: list[Datum]) -> int:
    with MetricStore(settings) as store:
        return store.put(data)


def list_metrics(
    settings: Settings, namespace: str | None = None, name: str | None = None
) -> list[Metric]:
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
    with MetricStore(settings) as store:
        return compute(store, metric, start, end, period, stats, unit)


def metric_data(settings: Settings, queries: list[Query], start: int, end: int) -> list[Result]:
    """GetMetricData: metric and expression queries (metric math, SEARCH) over [start, end)."""

    with MetricStore(settings) as store:
        return run(store, queries, start, end)


def put_alarm(settings: Settings, alarm: Alarm) -> AlarmStatus:
    with AlarmStore(settings) as store:
        return store.put(alarm, now_ms())


def alarms(settings: Settings) -> list[AlarmStatus]:
    with AlarmStore(settings) as store:
        return store.all()


def evaluate_alarms(settings: Settings, now: int | None = None) -> list[AlarmStatus]:
    """Evaluate every alarm once; the ones that changed state (each also an event)."""

    with AlarmStore(settings) as store, MetricStore(settings) as metrics:
        return store.evaluate(now_ms() if now is None else now, metrics)


def set_alarm_state(settings: Settings, name: str, state: str, reason: str) -> None:
    with AlarmStore(settings) as store:
        store.set_state(name, state, reason, now_ms())  # type: ignore[arg-type]


def delete_alarm(settings: Settings, name: str) -> None:
    with AlarmStore(settings) as store:
        store.delete(name)


def alarm_history(settings: Settings, name: str | None = None) -> list[HistoryItem]:
    with AlarmStore(settings) as store:
        return store.history(name)


def put_dashboard(settings: Settings, name: str, body: str) -> list[dict[str, str]]:
    """PutDashboard: stored, with its warnings (what Vigil will not draw); a body with errors
    is refused (DashboardError, InvalidParameterInput, with the messages)."""
    return dashboard_store.put(settings, name, body)


def dashboard(settings: Settings, name: str) -> Dashboard:
    return dashboard_store.get(settings, name)


def dashboards(settings: Settings, prefix: str = "") -> list[Dashboard]:
    return store.listing(settings, prefix)


def delete_dashboards(settings: Settings, names: list[str]) -> None:
    dashboard_store.delete(settings, names)


def graph(
    settings: Settings,
    metric: Metric,
    stat: str = "Sum",
    period: int = 300,
    points: int = 72,
    threshold: float | None = None,
) -> Graph:
    """A metric's last `points` periods as uPlot's columns (a threshold line if given). The
    graph ends now, or at the newest datapoint if that is older (a lake of past logs)."""

    with MetricStore(settings) as store:
        newest = store.latest(metric)
        end = now_ms()
        if newest is not None and newest < end - points * period * 1000:
            end = newest + period * 1000
        end -= end % (period * 1000)
        end += period * 1000
        start = end - points * period * 1000
        found = compute(store, metric, start, end, period, [stat])
    by_t = {p.timestamp: p.values.get(stat) for p in found}
    xs = list(range(start, end, period * 1000))
    lines = [GraphLine(f"{metric.name} ({stat})", [by_t.get(x) for x in xs])]
    if threshold is not None:
        lines.append(GraphLine("threshold", [threshold] * len(xs), dash=True, color="#c0392b"))
    return Graph([x // 1000 for x in xs], lines, start, end)


def render_dashboard(
    settings: Settings,
    body: str,
    seconds: int | None = None,
    period: int | None = None,
    end: int | None = None,
) -> DrawnDashboard:
    """A DashboardBody with each widget's data over the dashboard's range (or `seconds` up to
    `end`, the console's choice) at each row's period (or `period`): metric graphs and values,
    alarm states, log query rows, Markdown text (a widget that cannot be drawn says why)."""

    board = read_board(body)
    seconds = seconds or board.seconds
    end = end or board.end_ms or now_ms()
    start = end - seconds * 1000
    statuses: list[AlarmStatus | CompositeStatus] = [*alarms(settings),
                                                     *composite_alarms(settings)]  # fmt: skip
    with MetricStore(settings) as store:
        widgets = draw(
            store,
            board,
            start,
            end,
            period,
            statuses,
            lambda groups, text, s, e: _log_rows(settings, groups, text, s, e),
        )
    rows = max((w["y"] + w["height"] for w in widgets), default=0)
    return DrawnDashboard(widgets, rows, seconds, start, end, period)


def _log_rows(settings: Settings, groups: list[str], query: str, start: int,
              end: int) -> tuple[list[str], list[dict[str, Any]]]:  # fmt: skip
    from vigil.insights.run import run_insights  # the Insights compiler: only a log widget's

    table = run_insights(settings, query or "fields @timestamp, @message | limit 20",
                         groups=groups, start=start, end=end)  # fmt: skip
    return list(table.column_names), table.slice(0, 50).to_pylist()


# -- composite alarms, actions, anomaly detectors -------------------------------------------------
def put_composite_alarm(settings: Settings, alarm: CompositeAlarm) -> CompositeStatus:
    """PutCompositeAlarm: evaluated at once."""

    with AlarmStore(settings) as store:
        return store.put_composite(alarm, now_ms())


def composite_alarms(settings: Settings) -> list[CompositeStatus]:
    """The composite alarms with their state (DescribeAlarms' CompositeAlarms)."""

    with AlarmStore(settings) as store:
        return store.composites()


def alarm_children(settings: Settings, name: str) -> list[str]:
    """The alarms a composite's rule names (none for a metric alarm)."""

    with AlarmStore(settings) as store:
        if store.kind(name) != "CompositeAlarm":
            return []
        return store.composite(name).alarm.children


def alarm_parents(settings: Settings, name: str) -> list[str]:
    with AlarmStore(settings) as store:
        return parents(store.state.db, name)


def alarm_kind(settings: Settings, name: str) -> str | None:
    """MetricAlarm, CompositeAlarm, or None when there is no such alarm."""

    with AlarmStore(settings) as store:
        return store.kind(name)


def delete_alarms(settings: Settings, names: list[str]) -> None:
    """DeleteAlarms: all or none; never an alarm a composite still names."""

    with AlarmStore(settings) as store:
        store.delete_many(names)


def set_alarm_actions(settings: Settings, names: list[str], enabled: bool) -> None:
    """EnableAlarmActions / DisableAlarmActions."""

    with AlarmStore(settings) as store:
        store.set_actions_enabled(names, enabled)


def alarm_queries(raw: list[dict[str, Any]]) -> tuple[AlarmQuery, ...]:
    """PutMetricAlarm's Metrics (MetricDataQuery items) as the alarm's typed queries."""

    return from_aws(raw)


def put_anomaly_detector(settings: Settings, detector: Detector) -> None:
    anomaly.put(settings, detector)


def anomaly_detectors(settings: Settings) -> list[Detector]:
    return anomaly.detectors(settings)


def delete_anomaly_detector(settings: Settings, detector: Detector) -> None:
    anomaly.delete(settings, detector)
