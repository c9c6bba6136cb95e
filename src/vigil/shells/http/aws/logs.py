"""CloudWatch Logs (AWS JSON 1.1, `Logs_20140328.*`) over the service layer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Final

from vigil.api import Settings, logs, metrics
from vigil.api.access import Need
from vigil.shells.http.aws import AwsApiError, Caller, logs_tags, need
from vigil.shells.http.aws.logs_insights import Queries, get_log_record
from vigil.shells.http.aws.logs_paging import group_of as _group_of
from vigil.shells.http.aws.logs_paging import limit_of as _limit
from vigil.shells.http.aws.logs_paging import page as _page
from vigil.shells.http.aws.logs_paging import token as _token
from vigil.shells.http.aws.logs_paging import untoken as _untoken
from vigil.shells.http.aws.logs_tasks import ExportTasks
from vigil.shells.views.logs import filter_match

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
MAX_PAGE: Final = 10_000


def _arn(c: Caller, group: str, stream: str | None = None) -> str:
    base = f"arn:aws:logs:{c.region}:{c.account}:log-group:{group}"
    return f"{base}:log-stream:{stream}" if stream else f"{base}:*"


def create_log_group(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.create_group(
        s, need(p, "logGroupName"), account=c.account, region=c.region, tags=p.get("tags")
    )
    return {}


def delete_log_group(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.delete_group(s, need(p, "logGroupName"))
    return {}


def describe_log_groups(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    prefix = p.get("logGroupNamePrefix") or ""
    pattern = p.get("logGroupNamePattern")
    found = logs.groups(s, prefix)
    if pattern:
        found = [g for g in found if pattern.lower() in g.name.lower()]
    filters = metrics.metric_filters(s)
    counts: dict[str, int] = {}
    for f in filters:
        counts[f.log_group] = counts.get(f.log_group, 0) + 1
    page, token = _page(found, p, 50, 50)
    out = []
    for g in page:
        doc: dict[str, Any] = {
            "logGroupName": g.name, "creationTime": g.created_ms,
            "metricFilterCount": counts.get(g.name, 0), "arn": _arn(c, g.name),
            "logGroupArn": _arn(c, g.name).removesuffix(":*"), "storedBytes": g.stored_bytes,
            "logGroupClass": "STANDARD",
        }  # fmt: skip
        if g.retention_days is not None:
            doc["retentionInDays"] = g.retention_days
        out.append(doc)
    return {"logGroups": out, **({"nextToken": token} if token else {})}


def create_log_stream(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.create_stream(s, need(p, "logGroupName"), need(p, "logStreamName"))
    return {}


def delete_log_stream(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.delete_stream(s, need(p, "logGroupName"), need(p, "logStreamName"))
    return {}


def describe_log_streams(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("logGroupName") or _group_of(p.get("logGroupIdentifier"))
    if not group:
        need(p, "logGroupName")
    prefix = p.get("logStreamNamePrefix") or ""
    order = p.get("orderBy") or "LogStreamName"
    if order == "LastEventTime" and prefix:
        raise AwsApiError(
            "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix."
        )
    found = logs.streams(s, group, prefix)
    if order == "LastEventTime":
        found.sort(key=lambda x: x.last_event_ms or 0)
    if p.get("descending"):
        found.reverse()
    page, token = _page(found, p, 50, 50)
    out = []
    for st in page:
        doc: dict[str, Any] = {
            "logStreamName": st.name,
            "creationTime": st.created_ms,
            "arn": _arn(c, group, st.name),
            "storedBytes": st.stored_bytes,
        }
        for key, value in (("firstEventTimestamp", st.first_event_ms),
                           ("lastEventTimestamp", st.last_event_ms),
                           ("lastIngestionTime", st.last_ingestion_ms)):  # fmt: skip
            if value is not None:
                doc[key] = value
        out.append(doc)
    return {"logStreams": out, **({"nextToken": token} if token else {})}


def put_log_events(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    group, stream = need(p, "logGroupName"), need(p, "logStreamName")
    raw = p.get("logEvents") or []
    events = []
    for i, e in enumerate(raw):
        if not isinstance(e, dict) or "timestamp" not in e or "message" not in e:
            raise AwsApiError(
                "InvalidParameterException",
                f"logEvents[{i}]: an event has a timestamp and a message",
            )
        events.append(logs.InputEvent(int(e["timestamp"]), str(e["message"])))
    result = logs.put_log_events(s, group, stream, events)
    return {"nextSequenceToken": uuid.uuid4().hex, **result.response()}


def get_log_events(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("logGroupName") or _group_of(p.get("logGroupIdentifier"))
    stream = need(p, "logStreamName")
    if not group:
        need(p, "logGroupName")
    limit = _limit(p, MAX_PAGE, MAX_PAGE)
    token = p.get("nextToken")
    after = _untoken(token[2:]) if token and token[:2] in ("f/", "b/") else None
    query = logs.EventsQuery(start=_ms(p.get("startTime")), end=_ms(p.get("endTime")),
                                 streams=[stream], limit=limit,
                                 after=tuple(after) if after else None)  # fmt: skip
    found = logs.filter_events(s, group, query)
    events = [{"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
              for e in found]  # fmt: skip
    last = found[-1] if found else None
    forward = (
        "f/" + _token([last.timestamp, last.ingestion_time, last.event_id])
        if last
        else (token or "f/" + _token([0, 0, ""]))
    )  # the same token when nothing is new: clients stop
    return {"events": events, "nextForwardToken": forward,
            "nextBackwardToken": "b/" + _token([0, 0, ""])}  # fmt: skip


def _ms(value: Any) -> int | None:
    return None if value is None else int(value)


def filter_log_events(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    group = p.get("logGroupName") or _group_of(p.get("logGroupIdentifier"))
    if not group:
        need(p, "logGroupName")
    if p.get("logStreamNames") and p.get("logStreamNamePrefix"):
        raise AwsApiError(
            "InvalidParameterException",
            "logStreamNames and logStreamNamePrefix cannot both be given",
        )
    limit = _limit(p, MAX_PAGE, MAX_PAGE)
    after = _untoken(p.get("nextToken"))
    query = logs.EventsQuery(
        pattern=p.get("filterPattern") or "", start=_ms(p.get("startTime")),
        end=_ms(p.get("endTime")), streams=p.get("logStreamNames"),
        stream_prefix=p.get("logStreamNamePrefix"), limit=limit + 1,
        after=tuple(after) if after else None,
    )  # fmt: skip
    found = logs.filter_events(s, group, query)
    page = found[:limit]
    out: dict[str, Any] = {"events": [e.as_aws() for e in page], "searchedLogStreams": []}
    if len(found) > limit:
        last = page[-1]
        out["nextToken"] = _token([last.timestamp, last.ingestion_time, last.event_id])
    return out


def put_retention_policy(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.put_retention(s, need(p, "logGroupName"), int(need(p, "retentionInDays")))
    return {}


def delete_retention_policy(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.put_retention(s, need(p, "logGroupName"), None)
    return {}


def put_metric_filter(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    transformations = need(p, "metricTransformations")
    if not isinstance(transformations, list) or len(transformations) != 1:
        raise AwsApiError("InvalidParameterException", "metricTransformations takes one element")
    t = transformations[0]
    dims = tuple(sorted((t.get("dimensions") or {}).items()))
    default = t.get("defaultValue")
    f = metrics.MetricFilter(
        log_group=need(p, "logGroupName"), name=need(p, "filterName"),
        pattern=p.get("filterPattern") or "", metric_name=need(t, "metricName"),
        namespace=need(t, "metricNamespace"), metric_value=str(need(t, "metricValue")),
        default_value=None if default is None else float(default), dimensions=dims,
        unit=t.get("unit") or "None",
    )  # fmt: skip
    metrics.put_metric_filter(s, f)
    return {}


def describe_metric_filters(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    found = metrics.metric_filters(s, p.get("logGroupName"))
    prefix = p.get("filterNamePrefix") or ""
    name, namespace = p.get("metricName"), p.get("metricNamespace")
    if bool(name) != bool(namespace):
        raise AwsApiError(
            "InvalidParameterException", "metricName and metricNamespace are given together"
        )
    found = [f for f in found if f.name.startswith(prefix)
             and (not name or (f.metric_name == name and f.namespace == namespace))]  # fmt: skip
    page, token = _page(found, p, 50, 50)
    return {"metricFilters": [f.as_aws() for f in page], **({"nextToken": token} if token else {})}


def delete_metric_filter(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    metrics.delete_metric_filter(s, need(p, "logGroupName"), need(p, "filterName"))
    return {}


def test_metric_filter(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    messages = need(p, "logEventMessages")
    if not 1 <= len(messages) <= 50:
        raise AwsApiError("InvalidParameterException", "logEventMessages takes 1 to 50 messages")
    matches = logs.test_filter(p.get("filterPattern") or "", messages)
    return {"matches": [filter_match(m) for m in matches]}


def put_subscription_filter(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.put_subscription(s, logs.Subscription(
        log_group=need(p, "logGroupName"), name=need(p, "filterName"),
        pattern=p.get("filterPattern") or "", destination=need(p, "destinationArn"),
        distribution=p.get("distribution") or "ByLogStream",
    ))  # fmt: skip
    return {}


def describe_subscription_filters(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    found = logs.subscriptions(s, need(p, "logGroupName"))
    prefix = p.get("filterNamePrefix") or ""
    return {"subscriptionFilters": [x.as_aws() for x in found if x.name.startswith(prefix)]}


def delete_subscription_filter(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    logs.delete_subscription(s, need(p, "logGroupName"), need(p, "filterName"))
    return {}


__all__ = ["Queries", "operations"]


def operations(queries: Queries) -> dict[str, tuple[Need, Handler]]:
    R, W, C = Need.READ, Need.WRITE, Need.CONFIGURE
    tasks = ExportTasks()  # exports carry data out of Vigil: an admin's call
    return {
        "CreateLogGroup": (W, create_log_group), "DeleteLogGroup": (C, delete_log_group),
        "DescribeLogGroups": (R, describe_log_groups), "CreateLogStream": (W, create_log_stream),
        "DeleteLogStream": (C, delete_log_stream), "DescribeLogStreams": (R, describe_log_streams),
        "PutLogEvents": (W, put_log_events), "GetLogEvents": (R, get_log_events),
        "FilterLogEvents": (R, filter_log_events),
        "PutRetentionPolicy": (C, put_retention_policy),
        "DeleteRetentionPolicy": (C, delete_retention_policy),
        "PutMetricFilter": (C, put_metric_filter),
        "DescribeMetricFilters": (R, describe_metric_filters),
        "DeleteMetricFilter": (C, delete_metric_filter),
        "TestMetricFilter": (R, test_metric_filter),
        "StartQuery": (R, queries.start), "GetQueryResults": (R, queries.results),
        "StopQuery": (R, queries.stop), "DescribeQueries": (R, queries.describe),
        "GetLogRecord": (R, get_log_record), "PutSubscriptionFilter": (C, put_subscription_filter),
        "DescribeSubscriptionFilters": (R, describe_subscription_filters),
        "DeleteSubscriptionFilter": (C, delete_subscription_filter),
        "TagResource": (W, logs_tags.tag_resource), "UntagResource": (W, logs_tags.untag_resource),
        "ListTagsForResource": (R, logs_tags.list_tags_for_resource),
        "TagLogGroup": (W, logs_tags.tag_log_group),
        "UntagLogGroup": (W, logs_tags.untag_log_group),
        "ListTagsLogGroup": (R, logs_tags.list_tags_log_group),
        "CreateExportTask": (C, tasks.create), "DescribeExportTasks": (R, tasks.describe),
        "CancelExportTask": (C, tasks.cancel),
    }  # fmt: skip
