"""EventBridge, CloudWatch (over all three of its protocols) and Security Hub on a real `vigil
serve`, driven by boto3 as users would point it; the CLI on the same home sees the changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers import Endpoint, vigil, wait_for
from serving import Server, serving, with_protocol


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve-aws") / "home") as running:
        yield running


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _wait(check: Any, seconds: float = 15) -> Any:
    return wait_for(check, seconds, 0.1)


# -- EventBridge --------------------------------------------------------------------------------
def test_eventbridge_rules_targets_and_put_events(server: Server, hook: Endpoint) -> None:
    events = server.client("events")
    pattern = {"source": ["shop.orders"], "detail": {"amount": [{"numeric": [">", 100]}]}}
    arn = events.put_rule(Name="big-orders", EventPattern=json.dumps(pattern),
                          Description="orders over 100")["RuleArn"]  # fmt: skip
    assert arn.endswith(":rule/big-orders") and ":eu-west-1:" in arn
    put = events.put_targets(Rule="big-orders", Targets=[
        {"Id": "hook", "Arn": hook.url, "InputPath": "$.detail",
         "HttpParameters": {"HeaderParameters": {"X-Team": "shop"}}},
        {"Id": "fax", "Arn": "arn:aws:lambda:eu-west-1:111122223333:function:f"},
    ])  # fmt: skip
    assert put["FailedEntryCount"] == 1 and put["FailedEntries"][0]["TargetId"] == "fax"
    assert "https:// URL" in put["FailedEntries"][0]["ErrorMessage"]
    [target] = events.list_targets_by_rule(Rule="big-orders")["Targets"]
    assert target == {"Id": "hook", "Arn": hook.url, "InputPath": "$.detail",
                      "HttpParameters": {"HeaderParameters": {"X-Team": "shop"}}}  # fmt: skip
    rule = events.describe_rule(Name="big-orders")
    assert rule["State"] == "ENABLED" and json.loads(rule["EventPattern"]) == pattern
    assert rule["Description"] == "orders over 100" and rule["EventBusName"] == "default"
    assert [r["Name"] for r in events.list_rules(NamePrefix="big")["Rules"]] == ["big-orders"]

    reply = events.put_events(Entries=[
        {"Source": "shop.orders", "DetailType": "Order", "Detail": json.dumps({"amount": 250})},
        {"Source": "shop.orders", "DetailType": "Order", "Detail": json.dumps({"amount": 5})},
        {"Source": "aws.ec2", "DetailType": "x", "Detail": "{}"},
        {"Source": "shop.orders", "DetailType": "Order", "Detail": "{not json"},
    ])  # fmt: skip
    assert reply["FailedEntryCount"] == 2
    codes = [e.get("ErrorCode") for e in reply["Entries"]]
    assert codes == [None, None, "NotAuthorizedForSourceException", "MalformedDetail"]
    got = _wait(lambda: hook.requests)
    assert [json.loads(r["body"]) for r in got] == [{"amount": 250}]  # only the matching event
    assert got[0]["headers"]["X-Team"] == "shop"

    # the CLI on the same home sees the rule the API made
    listed = json.loads(vigil(server.home, "events", "rules", "list", "--json").stdout)
    assert [r["name"] for r in listed["rules"]] == ["big-orders"]

    events.disable_rule(Name="big-orders")
    assert events.describe_rule(Name="big-orders")["State"] == "DISABLED"
    events.enable_rule(Name="big-orders")
    with pytest.raises(ClientError) as refused:
        events.delete_rule(Name="big-orders")
    assert _code(refused) == "ValidationException" and "has targets" in str(refused.value)
    assert events.remove_targets(Rule="big-orders", Ids=["hook"])["FailedEntryCount"] == 0
    events.delete_rule(Name="big-orders")
    with pytest.raises(ClientError) as gone:
        events.describe_rule(Name="big-orders")
    assert _code(gone) == "ResourceNotFoundException"


def test_eventbridge_test_event_pattern_and_refusals(server: Server) -> None:
    events = server.client("events")
    event = {"id": "1", "account": "111122223333", "source": "shop.orders", "region": "eu-west-1",
             "time": "2026-12-01T00:00:00Z", "detail-type": "Order", "resources": [],
             "detail": {"amount": 7}}  # fmt: skip
    yes = events.test_event_pattern(EventPattern=json.dumps({"detail": {"amount": [7]}}),
                                    Event=json.dumps(event))  # fmt: skip
    no = events.test_event_pattern(EventPattern=json.dumps({"detail": {"amount": [8]}}),
                                   Event=json.dumps(event))  # fmt: skip
    assert (yes["Result"], no["Result"]) == (True, False)
    with pytest.raises(ClientError) as bad:
        events.test_event_pattern(EventPattern='{"source": "x"}', Event=json.dumps(event))
    assert _code(bad) == "InvalidEventPatternException"
    with pytest.raises(ClientError) as both:
        events.put_rule(
            Name="x", EventPattern='{"source": ["a"]}', ScheduleExpression="rate(5 minutes)"
        )
    assert _code(both) == "ValidationException"
    with pytest.raises(ClientError) as bus:
        events.put_rule(Name="x", EventPattern='{"source": ["a"]}', EventBusName="other")
    assert _code(bus) == "ResourceNotFoundException"
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 3 * * ? *)")
    assert events.describe_rule(Name="nightly")["ScheduleExpression"] == "cron(0 3 * * ? *)"
    viewer = server.client("events", server.viewer)
    with pytest.raises(ClientError) as denied:
        viewer.put_rule(Name="y", EventPattern='{"source": ["a"]}')
    assert _code(denied) == "AccessDeniedException"
    assert "nightly" in [r["Name"] for r in viewer.list_rules()["Rules"]]


# -- CloudWatch over JSON 1.0, query and RPC v2 CBOR ------------------------------------------------
PROTOCOLS = ["json", "query", "smithy-rpc-v2-cbor"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cloudwatch_metrics_alarms_dashboards(
    server: Server, protocol: str, tmp_path: Path
) -> None:
    # request_min_compression_size_bytes=1: botocore gzips every PutMetricData body
    cw = with_protocol(server, "cloudwatch", protocol, tmp_path,
                       request_min_compression_size_bytes=1)  # fmt: skip
    assert cw.meta.service_model.resolved_protocol == protocol
    ns = f"App/{protocol.split('-')[0]}"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Errors", "Dimensions": [{"Name": "Service", "Value": "web"}],
         "Timestamp": now - timedelta(minutes=2), "Value": 3.0, "Unit": "Count"},
        {"MetricName": "Errors", "Dimensions": [{"Name": "Service", "Value": "web"}],
         "Timestamp": now - timedelta(minutes=1), "Values": [1.0, 4.0], "Counts": [1.0, 2.0],
         "Unit": "Count"},
        {"MetricName": "Latency", "Timestamp": now - timedelta(minutes=1),
         "StatisticValues": {"SampleCount": 2, "Sum": 300, "Minimum": 100, "Maximum": 200}},
    ])  # fmt: skip
    listed = cw.list_metrics(Namespace=ns)["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == ["Errors", "Latency"]
    only = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Service", "Value": "web"}])
    assert [m["MetricName"] for m in only["Metrics"]] == ["Errors"]
    dims = [{"Name": "Service", "Value": "web"}]
    stats = cw.get_metric_statistics(Namespace=ns, MetricName="Errors", Dimensions=dims,
                                     StartTime=now - timedelta(minutes=10), EndTime=now,
                                     Period=60, Statistics=["Sum", "Maximum"])  # fmt: skip
    points = sorted(stats["Datapoints"], key=lambda p: p["Timestamp"])
    assert [(p["Sum"], p["Maximum"]) for p in points] == [(3.0, 3.0), (9.0, 4.0)]
    assert points[0]["Timestamp"] == now - timedelta(minutes=2)
    data = cw.get_metric_data(StartTime=now - timedelta(minutes=10), EndTime=now,
                              ScanBy="TimestampAscending", MetricDataQueries=[
        {"Id": "e", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Errors",
                                              "Dimensions": dims}, "Period": 60, "Stat": "Sum"}},
        {"Id": "l", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Latency"},
                                   "Period": 60, "Stat": "Average"}},
    ])["MetricDataResults"]  # fmt: skip
    assert [(r["Id"], r["Values"]) for r in data] == [("e", [3.0, 9.0]), ("l", [150.0])]
    assert data[0]["Timestamps"][0] == now - timedelta(minutes=2)

    alarm = f"errors-{protocol}"
    cw.put_metric_alarm(AlarmName=alarm, Namespace=ns, MetricName="Errors", Dimensions=dims,
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=5,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        AlarmActions=["arn:aws:sns:eu-west-1:111122223333:ops"])  # fmt: skip
    [described] = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert described["Threshold"] == 5.0 and described["StateValue"] == "INSUFFICIENT_DATA"
    assert described["AlarmActions"] == ["arn:aws:sns:eu-west-1:111122223333:ops"]
    assert isinstance(described["StateUpdatedTimestamp"], datetime)
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="drill")
    in_alarm = cw.describe_alarms(StateValue="ALARM", AlarmNamePrefix="errors-")["MetricAlarms"]
    assert alarm in [a["AlarmName"] for a in in_alarm]
    history = cw.describe_alarm_history(AlarmName=alarm, HistoryItemType="StateUpdate")
    assert any("drill" in h["HistorySummary"] or "ALARM" in h["HistorySummary"]
               for h in history["AlarmHistoryItems"])  # fmt: skip
    # the CLI sees the alarm the API made
    cli = json.loads(vigil(server.home, "alarms", "list", "--json").stdout)["MetricAlarms"]
    assert {a["AlarmName"]: a["StateValue"] for a in cli}[alarm] == "ALARM"
    cw.delete_alarms(AlarmNames=[alarm])
    with pytest.raises(ClientError) as gone:
        cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="x")
    assert _code(gone) == "ResourceNotFound"

    body = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                         "properties": {"metrics": [[ns, "Errors", "Service", "web"]],
                                        "region": "eu-west-1", "stat": "Sum", "period": 60}}]}  # fmt: skip
    name = f"ops-{protocol.split('-')[0]}"
    put = cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
    assert put.get("DashboardValidationMessages", []) == []
    got = cw.get_dashboard(DashboardName=name)
    assert json.loads(got["DashboardBody"]) == body and got["DashboardArn"].endswith(
        f"dashboard/{name}"
    )
    entries = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [e["DashboardName"] for e in entries] == [name] and isinstance(
        entries[0]["LastModified"], datetime
    )
    assert (server.home / "dashboards" / f"{name}.json").is_file()  # the path is the id
    cw.delete_dashboards(DashboardNames=[name])
    assert cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"] == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cloudwatch_refusals_in_each_protocol(
    server: Server, protocol: str, tmp_path: Path
) -> None:
    cw = with_protocol(server, "cloudwatch", protocol, tmp_path)
    with pytest.raises(ClientError) as missing:
        cw.get_dashboard(DashboardName="nope")
    assert _code(missing) == "ResourceNotFound"
    with pytest.raises(ClientError) as bad_body:
        cw.put_dashboard(DashboardName="bad", DashboardBody='{"widgets": [{"type": "pie"}]}')
    assert _code(bad_body) == "InvalidParameterInput" and "/widgets/0/type" in str(bad_body.value)
    with pytest.raises(ClientError) as bad_stat:
        cw.put_metric_alarm(AlarmName="a", Namespace="N", MetricName="M", Statistic="Median",
                            Period=60, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    assert _code(bad_stat) == "InvalidParameterValue"
    now = datetime.now(UTC)
    with pytest.raises(ClientError) as too_many:
        cw.get_metric_statistics(Namespace="N", MetricName="M", StartTime=now - timedelta(days=3),
                                 EndTime=now, Period=60, Statistics=["Sum"])  # fmt: skip
    assert _code(too_many) == "InvalidParameterCombination"
    viewer = with_protocol(server, "cloudwatch", protocol, tmp_path / "v", server.viewer)
    with pytest.raises(ClientError) as denied:
        viewer.put_metric_data(Namespace="N", MetricData=[{"MetricName": "M", "Value": 1}])
    assert _code(denied) in ("AccessDeniedException", "AccessDenied")


# -- Security Hub -------------------------------------------------------------------------------
def _asff(ident: str, label: str, **extra: Any) -> dict[str, Any]:
    at = "2026-12-01T10:00:00.000Z"
    return {"SchemaVersion": "2018-10-08", "Id": ident,
            "ProductArn": "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default",
            "GeneratorId": "scanner/s3-public", "AwsAccountId": "111122223333",
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": at, "UpdatedAt": at, "Severity": {"Label": label},
            "Title": f"Bucket {ident} is public", "Description": "anyone can read it",
            "ProductName": "scanner",
            "Resources": [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::{ident}"}], **extra}  # fmt: skip


def test_security_hub_import_get_and_update(server: Server) -> None:
    hub = server.client("securityhub")
    bad = _asff("c", "HIGH", CreatedAt="yesterday")  # botocore passes it; ASFF does not
    reply = hub.batch_import_findings(Findings=[_asff("a", "HIGH"), _asff("b", "LOW"), bad])
    assert (reply["SuccessCount"], reply["FailedCount"]) == (2, 1)
    assert (
        reply["FailedFindings"][0]["Id"] == "c"
        and "CreatedAt" in reply["FailedFindings"][0]["ErrorMessage"]
    )
    again = hub.batch_import_findings(Findings=[_asff("a", "HIGH")])  # the same finding: updated
    assert again["SuccessCount"] == 1

    high = hub.get_findings(Filters={"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}],
                                     "ProductName": [{"Value": "scanner", "Comparison": "EQUALS"}]})  # fmt: skip
    assert [f["Id"] for f in high["Findings"]] == ["a"]
    assert high["Findings"][0]["Resources"][0]["Id"] == "arn:aws:s3:::a"
    both = hub.get_findings(Filters={"Type": [{"Value": "Software and", "Comparison": "PREFIX"}]},
                            SortCriteria=[{"Field": "Id", "SortOrder": "asc"}])  # fmt: skip
    assert [f["Id"] for f in both["Findings"]] == ["a", "b"]

    product = _asff("a", "HIGH")["ProductArn"]
    done = hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "a", "ProductArn": product}, {"Id": "zz", "ProductArn": product}],
        Workflow={"Status": "RESOLVED"}, Note={"Text": "fixed the ACL", "UpdatedBy": "ana"})  # fmt: skip
    assert done["ProcessedFindings"] == [{"Id": "a", "ProductArn": product}]
    assert done["UnprocessedFindings"][0]["ErrorCode"] == "FindingNotFound"
    resolved = hub.get_findings(
        Filters={"WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "EQUALS"}]}
    )
    assert [(f["Id"], f["Note"]["Text"]) for f in resolved["Findings"]] == [("a", "fixed the ACL")]
    # the hub the CLI reads holds them too, and imports went onto the event bus
    listed = json.loads(vigil(server.home, "findings", "list", "--json").stdout)
    titles = (
        {f["title"] for f in listed["findings"]}
        if isinstance(listed, dict)
        else {f["title"] for f in listed}
    )
    assert {"Bucket a is public", "Bucket b is public"} <= titles
    recent = json.loads(vigil(server.home, "events", "list", "--json").stdout)
    rows = recent["events"] if isinstance(recent, dict) else recent
    assert any(e.get("detail-type") == "Security Hub Findings - Imported" for e in rows)
    with pytest.raises(ClientError) as refused:
        hub.batch_update_findings(FindingIdentifiers=[{"Id": "a", "ProductArn": product}],
                                  Severity={"Label": "LOW"})  # fmt: skip
    assert _code(refused) == "InvalidInputException"
