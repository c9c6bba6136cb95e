"""Alarms in AWS's shapes: DescribeAlarms' MetricAlarms item and the "CloudWatch Alarm State
Change" event (spec §4.5); a metric-math alarm lists its Metrics in both."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vigil.metrics.alarm_math import to_aws

if TYPE_CHECKING:
    from vigil.metrics.alarm_model import Alarm, AlarmStatus


def aws_time(ms: int) -> str:
    """State timestamps: milliseconds and a +0000 offset, as CloudWatch writes them."""
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{ms % 1000:03d}+0000"
    )


def state_change_event(
    a: Alarm, before: AlarmStatus, state: str, reason: str, data: str, now: int
) -> dict[str, Any]:
    metrics = [_event_query(q) for q in a.queries]
    if not a.queries:
        metric = {"namespace": a.namespace, "name": a.metric_name,
                  "dimensions": dict(a.dimensions)}  # fmt: skip
        stat = {"metric": metric, "period": a.period, "stat": a.statistic}
        metrics = [{"id": "m1", "metricStat": stat, "returnData": True}]
    previous = {
        "value": before.state,
        "reason": before.reason,
        "reasonData": before.reason_data,
        "timestamp": aws_time(before.state_ms),
    }
    current = {"value": state, "reason": reason, "reasonData": data, "timestamp": aws_time(now)}
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": a.account,
        "time": datetime.fromtimestamp(now / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": a.region,
        "resources": [a.arn],
        "detail": {
            "alarmName": a.name,
            "configuration": {
                "description": a.description,
                "metrics": metrics,
            },
            "previousState": previous,
            "state": current,
        },
    }


def _event_query(q: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "returnData": q.return_data}
    if q.expression is not None:
        out["expression"] = q.expression
    else:
        out["metricStat"] = {"metric": {"namespace": q.namespace, "name": q.metric_name,
                                        "dimensions": dict(q.dimensions)},
                             "period": q.period, "stat": q.stat}  # fmt: skip
    if q.label:
        out["label"] = q.label
    return out


def with_state(status: AlarmStatus) -> dict[str, Any]:
    """DescribeAlarms' shape for one alarm."""
    a = status.alarm
    out: dict[str, Any] = {
        "AlarmName": a.name, "AlarmArn": a.arn, "AlarmDescription": a.description,
        "EvaluationPeriods": a.evaluation_periods, "DatapointsToAlarm": a.m,
        "ComparisonOperator": a.comparison, "TreatMissingData": a.treat_missing_data,
        "ActionsEnabled": a.actions_enabled, "AlarmActions": list(a.alarm_actions),
        "OKActions": list(a.ok_actions),
        "InsufficientDataActions": list(a.insufficient_data_actions),
        "StateValue": status.state, "StateReason": status.reason,
        "StateReasonData": status.reason_data,
        "StateUpdatedTimestamp": aws_time(status.state_ms),
    }  # fmt: skip
    if a.queries:
        out["Metrics"] = [to_aws(q) for q in a.queries]
    else:
        out.update({
            "Namespace": a.namespace, "MetricName": a.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in a.dimensions],
            "Statistic" if not a.statistic.startswith("p") else "ExtendedStatistic": a.statistic,
            "Period": a.period,
        })  # fmt: skip
        if a.unit:
            out["Unit"] = a.unit
    if a.threshold_metric_id is not None:
        out["ThresholdMetricId"] = a.threshold_metric_id
    else:
        out["Threshold"] = a.threshold
    return out
