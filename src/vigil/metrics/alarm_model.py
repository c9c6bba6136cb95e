"""The alarms' own types, metric and composite: what they are and their state (no storage,
no evaluation), shared by the modules that check, evaluate, describe and suppress them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigil.metrics import evaluation as ev
from vigil.metrics import rule as rules
from vigil.metrics.alarm_math import Query
from vigil.metrics.evaluation import State
from vigil.metrics.rule import AlarmError as AlarmError
from vigil.metrics.store import Metric


@dataclass(frozen=True)
class Alarm:
    name: str
    namespace: str
    metric_name: str
    threshold: float
    comparison: str
    period: int = 300
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None  # default N
    statistic: str = "Sum"  # a basic statistic or pNN
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str | None = None
    treat_missing_data: str = "missing"
    evaluate_low_sample_count_percentile: str = "evaluate"
    description: str = ""
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    account: str = "000000000000"
    region: str = "local"
    queries: tuple[Query, ...] = ()  # a metric-math alarm's Metrics
    threshold_metric_id: str | None = None  # an anomaly alarm's band

    @property
    def m(self) -> int:
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def metric(self) -> Metric:
        return Metric(self.namespace, self.metric_name, tuple(sorted(self.dimensions)))

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{self.name}"


@dataclass
class AlarmStatus:
    alarm: Alarm
    state: ev.State
    reason: str
    reason_data: str
    state_ms: int
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CompositeAlarm:
    name: str
    rule: str
    description: str = ""
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    suppressor: str | None = None
    suppressor_wait: int | None = None
    suppressor_extension: int | None = None
    account: str = "000000000000"
    region: str = "local"
    kind: str = "composite"

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{self.name}"

    @property
    def children(self) -> list[str]:
        return rules.children(rules.parse(self.rule))


@dataclass
class CompositeStatus:
    alarm: CompositeAlarm
    state: State
    reason: str
    reason_data: str
    state_ms: int
    suppressed_by: str | None = None
    suppressed_reason: str | None = None
