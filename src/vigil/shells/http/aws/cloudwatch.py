"""CloudWatch (`GraniteServiceVersion20100801`: AWS JSON 1.0, query and Smithy RPC v2 CBOR, one
set of handlers for all three) over the service layer: metrics, alarms and dashboards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from vigil.api import Settings, metrics
from vigil.api.access import Need
from vigil.errors import VigilError
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.cloudwatch_params import dims as _dims
from vigil.shells.http.aws.cloudwatch_params import missing as _missing
from vigil.shells.http.aws.cloudwatch_params import ms as _ms
from vigil.shells.http.aws.cloudwatch_params import page as _page
from vigil.shells.http.aws.cloudwatch_params import req as _req
from vigil.shells.http.aws.cloudwatch_params import when as _when

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
MAX_DATAPOINTS: Final = 1440
MAX_QUERIES: Final = 500


def _metric(m: Any) -> dict[str, Any]:
    return {"Namespace": m.namespace, "MetricName": m.name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in m.dimensions]}  # fmt: skip


# -- metrics ------------------------------------------------------------------------------------
def put_metric_data(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    namespace = _req(p, "Namespace")
    data = []
    for i, d in enumerate(_req(p, "MetricData")):
        where = f"MetricData.member.{i + 1}"
        if "MetricName" not in d:
            raise _missing(f"{where}.MetricName")
        stats = d.get("StatisticValues")
        data.append(metrics.Datum(
            metrics.Metric(namespace, d["MetricName"], _dims(d.get("Dimensions"))),
            _ms(d["Timestamp"], f"{where}.Timestamp") if d.get("Timestamp") else
            int(datetime.now(UTC).timestamp() * 1000),
            value=d.get("Value"), values=[float(v) for v in d.get("Values") or []],
            counts=[float(v) for v in d.get("Counts") or []],
            statistics=(float(stats["SampleCount"]), float(stats["Sum"]),
                        float(stats["Minimum"]), float(stats["Maximum"])) if stats else None,
            unit=d.get("Unit") or "None", resolution=int(d.get("StorageResolution") or 60),
        ))  # fmt: skip
    metrics.put_metric_data(s, data)
    return {}


def list_metrics(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    wanted = [(d["Name"], d.get("Value")) for d in p.get("Dimensions") or []]
    found = []
    for m in metrics.list_metrics(s, p.get("Namespace"), p.get("MetricName")):
        dims = dict(m.dimensions)
        if all(k in dims and (v is None or dims[k] == v) for k, v in wanted):
            found.append(_metric(m))
    return _page(found, p, 500, "Metrics", "MaxRecords")


def _points(s: Settings, metric: Any, start: int, end: int, period: int,
            stats: list[str], unit: str | None) -> list[Any]:  # fmt: skip
    if end <= start:
        raise AwsApiError("InvalidParameterValue", "The parameter StartTime must be less than the "
                       "parameter EndTime.")  # fmt: skip
    if (end - start) // (period * 1000) > MAX_DATAPOINTS:
        raise AwsApiError("InvalidParameterCombination", f"You have requested up to "
                       f"{(end - start) // (period * 1000)} datapoints, which exceeds the limit "
                       f"of {MAX_DATAPOINTS}.")  # fmt: skip
    return metrics.statistics(s, metric, start, end, period, stats, unit)


def get_metric_statistics(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    name = _req(p, "MetricName")
    metric = metrics.Metric(_req(p, "Namespace"), name, _dims(p.get("Dimensions")))
    stats = list(p.get("Statistics") or []) + list(p.get("ExtendedStatistics") or [])
    if not stats:
        raise _missing("Statistics")
    start, end = _ms(_req(p, "StartTime"), "StartTime"), _ms(_req(p, "EndTime"), "EndTime")
    points = _points(s, metric, start, end, int(_req(p, "Period")), stats, p.get("Unit"))
    out = []
    for point in points:
        doc = point.as_aws()
        doc["Timestamp"] = _when(point.timestamp)
        out.append(doc)
    return {"Label": name, "Datapoints": out}


def get_metric_data(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    queries = _req(p, "MetricDataQueries")
    if len(queries) > MAX_QUERIES:
        raise AwsApiError("InvalidParameterValue", f"at most {MAX_QUERIES} MetricDataQueries")
    start, end = _ms(_req(p, "StartTime"), "StartTime"), _ms(_req(p, "EndTime"), "EndTime")
    if end <= start:
        raise AwsApiError("InvalidParameterValue", "The parameter StartTime must be less than the "
                       "parameter EndTime.")  # fmt: skip
    newest_first = (p.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    asked = [_query(q, i) for i, q in enumerate(queries, 1)]
    for q in asked:
        if q.period and (end - start) // (q.period * 1000) > 100_800:
            raise AwsApiError("InvalidParameterCombination", f"query {q.id}: at most 100,800 "
                           "datapoints per query")  # fmt: skip
    try:
        found = metrics.metric_data(s, asked, start, end)
    except VigilError as exc:  # metric math says ValidationError; a bad period or statistic
        raise AwsApiError(getattr(exc, "code", "InvalidParameterValue"), exc.message) from None
    results = []
    for r in found:
        pairs = sorted(r.points, reverse=newest_first)
        results.append({"Id": r.id, "Label": r.label, "Timestamps": [_when(t) for t, _ in pairs],
                        "Values": [v for _, v in pairs], "StatusCode": r.status,
                        "Messages": r.messages})  # fmt: skip
    return {"MetricDataResults": results, "Messages": []}


def _query(q: dict[str, Any], n: int) -> Any:
    """A MetricDataQuery read into the service layer's Query."""
    where = f"MetricDataQueries.member.{n}"
    ident = q.get("Id")
    if not ident:
        raise _missing(f"{where}.Id")
    label, returned = str(q.get("Label") or ""), q.get("ReturnData", True) is not False
    stat, expression = q.get("MetricStat"), q.get("Expression")
    if stat and expression:
        raise AwsApiError("ValidationError", f"{where}: give either MetricStat or Expression, "
                       "not both")  # fmt: skip
    if expression:
        period = int(q.get("Period") or 0)
        return metrics.Query(str(ident), expression=str(expression), period=period,
                                 label=label, return_data=returned)  # fmt: skip
    if not stat:
        raise AwsApiError("ValidationError", f"{where}: give either MetricStat or Expression")
    m = _req(stat, "Metric")
    metric = metrics.Metric(_req(m, "Namespace"), _req(m, "MetricName"),
                                _dims(m.get("Dimensions")))  # fmt: skip
    period = int(_req(stat, "Period"))
    if period <= 0:
        raise AwsApiError("InvalidParameterValue", f"{where}.MetricStat.Period must be positive")
    return metrics.Query(str(ident), metric, str(_req(stat, "Stat")), period,
                             stat.get("Unit"), label=label, return_data=returned)  # fmt: skip


