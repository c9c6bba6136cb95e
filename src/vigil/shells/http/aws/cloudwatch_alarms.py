"""CloudWatch's alarm operations over the service layer: metric (and metric-math) alarms,
composite alarms, their history and state, actions on and off, alarms for a metric, and
anomaly detectors. `cloudwatch.operations()` lists them beside the metric operations."""

from __future__ import annotations

from typing import Any

from vigil.api import Settings, metrics
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.cloudwatch_params import dims as _dims
from vigil.shells.http.aws.cloudwatch_params import ms as _ms
from vigil.shells.http.aws.cloudwatch_params import page as _page
from vigil.shells.http.aws.cloudwatch_params import req as _req
from vigil.shells.http.aws.cloudwatch_params import when as _when
from vigil.shells.http.aws.protocol import timestamp

TYPES = ("MetricAlarm", "CompositeAlarm")


def _actions(p: dict[str, Any]) -> dict[str, Any]:
    return {"description": p.get("AlarmDescription") or "",
            "actions_enabled": p.get("ActionsEnabled", True) is not False,
            "alarm_actions": tuple(p.get("AlarmActions") or ()),
            "ok_actions": tuple(p.get("OKActions") or ()),
            "insufficient_data_actions": tuple(p.get("InsufficientDataActions") or ())}  # fmt: skip


# -- metric alarms ------------------------------------------------------------------------------
def put_metric_alarm(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _req(p, "AlarmName")
    raw = p.get("Metrics")
    threshold_id = p.get("ThresholdMetricId")
    if raw:
        single = [k for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                              "Dimensions", "Period", "Unit") if p.get(k)]  # fmt: skip
        if single:
            raise AwsApiError("InvalidParameterCombination", f"Metrics cannot be given with "
                           f"{', '.join(single)}")  # fmt: skip
        queries = metrics.alarm_queries(list(raw))
        period = next((q.period for q in queries if q.expression is None and q.period), 60)
        fields: dict[str, Any] = {"namespace": "", "metric_name": "", "statistic": "Sum",
                                  "period": period, "queries": queries,
                                  "threshold_metric_id": threshold_id}  # fmt: skip
    else:
        if threshold_id:
            raise AwsApiError("InvalidParameterCombination", "ThresholdMetricId is for alarms "
                           "with Metrics")  # fmt: skip
        if p.get("Statistic") and p.get("ExtendedStatistic"):
            raise AwsApiError("InvalidParameterCombination", "Give Statistic or "
                           "ExtendedStatistic, not both.")  # fmt: skip
        stat = p.get("Statistic") or p.get("ExtendedStatistic")
        if not stat:
            raise AwsApiError("MissingParameter", "The parameter Statistic is required.")
        fields = {"namespace": _req(p, "Namespace"), "metric_name": _req(p, "MetricName"),
                  "statistic": stat, "period": int(_req(p, "Period")),
                  "dimensions": _dims(p.get("Dimensions")), "unit": p.get("Unit")}  # fmt: skip
    if threshold_id is None and p.get("Threshold") is None:
        raise AwsApiError("MissingParameter", "The parameter Threshold is required.")
    alarm = metrics.Alarm(
        name=name, threshold=float(p.get("Threshold") or 0.0),
        comparison=_req(p, "ComparisonOperator"),
        evaluation_periods=int(_req(p, "EvaluationPeriods")),
        datapoints_to_alarm=p.get("DatapointsToAlarm"),
        treat_missing_data=p.get("TreatMissingData") or "missing",
        evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile")
        or "evaluate", account=c.account, region=c.region, **fields, **_actions(p),
    )  # fmt: skip
    if metrics.alarm_kind(s, name) == "CompositeAlarm":
        raise AwsApiError("ValidationError", f"The alarm {name} is a composite alarm")
    metrics.put_alarm(s, alarm)
    return {}


