"""The alarms' own types, metric and composite: what they are and their state (no storage,
no evaluation), shared by the modules that check, evaluate and suppress them; each status and
history item describes itself in DescribeAlarms' and DescribeAlarmHistory's shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigil.metrics import evaluation as ev
from vigil.metrics import rule as rules
from vigil.metrics.alarm_math import Query, to_aws
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

    def describe(self) -> dict[str, Any]:
        """DescribeAlarms' MetricAlarms item."""
        a = self.alarm
        out: dict[str, Any] = {
            "AlarmName": a.name, "AlarmArn": a.arn, "AlarmDescription": a.description,
            "EvaluationPeriods": a.evaluation_periods, "DatapointsToAlarm": a.m,
            "ComparisonOperator": a.comparison, "TreatMissingData": a.treat_missing_data,
            "ActionsEnabled": a.actions_enabled, "AlarmActions": list(a.alarm_actions),
            "OKActions": list(a.ok_actions),
            "InsufficientDataActions": list(a.insufficient_data_actions),
            "StateValue": self.state, "StateReason": self.reason,
            "StateReasonData": self.reason_data,
            "StateUpdatedTimestamp": aws_time(self.state_ms),
        }  # fmt: skip
        if a.queries:
            out["Metrics"] = [to_aws(q) for q in a.queries]
        else:
            out.update({
                "Namespace": a.namespace, "MetricName": a.metric_name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in a.dimensions],
                "Statistic" if not a.statistic.startswith("p") else "ExtendedStatistic":
                    a.statistic,
                "Period": a.period,
            })  # fmt: skip
            if a.unit:
                out["Unit"] = a.unit
        if a.threshold_metric_id is not None:
            out["ThresholdMetricId"] = a.threshold_metric_id
        else:
            out["Threshold"] = a.threshold
        return out


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

    def describe(self) -> dict[str, Any]:
        """DescribeAlarms' CompositeAlarms item (timestamps as AWS's text: the shell converts)."""
        a = self.alarm
        out: dict[str, Any] = {
            "AlarmName": a.name, "AlarmArn": a.arn, "AlarmDescription": a.description,
            "AlarmRule": a.rule, "ActionsEnabled": a.actions_enabled,
            "AlarmActions": list(a.alarm_actions), "OKActions": list(a.ok_actions),
            "InsufficientDataActions": list(a.insufficient_data_actions),
            "StateValue": self.state, "StateReason": self.reason,
            "StateReasonData": self.reason_data,
            "StateUpdatedTimestamp": aws_time(self.state_ms),
            "StateTransitionedTimestamp": aws_time(self.state_ms),
        }  # fmt: skip
        if a.suppressor is not None:
            out.update(ActionsSuppressor=a.suppressor,
                       ActionsSuppressorWaitPeriod=a.suppressor_wait,
                       ActionsSuppressorExtensionPeriod=a.suppressor_extension)  # fmt: skip
        if self.suppressed_by:
            out.update(ActionsSuppressedBy=self.suppressed_by,
                       ActionsSuppressedReason=self.suppressed_reason)  # fmt: skip
        return out


@dataclass(frozen=True)
class HistoryItem:
    """One entry of an alarm's history: a configuration update or a state change."""

    alarm_name: str
    timestamp: int  # epoch ms
    item_type: str  # ConfigurationUpdate | StateUpdate | Action
    summary: str
    data: str  # JSON text

    def describe(self) -> dict[str, Any]:
        """DescribeAlarmHistory's item (the timestamp in epoch ms: the shells convert)."""
        return {"AlarmName": self.alarm_name, "Timestamp": self.timestamp,
                "HistoryItemType": self.item_type, "HistorySummary": self.summary,
                "HistoryData": self.data}  # fmt: skip


def aws_time(ms: int) -> str:
    """State timestamps: milliseconds and a +0000 offset, as CloudWatch writes them."""
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{ms % 1000:03d}+0000"
    )