# -- dashboards ---------------------------------------------------------------------------------
def _dashboard_arn(c: Caller, name: str) -> str:
    return f"arn:aws:cloudwatch::{c.account}:dashboard/{name}"


def put_dashboard(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    # A body with errors is refused (InvalidParameterInput, the messages in its text); one
    # with parts Vigil will not draw is stored and those come back as warnings, as in AWS.
    warnings = metrics.put_dashboard(s, _req(p, "DashboardName"), _req(p, "DashboardBody"))
    return {"DashboardValidationMessages": warnings}


def get_dashboard(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    d = metrics.dashboard(s, _req(p, "DashboardName"))
    return {"DashboardArn": _dashboard_arn(c, d.name), "DashboardBody": d.body,
            "DashboardName": d.name}  # fmt: skip


def list_dashboards(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    entries = [{"DashboardName": d.name, "DashboardArn": _dashboard_arn(c, d.name),
                "LastModified": _when(d.modified_ms), "Size": d.size}
               for d in metrics.dashboards(s, p.get("DashboardNamePrefix") or "")]  # fmt: skip
    return _page(entries, p, 1000, "DashboardEntries", "MaxRecords")


def delete_dashboards(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    metrics.delete_dashboards(s, list(_req(p, "DashboardNames")))
    return {}


def operations() -> dict[str, tuple[Need, Handler]]:
    from vigil.shells.http.aws import cloudwatch_alarms as alarms
    from vigil.shells.http.aws import cloudwatch_anomaly as anomaly

    R, W, C = Need.READ, Need.WRITE, Need.CONFIGURE
    return {
        "PutMetricData": (W, put_metric_data), "ListMetrics": (R, list_metrics),
        "GetMetricStatistics": (R, get_metric_statistics), "GetMetricData": (R, get_metric_data),
        "PutMetricAlarm": (C, alarms.put_metric_alarm),
        "DescribeAlarms": (R, alarms.describe_alarms),
        "DescribeAlarmsForMetric": (R, alarms.describe_alarms_for_metric),
        "DescribeAlarmHistory": (R, alarms.describe_alarm_history),
        "SetAlarmState": (W, alarms.set_alarm_state), "DeleteAlarms": (C, alarms.delete_alarms),
        "PutCompositeAlarm": (C, alarms.put_composite_alarm),
        "EnableAlarmActions": (C, alarms.enable_alarm_actions),
        "DisableAlarmActions": (C, alarms.disable_alarm_actions),
        "PutAnomalyDetector": (C, anomaly.put_anomaly_detector),
        "DescribeAnomalyDetectors": (R, anomaly.describe_anomaly_detectors),
        "DeleteAnomalyDetector": (C, anomaly.delete_anomaly_detector),
        "PutDashboard": (C, put_dashboard), "GetDashboard": (R, get_dashboard),
        "ListDashboards": (R, list_dashboards), "DeleteDashboards": (C, delete_dashboards),
    }  # fmt: skip
