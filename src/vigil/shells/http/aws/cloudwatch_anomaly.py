"""CloudWatch's anomaly detector operations (Put/Describe/DeleteAnomalyDetector) over the
service layer: single-metric detectors, in the SingleMetricAnomalyDetector form or the legacy
top-level Namespace, MetricName, Dimensions and Stat."""

from __future__ import annotations

from typing import Any

from vigil.api import Settings, metrics
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.protocol import timestamp

LEGACY = ("Namespace", "MetricName", "Dimensions", "Stat")


def _dims(raw: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(d["Name"]), str(d["Value"])) for d in raw or []))


def _ms(value: Any) -> int:
    try:
        return int(timestamp(value).timestamp() * 1000)
    except (ValueError, TypeError):
        raise AwsApiError("InvalidParameterValue", f"{value!r} is not a time") from None


def _detector(p: dict[str, Any]) -> Any:
    single = p.get("SingleMetricAnomalyDetector")
    legacy = [k for k in LEGACY if p.get(k)]
    if p.get("MetricMathAnomalyDetector"):
        raise AwsApiError("InvalidParameterValue", "Vigil keeps single-metric anomaly detectors; "
                       "a MetricMathAnomalyDetector is not supported")  # fmt: skip
    if single and legacy:
        raise AwsApiError("InvalidParameterCombination", "SingleMetricAnomalyDetector cannot be "
                       f"given with {', '.join(legacy)}")  # fmt: skip
    source = single or p
    for key in ("Namespace", "MetricName", "Stat"):
        if not source.get(key):
            where = f"SingleMetricAnomalyDetector.{key}" if single else key
            raise AwsApiError("MissingParameter", f"The parameter {where} is required.")
    config = p.get("Configuration") or {}
    excluded = tuple((_ms(r.get("StartTime")), _ms(r.get("EndTime")))
                     for r in config.get("ExcludedTimeRanges") or [])  # fmt: skip
    return metrics.Detector(str(source["Namespace"]), str(source["MetricName"]),
                                str(source["Stat"]), _dims(source.get("Dimensions")),
                                excluded, config.get("MetricTimezone"))  # fmt: skip


def _aws(d: Any) -> dict[str, Any]:
    dims = [{"Name": k, "Value": v} for k, v in d.dimensions]
    config: dict[str, Any] = {"ExcludedTimeRanges": [
        {"StartTime": timestamp(s / 1000), "EndTime": timestamp(e / 1000)}
        for s, e in d.excluded]}  # fmt: skip
    if d.timezone:
        config["MetricTimezone"] = d.timezone
    single = {"Namespace": d.namespace, "MetricName": d.metric_name, "Dimensions": dims,
              "Stat": d.stat}  # fmt: skip
    return {**single, "Configuration": config, "StateValue": "TRAINED",
            "SingleMetricAnomalyDetector": single}  # fmt: skip


def put_anomaly_detector(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    metrics.put_anomaly_detector(s, _detector(p))
    return {}


def describe_anomaly_detectors(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    types = p.get("AnomalyDetectorTypes") or ["SINGLE_METRIC"]
    for t in types:
        if t not in ("SINGLE_METRIC", "METRIC_MATH"):
            raise AwsApiError("InvalidParameterValue", f"AnomalyDetectorTypes: {t!r} is not "
                           "SINGLE_METRIC or METRIC_MATH")  # fmt: skip
    wanted = set(_dims(p.get("Dimensions")))
    found = []
    for d in metrics.anomaly_detectors(s):
        if "SINGLE_METRIC" not in types:
            continue
        if p.get("Namespace") and d.namespace != p["Namespace"]:
            continue
        if p.get("MetricName") and d.metric_name != p["MetricName"]:
            continue
        if not wanted <= set(d.dimensions):
            continue
        found.append(_aws(d))
    token = str(p.get("NextToken") or "0")
    if not token.isdigit():
        raise AwsApiError("InvalidNextToken", "The NextToken is not valid.")
    start, size = int(token), int(p.get("MaxResults") or 100)
    out: dict[str, Any] = {"AnomalyDetectors": found[start : start + size]}
    if start + size < len(found):
        out["NextToken"] = str(start + size)
    return out


def delete_anomaly_detector(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    metrics.delete_anomaly_detector(s, _detector(p))
    return {}
