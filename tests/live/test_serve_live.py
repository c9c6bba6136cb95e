"""Logs arriving continuously at a real `vigil serve`: pushes into a declared CloudTrail group,
EventBridge API destinations and Firehose deliveries, a watched directory, S3 polling and SQS
notifications from moto's S3, and `kill -9` in the middle: every record in the lake once."""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from helpers import Endpoint, ct_record, trail_file, vigil, wait_for
from serving import Server, serving, start


@pytest.fixture
def live(tmp_path: Path, aws: str) -> Iterator[Server]:
    with serving(tmp_path / "home") as running:
        yield running


def _wait(check: Any, seconds: float = 30) -> Any:
    return wait_for(check, seconds, 0.2)


def _sql(server: Server, sql: str) -> list[dict[str, Any]]:
    reply = httpx.post(server.url + "/api/v1/query", json={"sql": sql},
                       headers={"Authorization": f"Bearer {server.admin_token}"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    return list(reply.json()["rows"])


def _count(server: Server, table: str = "cloudtrail") -> int:
    return int(_sql(server, f"SELECT count(*) AS n FROM {table}")[0]["n"])


def _alert_rule(server: Server, hook: Endpoint, finding_type: str) -> None:
    events = server.client("events")
    pattern = {"source": ["aws.guardduty"], "detail": {"type": [finding_type]}}
    events.put_rule(Name="alerts", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="alerts", Targets=[{"Id": "hook", "Arn": hook.url}])


STOP = "Stealth:IAMUser/CloudTrailLoggingDisabled"


def _stop_logging(event_id: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return ct_record(eventSource="cloudtrail.amazonaws.com", eventName="StopLogging",
                     eventTime=now, eventID=event_id, eventType="AwsApiCall",
                     requestParameters={"name": "org-trail"}, responseElements=None,
                     additionalEventData=None)  # fmt: skip


def test_push_into_a_cloudtrail_group_alerts_within_seconds(live: Server, hook: Endpoint) -> None:
    assert vigil(live.home, "sources", "add", "trail", "--log-group", "org-trail",
                 "--type", "cloudtrail").returncode == 0  # fmt: skip
    _alert_rule(live, hook, STOP)
    logs = live.logs()
    logs.create_log_group(logGroupName="org-trail")
    logs.create_log_stream(logGroupName="org-trail", logStreamName="111122223333_CloudTrail")
    began = time.monotonic()
    logs.put_log_events(logGroupName="org-trail", logStreamName="111122223333_CloudTrail",
                        logEvents=[{"timestamp": int(time.time() * 1000),
                                    "message": json.dumps(_stop_logging("stop-1"))}])  # fmt: skip
    got = _wait(lambda: hook.requests)
    took = time.monotonic() - began
    assert got, (live.home / "serve.log").read_text()[-3000:]
    event = json.loads(got[0]["body"])
    assert event["detail"]["type"] == STOP and took < 10
    # the record is in the lake as well as the group, and the source shows its counts
    assert _sql(live, "SELECT eventname FROM cloudtrail") == [{"eventname": "StopLogging"}]
    [source] = json.loads(vigil(live.home, "sources", "list", "--json").stdout)["sources"]
    assert source["records"] == 1 and source["last_error"] is None
    assert source["records_per_second"] == 1 / 300  # one record in the last five minutes
    metrics = httpx.get(live.url + "/metrics",
                        headers={"Authorization": f"Bearer {live.admin_token}"}).text  # fmt: skip
    assert 'vigil_ingest_records_total{source="trail",table="cloudtrail"} 1.0' in metrics


def test_eventbridge_api_destination_and_firehose(live: Server, hook: Endpoint) -> None:
    _alert_rule(live, hook, STOP)
    rec = _stop_logging("stop-eb")
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
             "source": "aws.cloudtrail", "account": "111122223333", "time": rec["eventTime"],
             "region": "us-east-1", "resources": [], "detail": rec}  # fmt: skip
    refused = httpx.post(live.url + "/ingest/eventbridge", json=event)
    assert refused.status_code == 401
    viewer = httpx.post(live.url + "/ingest/eventbridge", json=event,
                        headers={"x-api-key": live.viewer_token})  # fmt: skip
    assert viewer.status_code == 403
    ok = httpx.post(live.url + "/ingest/eventbridge", json=event,
                    headers={"x-api-key": live.admin_token})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["cloudtrail"] == 1
    assert json.loads(_wait(lambda: hook.requests)[0]["body"])["detail"]["type"] == STOP
    guardduty = {"version": "0", "id": "gd-1", "detail-type": "GuardDuty Finding",
                 "source": "aws.guardduty", "account": "111122223333", "region": "us-east-1",
                 "time": rec["eventTime"], "resources": [],
                 "detail": {"id": "f00d", "type": "Recon:EC2/Portscan", "severity": 5.0,
                            "accountId": "111122223333", "region": "us-east-1",
                            "title": "Port scan from i-0abc", "createdAt": rec["eventTime"],
                            "updatedAt": rec["eventTime"],
                            "resource": {"resourceType": "Instance"}}}  # fmt: skip
    assert httpx.post(live.url + "/ingest/eventbridge", json=guardduty,
                      headers={"x-api-key": live.admin_token}).json()["findings"] == 1  # fmt: skip
    listed = json.loads(vigil(live.home, "findings", "list", "--json").stdout)
    rows = listed["findings"] if isinstance(listed, dict) else listed
    assert "Recon:EC2/Portscan" in {f["type"] for f in rows}

    # Firehose: a CloudWatch Logs subscription of a CloudTrail group; a retry is not re-taken
    message = {"messageType": "DATA_MESSAGE", "owner": "111122223333",
               "logGroup": "aws-cloudtrail-logs-org", "logStream": "111122223333_CloudTrail",
               "subscriptionFilters": ["to-vigil"],
               "logEvents": [{"id": "1", "timestamp": int(time.time() * 1000),
                              "message": json.dumps(ct_record(eventID=f"fh-{i}"))}
                             for i in range(3)]}  # fmt: skip
    data = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    body = {"requestId": "req-1", "timestamp": int(time.time() * 1000), "records": [{"data": data}]}
    headers = {"X-Amz-Firehose-Request-Id": "req-1",
               "X-Amz-Firehose-Access-Key": live.admin_token}  # fmt: skip
    for _ in range(2):
        reply = httpx.post(live.url + "/ingest/firehose", json=body, headers=headers)
        assert reply.status_code == 200 and reply.json()["requestId"] == "req-1"
    bad = httpx.post(live.url + "/ingest/firehose", content=b"{", headers={
        **headers, "X-Amz-Firehose-Request-Id": "req-2"})  # fmt: skip
    assert bad.status_code == 400 and "records" in bad.json()["errorMessage"]
    ids = lambda: {r["eventid"] for r in _sql(live, "SELECT eventid FROM cloudtrail")}  # noqa: E731
    assert _wait(lambda: {"fh-0", "fh-1", "fh-2"} <= ids())
    time.sleep(1.5)
    assert _count(live) == 4  # stop-eb and the three, once each
    group = live.logs().get_log_events(logGroupName="aws-cloudtrail-logs-org",
                                       logStreamName="111122223333_CloudTrail")  # fmt: skip
    assert len(group["events"]) == 3


def test_watched_directory(live: Server, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert vigil(live.home, "sources", "add", "inbox", "--dir", str(inbox), "--type", "cloudtrail",
                 "--interval", "0.5").returncode == 0  # fmt: skip
    (inbox / "a.json").write_text(trail_file([ct_record(eventID=f"d-{i}") for i in range(5)]))
    assert _wait(lambda: _count(live) == 5)
    (inbox / "b.json").write_text(trail_file([ct_record(eventID="d-9")]))
    assert _wait(lambda: _count(live) == 6)
    time.sleep(1.5)  # polls go on; nothing is taken twice
    assert _count(live) == 6


# -- S3 and SQS against moto ----------------------------------------------------------------------
TODAY = time.strftime("%Y/%m/%d", time.gmtime())  # the re-listed window is today and yesterday


def _trail_key(i: int, day: str = TODAY) -> str:
    stamp = day.replace("/", "")
    return (f"AWSLogs/111122223333/CloudTrail/us-east-1/{day}/"
            f"111122223333_CloudTrail_us-east-1_{stamp}T00{i:02d}Z_{i:04d}.json.gz")  # fmt: skip


def _put_trail(s3: Any, bucket: str, key: str, ids: list[str]) -> None:
    body = gzip.compress(trail_file([ct_record(eventID=x) for x in ids]).encode())
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_s3_polling_finds_late_keys(live: Server, aws: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws)
    bucket = f"trail-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for i in (1, 2, 5):
        _put_trail(s3, bucket, _trail_key(i), [f"p-{i}"])
    assert vigil(live.home, "sources", "add", "poll", "--s3", f"s3://{bucket}/AWSLogs/",
                 "--endpoint-url", aws, "--interval", "0.5").returncode == 0  # fmt: skip
    assert _wait(lambda: _count(live) == 3), (live.home / "serve.log").read_text()[-2000:]
    _put_trail(s3, bucket, _trail_key(3), ["p-3"])  # sorts behind the cursor (…_0005)
    _put_trail(s3, bucket, _trail_key(7), ["p-7"])
    assert _wait(lambda: _count(live) == 5)

    def cursor() -> dict[str, Any]:
        [source] = json.loads(vigil(live.home, "sources", "list", "--json").stdout)["sources"]
        return dict(source["cursor"])

    # the cursor is written just after the commit; a poll with nothing new lists 1 page and
    # the recent folder again
    assert _wait(lambda: cursor().get("start_after", "").endswith("_0007.json.gz"), 10)
    assert cursor()["pages"] <= 10 and list(cursor()["recent"]) == [
        f"AWSLogs/111122223333/CloudTrail/us-east-1/{TODAY}/"
    ]


def _notify(sqs: Any, queue: str, bucket: str, key: str, size: int, etag: str,
            wrap: str = "s3") -> None:  # fmt: skip
    record = {"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
              "s3": {"bucket": {"name": bucket},
                     "object": {"key": key, "size": size, "eTag": etag}}}  # fmt: skip
    body: Any = {"Records": [record]}
    if wrap == "sns":
        body = {"Type": "Notification", "Message": json.dumps(body)}
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))


def test_sqs_notifications_exactly_once_across_kill_9(tmp_path: Path, aws: str) -> None:
    s3, sqs = boto3.client("s3", endpoint_url=aws), boto3.client("sqs", endpoint_url=aws)
    bucket = f"notify-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    queue = sqs.create_queue(QueueName=bucket)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})  # fmt: skip
    test_event = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    if not test_event:  # moto sends s3:TestEvent as S3 does; send one ourselves if not
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(
            {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket}))  # fmt: skip
    else:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=test_event[0]["ReceiptHandle"],
                                      VisibilityTimeout=0)  # fmt: skip
    total = 40
    for i in range(total):
        _put_trail(s3, bucket, _trail_key(i), [f"q-{i}-{j}" for j in range(25)])
    home = tmp_path / "home"
    home.mkdir()
    key = json.loads(vigil(home, "keys", "create", "--json").stdout)
    token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
    assert vigil(home, "sources", "add", "queue", "--sqs", queue, "--endpoint-url", aws,
                 "--visibility-timeout", "3").returncode == 0  # fmt: skip
    proc, url = start(home)
    server = Server(url, home, proc, key, key, token, token)
    # duplicated notifications (direct and SNS-wrapped), while the first ones are being read
    head = s3.head_object(Bucket=bucket, Key=_trail_key(0))
    for wrap in ("s3", "sns"):
        _notify(sqs, queue, bucket, _trail_key(0), head["ContentLength"],
                head["ETag"], wrap)  # fmt: skip
    try:
        assert _wait(lambda: _count(server) > 0, 60), (home / "serve.log").read_text()[-3000:]
        proc.kill()  # kill -9 in the middle of the queue
        proc.wait()
        proc, url = start(home)
        server = Server(url, home, proc, key, key, token, token)
        assert _wait(lambda: _count(server) == total * 25, 90), _count(server)
        time.sleep(4)  # redeliveries after the visibility timeout change nothing
        assert _count(server) == total * 25
        distinct = _sql(server, "SELECT count(DISTINCT eventid) AS n FROM cloudtrail")[0]["n"]
        assert distinct == total * 25
        left = sqs.get_queue_attributes(
            QueueUrl=queue,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        assert _wait(
            lambda: all(
                v == "0"
                for v in sqs.get_queue_attributes(
                    QueueUrl=queue,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                    ],
                )["Attributes"].values()
            ),
            20,
        ), left  # every message deleted once committed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_metric_filter_and_alarm_on_arrival(live: Server) -> None:
    logs, cw = live.logs(), live.client("cloudwatch")
    logs.create_log_group(logGroupName="app/live")
    logs.create_log_stream(logGroupName="app/live", logStreamName="s")
    logs.put_metric_filter(logGroupName="app/live", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "Live",
                                                   "metricValue": "1"}])  # fmt: skip
    cw.put_metric_alarm(AlarmName="live-errors", Namespace="Live", MetricName="Errors",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=3,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")  # fmt: skip
    # a minute back: alarms look at whole periods, as CloudWatch does, not the current minute
    then = int(time.time() * 1000) - 60_000
    logs.put_log_events(logGroupName="app/live", logStreamName="s", logEvents=[
        {"timestamp": then, "message": f"ERROR {i}"} for i in range(4)])  # fmt: skip

    def state() -> str:
        [alarm] = cw.describe_alarms(AlarmNames=["live-errors"])["MetricAlarms"]
        return str(alarm["StateValue"])

    assert _wait(lambda: state() == "ALARM", 40), state()
    events = httpx.get(
        live.url + "/api/v1/events?source=aws.cloudwatch",
        headers={"Authorization": f"Bearer {live.admin_token}"},
    ).json()["events"]
    assert any(e["detail"]["alarmName"] == "live-errors" for e in events)


BRUTE = "UnauthorizedAccess:IAMUser/ConsoleLoginBruteForce"


def _failed_login(when: float, n: int) -> dict[str, Any]:
    return ct_record(eventSource="signin.amazonaws.com", eventName="ConsoleLogin",
                     eventTime=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                     eventID=f"fail-{n}", eventType="AwsConsoleSignIn",
                     sourceIPAddress="198.51.100.66", errorMessage="Failed authentication",
                     responseElements={"ConsoleLogin": "Failure"}, requestParameters=None,
                     additionalEventData=None)  # fmt: skip


def test_a_threshold_across_batches_fires_on_the_windows_they_touched(
    tmp_path: Path, hook: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six failed sign-ins in each of two pushes: neither batch reaches the brute-force
    threshold (10) alone; the run over the windows they touched (two hours back: late
    delivery) sees twelve in one window and alerts, once."""
    monkeypatch.setenv("VIGIL_DETECT_INTERVAL", "2")
    with serving(tmp_path / "home") as server:
        assert vigil(server.home, "sources", "add", "trail", "--log-group", "org-trail",
                     "--type", "cloudtrail").returncode == 0  # fmt: skip
        _alert_rule(server, hook, BRUTE)
        logs = server.logs()
        logs.create_log_group(logGroupName="org-trail")
        logs.create_log_stream(logGroupName="org-trail", logStreamName="s")
        start_at = (time.time() // 3600 - 2) * 3600 + 60  # in one hourly window, 2 h back
        for batch in range(2):
            events = [_failed_login(start_at + batch * 300 + i * 10, batch * 6 + i)
                      for i in range(6)]  # fmt: skip
            logs.put_log_events(logGroupName="org-trail", logStreamName="s", logEvents=[
                {"timestamp": int(time.time() * 1000), "message": json.dumps(e)}
                for e in events])  # fmt: skip
            assert _wait(lambda b=batch: _count(server) == 6 * (b + 1), 20)  # type: ignore[misc]
        got = _wait(lambda: hook.requests, 30)
        assert got, (server.home / "serve.log").read_text()[-3000:]
        finding = json.loads(got[0]["body"])["detail"]
        assert finding["type"] == BRUTE and finding["service"]["count"] >= 12, finding
        time.sleep(5)  # further runs find nothing new: no second alert
        assert len(hook.requests) == 1
