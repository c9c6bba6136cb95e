"""The "CloudWatch Alarm State Change" event (spec §4.5) in AWS's shape; a metric-math alarm
lists its Metrics (DescribeAlarms' item is `AlarmStatus.describe`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from vigil.metrics.alarm_model import Alarm, AlarmStatus, aws_time


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