def _metric_alarm(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["StateUpdatedTimestamp"] = timestamp(doc["StateUpdatedTimestamp"])
    out["AlarmConfigurationUpdatedTimestamp"] = out["StateUpdatedTimestamp"]
    if "StateTransitionedTimestamp" in out:
        out["StateTransitionedTimestamp"] = timestamp(doc["StateTransitionedTimestamp"])
    if not out.get("AlarmDescription"):
        out.pop("AlarmDescription", None)
    return out


def describe_alarms(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    names = set(p.get("AlarmNames") or [])
    prefix, state = p.get("AlarmNamePrefix") or "", p.get("StateValue")
    action = p.get("ActionPrefix") or ""
    if names and prefix:
        raise AwsApiError("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot "
                       "be given together.")  # fmt: skip
    types = p.get("AlarmTypes") or ["MetricAlarm"]
    for t in types:
        if t not in (*TYPES, "LogAlarm"):  # Vigil keeps no log alarms: none are listed
            raise AwsApiError("ValidationError", f"AlarmTypes: {t!r} is not one of "
                           f"{', '.join(TYPES)}")  # fmt: skip
    related = p.get("ChildrenOfAlarmName") or p.get("ParentsOfAlarmName")
    if related:
        return _related(s, p, str(related))
    metric = [a.describe() for a in metrics.alarms(s)] if "MetricAlarm" in types else []
    composite = ([a.describe() for a in metrics.composite_alarms(s)]
                 if "CompositeAlarm" in types else [])  # fmt: skip

    def wanted(a: dict[str, Any]) -> bool:
        if (names and a["AlarmName"] not in names) or not a["AlarmName"].startswith(prefix):
            return False
        if state and a["StateValue"] != state:
            return False
        acts = a["AlarmActions"] + a["OKActions"] + a["InsufficientDataActions"]
        return not action or any(x.startswith(action) for x in acts)

    found = [(t, _metric_alarm(a)) for t, group in (("MetricAlarms", metric),
             ("CompositeAlarms", composite)) for a in group if wanted(a)]  # fmt: skip
    page = _page(found, p, 50, "Items", "MaxRecords")
    out: dict[str, Any] = {"MetricAlarms": [a for t, a in page["Items"] if t == "MetricAlarms"],
                           "CompositeAlarms": [a for t, a in page["Items"]
                                               if t == "CompositeAlarms"]}  # fmt: skip
    if "NextToken" in page:
        out["NextToken"] = page["NextToken"]
    return out


def _related(s: Settings, p: dict[str, Any], name: str) -> dict[str, Any]:
    """ChildrenOfAlarmName / ParentsOfAlarmName: only MaxRecords and NextToken beside them;
    AWS returns names, ARNs and states of children, names and ARNs of parents."""
    extra = [k for k in p if k not in ("ChildrenOfAlarmName", "ParentsOfAlarmName",
                                       "MaxRecords", "NextToken", "AlarmTypes")]  # fmt: skip
    if extra or (p.get("ChildrenOfAlarmName") and p.get("ParentsOfAlarmName")):
        raise AwsApiError("ValidationError", "ChildrenOfAlarmName and ParentsOfAlarmName take only "
                       f"MaxRecords and NextToken beside them, not {', '.join(extra)}")  # fmt: skip
    children = bool(p.get("ChildrenOfAlarmName"))
    related = set((metrics.alarm_children if children else metrics.alarm_parents)(
        s, name))  # fmt: skip
    metric = [a.describe() for a in metrics.alarms(s) if a.alarm.name in related]
    composite = [a.describe() for a in metrics.composite_alarms(s) if a.alarm.name in related]
    keep = ("AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp") if children else (
        "AlarmName", "AlarmArn")  # fmt: skip

    def slim(a: dict[str, Any]) -> dict[str, Any]:
        out = {k: a[k] for k in keep}
        if "StateUpdatedTimestamp" in out:
            out["StateUpdatedTimestamp"] = timestamp(out["StateUpdatedTimestamp"])
        return out

    return {"MetricAlarms": [slim(a) for a in metric],
            "CompositeAlarms": [slim(a) for a in composite]}  # fmt: skip


def describe_alarms_for_metric(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    """Metric alarms on exactly this metric (math and composite alarms are not included)."""
    namespace, name = _req(p, "Namespace"), _req(p, "MetricName")
    dims = _dims(p.get("Dimensions"))
    stat = p.get("Statistic") or p.get("ExtendedStatistic")
    found = []
    for a in (status.describe() for status in metrics.alarms(s)):
        if a.get("Metrics") or a["Namespace"] != namespace or a["MetricName"] != name:
            continue
        if _dims(a["Dimensions"]) != dims:
            continue
        if stat and (a.get("Statistic") or a.get("ExtendedStatistic")) != stat:
            continue
        if p.get("Period") and int(p["Period"]) != a["Period"]:
            continue
        if p.get("Unit") and a.get("Unit") != p["Unit"]:
            continue
        found.append(_metric_alarm(a))
    return {"MetricAlarms": found}


def describe_alarm_history(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    kind = p.get("HistoryItemType")
    start = _ms(p["StartDate"], "StartDate") if p.get("StartDate") else None
    end = _ms(p["EndDate"], "EndDate") if p.get("EndDate") else None
    types = p.get("AlarmTypes") or list(TYPES)
    composites = {a.alarm.name for a in metrics.composite_alarms(s)}
    items = []
    for h in metrics.alarm_history(s, p.get("AlarmName")):
        ts = int(h.timestamp)
        alarm_type = "CompositeAlarm" if h.alarm_name in composites else "MetricAlarm"
        if (kind and h.item_type != kind) or alarm_type not in types:
            continue
        if (start is not None and ts < start) or (end is not None and ts >= end):
            continue
        items.append({**h.describe(), "Timestamp": _when(ts), "AlarmType": alarm_type})
    if (p.get("ScanBy") or "TimestampDescending") == "TimestampDescending":
        items.reverse()
    return _page(items, p, 100, "AlarmHistoryItems", "MaxRecords")


def set_alarm_state(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _req(p, "AlarmName")
    if metrics.alarm_kind(s, name) is None:
        raise AwsApiError("ResourceNotFound", f"Alarm {name} does not exist", status=404)
    metrics.set_alarm_state(s, name, _req(p, "StateValue"), _req(p, "StateReason"))
    return {}


def delete_alarms(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    names = list(_req(p, "AlarmNames"))
    missing = [n for n in names if metrics.alarm_kind(s, n) is None]
    if missing:
        raise AwsApiError("ResourceNotFound", f"Alarm {missing[0]} does not exist", status=404)
    metrics.delete_alarms(s, names)
    return {}


def enable_alarm_actions(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    metrics.set_alarm_actions(s, list(_req(p, "AlarmNames")), True)
    return {}


def disable_alarm_actions(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    metrics.set_alarm_actions(s, list(_req(p, "AlarmNames")), False)
    return {}


# -- composite alarms ---------------------------------------------------------------------------
def put_composite_alarm(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _req(p, "AlarmName")
    suppressor = p.get("ActionsSuppressor")
    wait = p.get("ActionsSuppressorWaitPeriod")
    extension = p.get("ActionsSuppressorExtensionPeriod")
    alarm = metrics.CompositeAlarm(
        name=name, rule=_req(p, "AlarmRule"), suppressor=suppressor,
        suppressor_wait=int(wait) if wait is not None else None,
        suppressor_extension=int(extension) if extension is not None else None,
        account=c.account, region=c.region, **_actions(p),
    )  # fmt: skip
    metrics.put_composite_alarm(s, alarm)
    return {}
