"""`vigil serve` as users run it: a real server process on loopback, driven by boto3 (signed
with keys made by `vigil keys create`), plain HTTP for the native API, the CLI on the same home
while the server runs, and SIGTERM to stop it."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from helpers import vigil
from serving import Server, serving, start


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve") / "home") as running:
        yield running


def test_health_readiness_and_openapi(server: Server) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(server.url + "/readyz").status_code == 200
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "/api/v1/findings" in spec["paths"] and "/api/v1/query" in spec["paths"]


def test_cloudwatch_logs_round_trip_with_boto3(server: Server) -> None:
    logs = server.logs()
    logs.create_log_group(logGroupName="app/web")
    logs.create_log_stream(logGroupName="app/web", logStreamName="i-1")
    now = int(time.time() * 1000)
    events = [{"timestamp": now - 2000, "message": "ERROR disk full"},
              {"timestamp": now - 1000, "message": "INFO started"},
              {"timestamp": now, "message": "ERROR timeout"}]  # fmt: skip
    reply = logs.put_log_events(logGroupName="app/web", logStreamName="i-1", logEvents=events)
    assert "rejectedLogEventsInfo" not in reply
    # AWS's rejection rules: one too new event is reported, the others stored
    late = logs.put_log_events(
        logGroupName="app/web",
        logStreamName="i-1",
        logEvents=[
            {"timestamp": now, "message": "ok"},
            {"timestamp": now + 3 * 3600_000, "message": "x"},
        ],
    )
    assert late["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}

    found = logs.filter_log_events(logGroupName="app/web", filterPattern="ERROR")["events"]
    assert [e["message"] for e in found] == ["ERROR disk full", "ERROR timeout"]
    page = logs.filter_log_events(logGroupName="app/web", limit=2)
    rest = logs.filter_log_events(logGroupName="app/web", limit=2, nextToken=page["nextToken"])
    assert len(page["events"]) == 2 and [e["message"] for e in rest["events"]] == [
        "ERROR timeout",
        "ok",
    ]
    got = logs.get_log_events(logGroupName="app/web", logStreamName="i-1", startFromHead=True)
    assert len(got["events"]) == 4
    again = logs.get_log_events(logGroupName="app/web", logStreamName="i-1",
                                nextToken=got["nextForwardToken"])  # fmt: skip
    assert again["events"] == [] and again["nextForwardToken"] == got["nextForwardToken"]

    groups = logs.describe_log_groups(logGroupNamePrefix="app/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["app/web"]
    logs.put_retention_policy(logGroupName="app/web", retentionInDays=30)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 30
    with pytest.raises(ClientError) as bad:
        logs.put_retention_policy(logGroupName="app/web", retentionInDays=4)
    assert bad.value.response["Error"]["Code"] == "InvalidParameterException"

    logs.put_metric_filter(logGroupName="app/web", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors",
                                                   "metricNamespace": "App",
                                                   "metricValue": "1"}])  # fmt: skip
    filters = logs.describe_metric_filters(logGroupName="app/web")["metricFilters"]
    assert filters[0]["filterName"] == "errors"
    matches = logs.test_metric_filter(
        filterPattern="{ $.code >= 500 }", logEventMessages=['{"code": 503}', '{"code": 200}']
    )
    assert [m["eventNumber"] for m in matches["matches"]] == [1]

    started = logs.start_query(
        logGroupName="app/web",
        startTime=now // 1000 - 3600,
        endTime=now // 1000 + 60,
        queryString="filter @message like /ERROR/ | stats count() as n",
    )
    for _ in range(100):
        result = logs.get_query_results(queryId=started["queryId"])
        if result["status"] == "Complete":
            break
        time.sleep(0.1)
    assert result["results"] == [[{"field": "n", "value": "2"}]]

    for group, query, code in (
        ("nope", "fields @message", "ResourceNotFoundException"),
        ("app/web", "stats count( by", "MalformedQueryException"),
    ):
        with pytest.raises(ClientError) as refused:
            logs.start_query(logGroupName=group, startTime=0, endTime=1, queryString=query)
        assert refused.value.response["Error"]["Code"] == code

    with pytest.raises(ClientError) as missing:
        logs.delete_log_group(logGroupName="nope")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_signatures_are_checked_and_refused_as_aws_refuses_them(server: Server) -> None:
    with pytest.raises(ClientError) as wrong:
        server.logs(secret="w" * 40).describe_log_groups()
    assert wrong.value.response["Error"]["Code"] == "InvalidSignatureException"
    stranger = {"AccessKeyId": "AKIAUNKNOWNKEY000000", "SecretAccessKey": "s" * 40}
    with pytest.raises(ClientError) as unknown:
        server.logs(stranger).describe_log_groups()
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    unsigned = httpx.post(
        server.url + "/",
        content=b"{}",
        headers={
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert unsigned.status_code == 403
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"


def test_a_viewers_key_reads_but_cannot_write(server: Server) -> None:
    viewer = server.logs(server.viewer)
    assert "logGroups" in viewer.describe_log_groups()
    with pytest.raises(ClientError) as denied:
        viewer.create_log_group(logGroupName="by-viewer")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_writes_are_audited_and_the_cli_sees_the_servers_changes(server: Server) -> None:
    server.logs().create_log_group(logGroupName="audited")
    groups = json.loads(vigil(server.home, "logs", "groups", "--json").stdout)
    assert "audited" in [g["logGroupName"] for g in groups["logGroups"]]
    entries = json.loads(vigil(server.home, "audit", "--json").stdout)
    mine = [e for e in entries if e["action"] == "logs:CreateLogGroup" and e["target"] == "audited"]
    assert mine and mine[0]["user"] == "admin" and mine[0]["source"] == "127.0.0.1"
    # the CLI changes what the server serves: a group removed here is gone there
    assert vigil(server.home, "logs", "delete-group", "audited").returncode == 0
    names = [g["logGroupName"] for g in server.logs().describe_log_groups()["logGroups"]]
    assert "audited" not in names


def test_native_api_tokens_roles_and_error_shape(server: Server) -> None:
    def call(method: str, path: str, token: str | None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, server.url + "/api/v1" + path, headers=headers, **kw)

    assert call("GET", "/whoami", server.admin_token).json()["role"] == "admin"
    anonymous = call("GET", "/findings", None)
    assert anonymous.status_code == 401
    assert set(anonymous.json()["detail"]) == {"code", "message", "hint"}
    assert call("GET", "/findings", "vgl_bad_token").status_code == 401
    assert call("GET", "/findings", server.viewer_token).json()["findings"] == []
    refused = call("PATCH", "/findings/abc", server.viewer_token, json={"workflow": "RESOLVED"})
    assert refused.status_code == 403
    unknown = call("PATCH", "/findings/abc", server.admin_token, json={"workflow": "RESOLVED"})
    assert unknown.status_code == 404
    rows = call("POST", "/query", server.viewer_token, json={"sql": "SELECT 1 AS one"})
    assert rows.json()["rows"] == [{"one": 1}]
    write = call("POST", "/query", server.admin_token, json={"sql": "DROP TABLE x"})
    assert write.status_code == 400 and write.json()["detail"]["code"] == "QueryError"


def test_metrics_count_requests_by_api_operation_and_code(server: Server) -> None:
    server.logs().describe_log_groups()
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    text = httpx.get(server.url + "/metrics", headers=admin).text
    assert 'vigil_http_requests_total{api="logs",code="200",operation="DescribeLogGroups"}' in text
    assert 'vigil_queue_depth{queue="events"}' in text


def test_metrics_need_an_admins_or_a_scrapers_token(server: Server) -> None:
    assert vigil(server.home, "users", "create", "prom", "--role", "metrics").returncode == 0
    scraper = json.loads(vigil(server.home, "tokens", "create", "--user", "prom",
                               "--json").stdout)["token"]  # fmt: skip
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in
              [("viewer", server.viewer_token), ("scraper", scraper), ("forged", "vt_nope")]}  # fmt: skip
    anonymous = httpx.get(server.url + "/metrics")
    assert anonymous.status_code == 401 and "token" in anonymous.text
    assert "vigil_http_requests_total" not in anonymous.text
    assert httpx.get(server.url + "/metrics", headers=bearer["forged"]).status_code == 401
    assert httpx.get(server.url + "/metrics", headers=bearer["viewer"]).status_code == 403
    scraped = httpx.get(server.url + "/metrics", headers=bearer["scraper"])
    assert scraped.status_code == 200 and "vigil_http_requests_total" in scraped.text
    # the scraper's token reads nothing else
    findings = httpx.get(server.url + "/api/v1/findings", headers=bearer["scraper"])
    assert findings.status_code == 403


def test_native_api_nouns(server: Server) -> None:
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    viewer = {"Authorization": f"Bearer {server.viewer_token}"}
    base = server.url + "/api/v1"
    paths = set(httpx.get(server.url + "/openapi.json").json()["paths"])
    for path in ("/api/v1/insights", "/api/v1/alarms", "/api/v1/rules", "/api/v1/dlq",
                 "/api/v1/posture", "/api/v1/trail/verdicts", "/api/v1/playbooks",
                 "/api/v1/content", "/api/v1/sources", "/api/v1/suppressions",
                 "/ingest/eventbridge", "/ingest/firehose"):  # fmt: skip
        assert path in paths, path
    for path in ("/alarms", "/rules", "/dlq", "/deliveries", "/events", "/metrics", "/content",
                 "/playbooks", "/sources", "/quarantine", "/suppressions", "/dashboards",
                 "/trail/verdicts", "/findings-export?format=ocsf"):  # fmt: skip
        reply = httpx.get(base + path, headers=viewer)
        assert reply.status_code == 200, (path, reply.text)
    rule = {"pattern": {"source": ["app.native"]}, "targets": [{"type": "log"}]}
    assert httpx.put(base + "/rules/native-rule", json=rule, headers=viewer).status_code == 403
    assert httpx.put(base + "/rules/native-rule", json=rule, headers=admin).json()["targets"] == 1
    assert "native-rule" in [
        r["name"] for r in httpx.get(base + "/rules", headers=admin).json()["rules"]
    ]
    put = httpx.post(base + "/events", headers=admin, json={"entries": [
        {"Source": "app.native", "DetailType": "Ping", "Detail": "{\"n\": 1}"}]})  # fmt: skip
    assert put.json()["failed"] == 0
    assert httpx.get(base + "/events?source=app.native", headers=viewer).json()["events"][0][
        "detail"
    ] == {"n": 1}
    # Insights and the log events of a group made through the AWS endpoint earlier
    logs = server.logs()
    logs.create_log_group(logGroupName="native/app")
    logs.create_log_stream(logGroupName="native/app", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="native/app", logStreamName="s", logEvents=[
        {"timestamp": now, "message": "ERROR a"}, {"timestamp": now + 1, "message": "INFO b"}])  # fmt: skip
    found = httpx.get(base + "/logs/groups/native/app/events?pattern=ERROR", headers=viewer)
    assert [e["message"] for e in found.json()["events"]] == ["ERROR a"]
    stats = httpx.post(base + "/insights", headers=viewer, json={
        "query": "stats count(*) as n", "log_groups": ["native/app"], "start": "1h"})  # fmt: skip
    assert stats.status_code == 200 and stats.json()["rows"] == [{"n": 2}]
    bad = httpx.post(
        base + "/insights",
        headers=viewer,
        json={"query": "stats nope(", "log_groups": ["native/app"]},
    )
    assert bad.status_code == 400 and bad.json()["detail"]["message"]
    missing = httpx.delete(base + "/rules/nope", headers=admin)
    assert missing.status_code == 404
    source = httpx.post(base + "/sources", headers=admin, json={
        "name": "native-trail", "log_group": "aws-cloudtrail-logs-native"})  # fmt: skip
    assert source.status_code == 200 and source.json()["type"] == "auto"
    assert httpx.delete(base + "/sources/native-trail", headers=admin).json()["removed"] is True


def test_sigterm_stops_the_server_and_a_restart_serves_the_same_home(server: Server) -> None:
    server.logs().create_log_group(logGroupName="restart/kept")
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=40) == 0
    proc, url = start(server.home)
    try:
        server.url = url
        names = [g["logGroupName"] for g in server.logs().describe_log_groups()["logGroups"]]
        assert "restart/kept" in names
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
    assert os.path.exists(server.home / "state.db")
