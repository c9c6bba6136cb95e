"""CloudWatch Logs as AWS answers it, through a real `vigil serve` and real clients (boto3, the
AWS CLI v1): Insights rows' @ptr and GetLogRecord, GetQueryResults' statistics, DescribeQueries
and StopQuery, export tasks to S3 (the moto server) and to a folder, and log group tags."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from helpers import vigil
from serving import Server, serving
from vigil.api import Settings
from vigil.api import logs as logs_api

AWS = Path(__file__).parents[2] / ".venv-awscli" / "bin" / "aws"
HOUR = 3_600_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, moto_server: str) -> Iterator[Server]:
    """The server reaches S3 (the moto server) as a user's would: credentials in its
    environment and VIGIL_AWS_ENDPOINT_URL."""
    with pytest.MonkeyPatch.context() as env:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1",
                           "VIGIL_AWS_ENDPOINT_URL": moto_server}.items():  # fmt: skip
            env.setenv(key, value)
        with serving(tmp_path_factory.mktemp("parity") / "home") as running:
            yield running


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Message"])


def _put(logs: Any, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t, "message": m} for t, m in events])  # fmt: skip


def _results(logs: Any, query_id: str) -> dict[str, Any]:
    for _ in range(300):
        result: dict[str, Any] = logs.get_query_results(queryId=query_id)
        if result["status"] not in ("Scheduled", "Running"):
            return result
        time.sleep(0.1)
    raise AssertionError(f"query {query_id} did not end")


def _fields(row: list[dict[str, str]]) -> dict[str, str]:
    return {f["field"]: f["value"] for f in row}


@pytest.fixture(scope="module")
def app(server: Server) -> dict[str, Any]:
    """Group `parity/app`: 30 JSON events in the last half hour (every third an ERROR) in two
    streams, 5 ERRORs three hours ago (outside the queries' range); `parity/other` holds
    ERRORs that are never searched."""
    logs = server.logs()
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="parity/app")
    recent = [(now - 1_800_000 + i * 1000,
               json.dumps({"level": "ERROR" if i % 3 == 0 else "INFO", "n": i,
                           "user": {"name": f"u{i}"}, "tags": ["a", "b"], "@kind": "x"}))
              for i in range(30)]  # fmt: skip
    _put(logs, "parity/app", "web-1", recent[:15])
    _put(logs, "parity/app", "web-2", recent[15:])
    _put(logs, "parity/app", "old", [(now - 3 * HOUR + i, '{"level": "ERROR"}') for i in range(5)])
    logs.create_log_group(logGroupName="parity/other")
    _put(logs, "parity/other", "s", [(now - 60_000, '{"level": "ERROR"}')])
    return {"now": now, "recent": recent}


def _start(logs: Any, app: dict[str, Any], query: str, group: str = "parity/app") -> str:
    now = app["now"]
    started = logs.start_query(logGroupName=group, startTime=(now - HOUR) // 1000,
                               endTime=now // 1000 + 60, queryString=query)  # fmt: skip
    return str(started["queryId"])


def test_statistics_count_scanned_and_matched_before_the_limit(
    server: Server, app: dict[str, Any]
) -> None:
    logs = server.logs()
    query = "filter level = 'ERROR' | fields @timestamp, n | sort @timestamp desc | limit 4"
    result = _results(logs, _start(logs, app, query))
    assert result["status"] == "Complete"
    assert [_fields(r)["n"] for r in result["results"]] == ["27", "24", "21", "18"]
    stats = result["statistics"]
    assert stats["recordsMatched"] == 10.0  # the ERRORs in range, before `limit 4`
    assert stats["recordsScanned"] == 30.0  # the group's events in range, not the old ones
    assert stats["bytesScanned"] == float(sum(len(m.encode()) for _, m in app["recent"]))
    aggregated = _results(logs, _start(logs, app, "filter level = 'ERROR' | stats count(*) as c"))
    assert aggregated["results"] == [[{"field": "c", "value": "10"}]]  # no @ptr on stats rows
    assert aggregated["statistics"]["recordsMatched"] == 10.0
    everything = _results(logs, _start(logs, app, "fields @message | limit 1"))["statistics"]
    assert (everything["recordsMatched"], everything["recordsScanned"]) == (30.0, 30.0)
    # pages of maxItems rows, the statistics on each
    query_id = _start(logs, app, "filter level = 'ERROR' | fields n | sort @timestamp desc")
    whole = [_fields(r)["n"] for r in _results(logs, query_id)["results"]]
    first = logs.get_query_results(queryId=query_id, maxItems=4)
    second = logs.get_query_results(queryId=query_id, maxItems=4, nextToken=first["nextToken"])
    third = logs.get_query_results(queryId=query_id, maxItems=4, nextToken=second["nextToken"])
    pages = [[_fields(r)["n"] for r in p["results"]] for p in (first, second, third)]
    assert [n for p in pages for n in p] == whole and [len(p) for p in pages] == [4, 4, 2]
    assert "nextToken" not in third and third["statistics"]["recordsMatched"] == 10.0


def test_each_row_has_a_pointer_that_get_log_record_reads(
    server: Server, app: dict[str, Any]
) -> None:
    logs = server.logs()
    result = _results(
        logs, _start(logs, app, "filter n = 4 or n = 20 | fields n | sort @timestamp")
    )
    rows = [_fields(r) for r in result["results"]]
    assert [r["n"] for r in rows] == ["4", "20"] and all(r["@ptr"] for r in rows)
    # a viewer reads records as it reads events
    record = server.logs(server.viewer).get_log_record(logRecordPointer=rows[0]["@ptr"])
    got = record["logRecord"]
    sent_ms, sent = app["recent"][4]
    assert got["@message"] == sent and got["@timestamp"] == str(sent_ms)
    assert got["@logStream"] == "web-1" and got["@log"] == "000000000000:parity/app"
    assert int(got["@ingestionTime"]) >= sent_ms
    assert got["level"] == "INFO" and got["n"] == "4" and got["user.name"] == "u4"
    assert got["tags.0"] == "a" and got["tags.1"] == "b" and got["@@kind"] == "x"
    second = logs.get_log_record(logRecordPointer=rows[1]["@ptr"])["logRecord"]
    assert second["@logStream"] == "web-2" and second["n"] == "20"
    # the same event has the same pointer in another query
    again = _results(logs, _start(logs, app, "filter n = 4 | fields @message"))
    assert _fields(again["results"][0])["@ptr"] == rows[0]["@ptr"]


def test_a_flow_log_record_has_insights_flow_fields(server: Server, app: dict[str, Any]) -> None:
    logs = server.logs()
    now = app["now"]
    line = (f"2 123456789012 eni-0a1b2c3d 198.51.100.7 10.0.0.5 44321 22 6 3 180 "
            f"{now // 1000 - 60} {now // 1000} REJECT OK")  # fmt: skip
    logs.create_log_group(logGroupName="parity/flows")
    _put(logs, "parity/flows", "eni-0a1b2c3d-all", [(now - 60_000, line)])
    found = _results(logs, _start(logs, app, "filter dstPort = 22 | fields srcAddr",
                                  group="parity/flows"))  # fmt: skip
    row = _fields(found["results"][0])
    assert row["srcAddr"] == "198.51.100.7"
    got = logs.get_log_record(logRecordPointer=row["@ptr"])["logRecord"]
    assert (got["srcAddr"], got["dstPort"], got["action"], got["interfaceId"]) == (
        "198.51.100.7",
        "22",
        "REJECT",
        "eni-0a1b2c3d",
    )
    assert got["@message"] == line and "level" not in got


def test_forged_and_stale_pointers_are_refused(server: Server, app: dict[str, Any]) -> None:
    logs = server.logs()
    ptr = _fields(_results(logs, _start(logs, app, "fields n | limit 1"))["results"][0])["@ptr"]
    altered = ptr[:-3] + ("AAA" if not ptr.endswith("AAA") else "BBB")
    for bad in (altered, "not a pointer", "A" * 40, ptr[:10]):
        with pytest.raises(ClientError) as refused:
            logs.get_log_record(logRecordPointer=bad)
        assert _code(refused) == "InvalidParameterException"
        assert "logRecordPointer" in _message(refused)
    with pytest.raises(ClientError) as missing:
        logs.get_log_record(logRecordPointer="")
    assert _code(missing) == "InvalidParameterException"
    logs.create_log_group(logGroupName="parity/gone")
    _put(logs, "parity/gone", "s", [(app["now"], "bye")])
    gone = _results(logs, _start(logs, app, "fields @message", group="parity/gone"))
    pointer = _fields(gone["results"][0])["@ptr"]
    assert logs.get_log_record(logRecordPointer=pointer)["logRecord"]["@message"] == "bye"
    logs.delete_log_group(logGroupName="parity/gone")
    with pytest.raises(ClientError) as deleted:
        logs.get_log_record(logRecordPointer=pointer)
    assert _code(deleted) == "ResourceNotFoundException"


def test_describe_queries_and_stop_query(server: Server, app: dict[str, Any]) -> None:
    logs = server.logs()
    first = _start(logs, app, "fields @message | limit 2")
    other = _start(logs, app, "fields @message", group="parity/other")
    _results(logs, first)
    _results(logs, other)
    listed = logs.describe_queries()["queries"]
    by_id = {q["queryId"]: q for q in listed}
    assert by_id[first]["queryString"] == "fields @message | limit 2"
    assert by_id[first]["status"] == "Complete" and by_id[first]["logGroupName"] == "parity/app"
    assert abs(by_id[first]["createTime"] - time.time() * 1000) < 120_000
    order = [q["queryId"] for q in listed]
    assert order.index(other) < order.index(first)  # the newest first
    mine = [q["queryId"] for q in logs.describe_queries(logGroupName="parity/other")["queries"]]
    assert other in mine and first not in mine
    complete = logs.describe_queries(status="Complete")["queries"]
    assert first in [q["queryId"] for q in complete]
    assert all(q["status"] == "Complete" for q in complete)
    cancelled = logs.describe_queries(status="Cancelled")["queries"]
    assert all(q["status"] == "Cancelled" for q in cancelled)
    assert first not in [q["queryId"] for q in cancelled]
    assert logs.describe_queries(queryLanguage="SQL")["queries"] == []  # only Insights QL here
    assert first in [q["queryId"] for q in logs.describe_queries(queryLanguage="CWLI")["queries"]]
    page = logs.describe_queries(maxResults=1)
    rest = logs.describe_queries(maxResults=1, nextToken=page["nextToken"])
    assert (
        len(page["queries"]) == 1 and rest["queries"][0]["queryId"] != page["queries"][0]["queryId"]
    )
    for params, code in (({"status": "Done"}, "InvalidParameterException"),
                         ({"logGroupName": "parity/none"}, "ResourceNotFoundException"),
                         ({"nextToken": "!!"}, "InvalidParameterException")):  # fmt: skip
        with pytest.raises(ClientError) as refused:
            logs.describe_queries(**params)
        assert _code(refused) == code
    with pytest.raises(ClientError) as ended:  # as AWS: a query that has ended is not stopped
        logs.stop_query(queryId=first)
    assert _code(ended) == "InvalidParameterException" and "not running" in _message(ended)
    with pytest.raises(ClientError) as unknown:
        logs.stop_query(queryId="00000000-0000-0000-0000-000000000000")
    assert _code(unknown) == "ResourceNotFoundException"


def _wait_task(logs: Any, task_id: str) -> dict[str, Any]:
    for _ in range(300):
        task: dict[str, Any] = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
        if task["status"]["code"] not in ("PENDING", "RUNNING"):
            return task
        time.sleep(0.1)
    raise AssertionError(f"export task {task_id} did not end")


def _lines(blob: bytes) -> list[str]:
    return gzip.decompress(blob).decode().splitlines()


def test_export_task_to_s3_as_aws_lays_it_out(
    server: Server, app: dict[str, Any], moto_server: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    s3.create_bucket(Bucket="parity-exports")
    logs = server.logs()
    now = app["now"]
    logs.create_log_group(logGroupName="parity/export")
    # events a minute ahead (AWS takes up to 2 h ahead): `to` can name them after the group's
    # creation, as AWS requires
    ahead = [(now + 60_000 + i * 1000, f"event {i} of the export") for i in range(10)]
    _put(logs, "parity/export", "web-1", ahead[:5])
    _put(logs, "parity/export", "web-2", ahead[5:])
    _put(logs, "parity/export", "db-1", ahead)
    started = logs.create_export_task(
        taskName="web only", logGroupName="parity/export", fromTime=ahead[2][0],
        to=ahead[7][0], destination="parity-exports", destinationPrefix="exports/app",
        logStreamNamePrefix="web-",
    )  # fmt: skip
    task = _wait_task(logs, started["taskId"])
    assert task["status"] == {"code": "COMPLETED", "message": "Completed successfully"}
    assert task["taskName"] == "web only" and task["destinationPrefix"] == "exports/app"
    assert (task["from"], task["to"]) == (ahead[2][0], ahead[7][0])
    info = task["executionInfo"]
    assert now - 600_000 < info["creationTime"] <= info["completionTime"]
    listed = s3.list_objects_v2(Bucket="parity-exports", Prefix="exports/app/")["Contents"]
    keys = sorted(o["Key"] for o in listed)
    tid = started["taskId"]
    assert keys == sorted(["exports/app/aws-logs-write-test", f"exports/app/{tid}/web-1/000000.gz",
                           f"exports/app/{tid}/web-2/000000.gz"])  # fmt: skip
    web1 = _lines(s3.get_object(Bucket="parity-exports",
                                Key=f"exports/app/{tid}/web-1/000000.gz")["Body"].read())  # fmt: skip
    web2 = _lines(s3.get_object(Bucket="parity-exports",
                                Key=f"exports/app/{tid}/web-2/000000.gz")["Body"].read())  # fmt: skip
    assert [line.partition(" ")[2] for line in web1 + web2] == [m for _, m in ahead[2:8]]
    stamp = web1[0].partition(" ")[0]  # `from` and `to` both included
    assert stamp == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ahead[2][0] / 1000)) + (
        f".{ahead[2][0] % 1000:03d}Z"
    )
    # a bucket-wide default prefix when none is given
    default = logs.create_export_task(logGroupName="parity/other", fromTime=0, to=now + HOUR,
                                      destination="parity-exports")  # fmt: skip
    assert _wait_task(logs, default["taskId"])["status"]["code"] == "COMPLETED"
    assert s3.list_objects_v2(Bucket="parity-exports",
                              Prefix=f"exportedlogs/{default['taskId']}/s/")["KeyCount"] == 1  # fmt: skip


def test_export_task_to_a_folder_and_refusals(
    server: Server, app: dict[str, Any], tmp_path: Path
) -> None:
    logs = server.logs()
    now = app["now"]
    logs.create_log_group(logGroupName="parity/paths")
    _put(logs, "parity/paths", "2026/12/07/[$LATEST]abc", [(now, "lambda line")])
    _put(logs, "parity/paths", "../../escape", [(now, "climbing line")])
    folder = tmp_path / "out"
    started = logs.create_export_task(logGroupName="parity/paths", fromTime=now - HOUR,
                                      to=now + HOUR, destination=f"file://{folder}",
                                      destinationPrefix="p")  # fmt: skip
    assert _wait_task(logs, started["taskId"])["status"]["code"] == "COMPLETED"
    tid = started["taskId"]
    lambda_file = folder / "p" / tid / "2026/12/07/[$LATEST]abc" / "000000.gz"
    assert _lines(lambda_file.read_bytes())[0].endswith(" lambda line")
    kept_inside = folder / "p" / tid / "%2E%2E" / "%2E%2E" / "escape" / "000000.gz"
    assert _lines(kept_inside.read_bytes())[0].endswith(" climbing line")
    assert (folder / "p" / "aws-logs-write-test").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    refusals = [
        ({"logGroupName": "parity/none"}, "ResourceNotFoundException"),
        ({"fromTime": now, "to": now - 1}, "InvalidParameterException"),
        ({"destination": "No_Such Bucket"}, "InvalidParameterException"),
        ({"destination": "s3://parity-exports"}, "InvalidParameterException"),
        ({"destination": "parity-missing-bucket"}, "InvalidParameterException"),
        ({"to": 1000}, "InvalidParameterException"),  # before the group was made
    ]
    for change, code in refusals:
        params = {"logGroupName": "parity/paths", "fromTime": 0, "to": now + HOUR,
                  "destination": f"file://{folder}", **change}  # fmt: skip
        with pytest.raises(ClientError) as refused:
            logs.create_export_task(**params)
        assert _code(refused) == code, (change, _message(refused))
    with pytest.raises(ClientError) as viewer:
        server.logs(server.viewer).create_export_task(logGroupName="parity/paths", fromTime=0,
                                                      to=now, destination=f"file://{folder}")  # fmt: skip
    assert _code(viewer) == "AccessDeniedException"
    with pytest.raises(ClientError) as done:
        logs.cancel_export_task(taskId=tid)
    assert _code(done) == "InvalidOperationException"
    for bad, code in (({"taskId": "nope"}, "ResourceNotFoundException"),):
        with pytest.raises(ClientError) as unknown:
            logs.cancel_export_task(**bad)
        assert _code(unknown) == code
    with pytest.raises(ClientError) as status:
        logs.describe_export_tasks(statusCode="DONE")
    assert _code(status) == "InvalidParameterException"


def test_one_active_export_task_per_account_and_cancel(
    server: Server, app: dict[str, Any], tmp_path: Path
) -> None:
    """A task still PENDING (recorded through the service layer on the server's home, never
    started) holds the account's one slot until it is cancelled."""
    logs = server.logs()
    later = app["now"] + HOUR
    logs.describe_export_tasks()  # the server has settled what an earlier one left
    settings = Settings.load(server.home)
    waiting = logs_api.create_task(settings, group="parity/app", from_ms=0, to_ms=later,
                                   destination=str(tmp_path / "held"),
                                   account="000000000000")  # fmt: skip
    with pytest.raises(ClientError) as busy:
        logs.create_export_task(logGroupName="parity/app", fromTime=0, to=later,
                                destination=f"file://{tmp_path}/second")  # fmt: skip
    assert _code(busy) == "LimitExceededException" and waiting.task_id in _message(busy)
    pending = logs.describe_export_tasks(statusCode="PENDING")["exportTasks"]
    assert [t["taskId"] for t in pending] == [waiting.task_id]
    logs.cancel_export_task(taskId=waiting.task_id)
    cancelled = logs.describe_export_tasks(taskId=waiting.task_id)["exportTasks"][0]
    assert cancelled["status"] == {"code": "CANCELLED", "message": "Cancelled by user"}
    after = logs.create_export_task(logGroupName="parity/app", fromTime=0, to=later,
                                    destination=f"file://{tmp_path}/second")  # fmt: skip
    assert _wait_task(logs, after["taskId"])["status"]["code"] == "COMPLETED"
    page = logs.describe_export_tasks(limit=1)
    assert len(page["exportTasks"]) == 1 and "nextToken" in page


def test_tags_on_log_groups(server: Server) -> None:
    logs = server.logs()
    logs.create_log_group(logGroupName="parity/tagged", tags={"team": "sec", "env": "prod"})
    group = logs.describe_log_groups(logGroupNamePrefix="parity/tagged")["logGroups"][0]
    arn = group["logGroupArn"]
    assert arn == "arn:aws:logs:eu-west-1:000000000000:log-group:parity/tagged"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "sec", "env": "prod"}
    logs.tag_resource(resourceArn=arn, tags={"env": "stage", "owner": "Zoë Ω 1 _.:/=+-@"})
    logs.untag_resource(resourceArn=arn, tagKeys=["team", "never-set"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "env": "stage", "owner": "Zoë Ω 1 _.:/=+-@"
    }  # fmt: skip
    logs.tag_log_group(logGroupName="parity/tagged", tags={"legacy": ""})
    logs.untag_log_group(logGroupName="parity/tagged", tags=["env"])
    assert logs.list_tags_log_group(logGroupName="parity/tagged")["tags"] == {
        "owner": "Zoë Ω 1 _.:/=+-@", "legacy": ""
    }  # fmt: skip
    viewer = server.logs(server.viewer)
    assert viewer.list_tags_for_resource(resourceArn=arn)["tags"]["legacy"] == ""
    with pytest.raises(ClientError) as denied:
        viewer.tag_resource(resourceArn=arn, tags={"a": "b"})
    assert _code(denied) == "AccessDeniedException"

    refusals = [
        (lambda: logs.list_tags_for_resource(resourceArn=group["arn"]), "ValidationException"),
        (lambda: logs.tag_resource(resourceArn=arn.replace("tagged", "nope"), tags={"a": "b"}),
         "ResourceNotFoundException"),
        (lambda: logs.list_tags_for_resource(resourceArn=arn.replace("000000000000",
                                                                     "111122223333")),
         "ResourceNotFoundException"),
        (lambda: logs.list_tags_for_resource(resourceArn="arn:aws:s3:::bucket"),
         "ValidationException"),
        (lambda: logs.tag_resource(resourceArn=arn, tags={"bad*key": "v"}),
         "InvalidParameterException"),
        (lambda: logs.tag_resource(resourceArn=arn, tags={"aws:owner": "v"}),
         "InvalidParameterException"),
        (lambda: logs.tag_resource(resourceArn=arn, tags={"k" * 129: "v"}),
         "InvalidParameterException"),
        (lambda: logs.tag_resource(resourceArn=arn, tags={"k": "v" * 257}),
         "InvalidParameterException"),
        (lambda: logs.tag_resource(resourceArn=arn, tags={"k": "semi;colon"}),
         "InvalidParameterException"),
        (lambda: logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(49)}),
         "TooManyTagsException"),  # 2 + 49 = 51
        (lambda: logs.tag_log_group(logGroupName="parity/tagged",
                                    tags={f"k{i}": "v" for i in range(49)}),
         "InvalidParameterException"),
        (lambda: logs.list_tags_log_group(logGroupName="parity/nope"),
         "ResourceNotFoundException"),
        (lambda: logs.create_log_group(logGroupName="parity/bad-tags", tags={"a,b": "c"}),
         "InvalidParameterException"),
    ]  # fmt: skip
    for call, code in refusals:
        with pytest.raises(ClientError) as refused:
            call()
        assert _code(refused) == code, _message(refused)
    assert "without a trailing :*" in _message_of(lambda: logs.list_tags_for_resource(
        resourceArn=group["arn"]))  # fmt: skip
    logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(48)})  # 50 is allowed
    assert len(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    assert not logs.describe_log_groups(logGroupNamePrefix="parity/bad-tags")["logGroups"]
    logs.delete_log_group(logGroupName="parity/tagged")
    logs.create_log_group(logGroupName="parity/tagged")
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}  # a new group, no tags


def _message_of(call: Any) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Message"])
    raise AssertionError("the call was not refused")


def _aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip
    return subprocess.run([str(AWS), "--endpoint-url", server.url, "--output", "json", *args],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_aws_cli(server: Server, app: dict[str, Any], tmp_path: Path) -> None:
    arn = "arn:aws:logs:eu-west-1:000000000000:log-group:parity/other"
    assert _aws(server, "logs", "tag-resource", "--resource-arn", arn,
                "--tags", "team=blue").returncode == 0  # fmt: skip
    tags = _json(_aws(server, "logs", "list-tags-for-resource", "--resource-arn", arn))
    assert tags["tags"] == {"team": "blue"}
    wrong = _aws(server, "logs", "list-tags-for-resource", "--resource-arn", arn + ":*")
    assert wrong.returncode != 0 and "ValidationException" in wrong.stderr
    query_id = _start(server.logs(), app, "filter level = 'ERROR' | fields @message | limit 1")
    _results(server.logs(), query_id)
    out = _json(_aws(server, "logs", "get-query-results", "--query-id", query_id))
    assert out["statistics"]["recordsMatched"] == 10.0
    ptr = _fields(out["results"][0])["@ptr"]
    record = _json(_aws(server, "logs", "get-log-record", "--log-record-pointer", ptr))["logRecord"]
    assert record["level"] == "ERROR" and record["@log"] == "000000000000:parity/app"
    described = _json(_aws(server, "logs", "describe-queries", "--log-group-name",
                           "parity/app", "--status", "Complete"))  # fmt: skip
    assert query_id in [q["queryId"] for q in described["queries"]]
    made = _aws(
        server,
        "logs",
        "create-export-task",
        "--log-group-name",
        "parity/other",
        "--from",
        "0",
        "--to",
        str(app["now"] + HOUR),
        "--destination",
        f"{tmp_path}/cli",
    )  # fmt: skip (the CLI reads file:// values as files to load)
    assert made.returncode == 0, made.stderr
    task_id = json.loads(made.stdout)["taskId"]
    assert _wait_task(server.logs(), task_id)["status"]["code"] == "COMPLETED"
    listed = _json(_aws(server, "logs", "describe-export-tasks", "--task-id", task_id))
    assert listed["exportTasks"][0]["destination"] == f"{tmp_path}/cli"
    assert (tmp_path / "cli" / "exportedlogs" / task_id / "s" / "000000.gz").is_file()


def test_the_vigil_command(server: Server, app: dict[str, Any]) -> None:
    """The CLI on the served home: insights --json with pointers and statistics, record,
    tags."""
    home = server.home
    out = vigil(home, "insights", "filter level = 'ERROR' | fields n | limit 2",
                "--log-group", "parity/app", "--since", "1h", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    doc = _json(out)
    assert doc["statistics"] == {"recordsMatched": 10, "recordsScanned": 30,
                                 "bytesScanned": sum(len(m.encode()) for _, m in app["recent"])}  # fmt: skip
    assert len(doc["results"]) == 2
    record = vigil(home, "logs", "record", doc["results"][0]["@ptr"], "--json")
    assert _json(record)["logRecord"]["level"] == "ERROR"
    forged = vigil(home, "logs", "record", "bm90IGEgcG9pbnRlcg", "--json")
    assert forged.returncode != 0 and "logRecordPointer is not a valid pointer" in forged.stderr
    tagged = vigil(home, "logs", "tag", "parity/app", "team=red", "note=", "--json")
    assert _json(tagged)["tags"] == {"team": "red", "note": ""}
    assert vigil(home, "logs", "untag", "parity/app", "note").returncode == 0
    assert _json(vigil(home, "logs", "tags", "parity/app", "--json")) == {"tags": {"team": "red"}}
    bad = vigil(home, "logs", "tag", "parity/app", "no-equals-sign")
    assert bad.returncode != 0 and "KEY=VALUE" in bad.stderr
    made = vigil(home, "logs", "create-group", "parity/cli", "--tag", "a=1", "--tag", "b=")
    assert made.returncode == 0, made.stderr
    assert _json(vigil(home, "logs", "tags", "parity/cli", "--json"))["tags"] == {"a": "1", "b": ""}
    reserved = vigil(home, "logs", "create-group", "parity/cli2", "--tag", "aws:x=1")
    assert reserved.returncode != 0 and "reserved" in reserved.stderr


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("GetLogRecord", {"logRecordPointer": 12}),
        ("GetLogRecord", {"logRecordPointer": "ünïcode-ptr"}),
        ("GetQueryResults", {"queryId": ["a"]}),
        ("StopQuery", {"queryId": {"a": 1}}),
        ("DescribeQueries", {"logGroupName": ["a"]}),
        ("DescribeQueries", {"maxResults": "many"}),
        ("StartQuery", {"logGroupName": "parity/app", "startTime": "soon", "endTime": 1,
                        "queryString": "fields @message"}),
        ("StartQuery", {"logGroupNames": "parity/app", "startTime": 0, "endTime": 1,
                        "queryString": "fields @message"}),
        ("StartQuery", {"logGroupName": "parity/app", "startTime": 0, "endTime": 1,
                        "queryString": ["fields"]}),
        ("StartQuery", {"logGroupIdentifiers": [3], "startTime": 0, "endTime": 1,
                        "queryString": "fields @message"}),
        ("StartQuery", {"logGroupName": "parity/app", "startTime": 0, "endTime": 1,
                        "queryString": "fields @message", "limit": 10_001}),
        ("CreateExportTask", {"logGroupName": "parity/app", "from": 0, "to": "later",
                              "destination": "b"}),
        ("CreateExportTask", {"logGroupName": "parity/app", "from": 0, "to": 1,
                              "destination": {"bucket": "b"}}),
        ("DescribeExportTasks", {"taskId": 7}),
        ("CancelExportTask", {"taskId": None}),
        ("TagResource", {"resourceArn": 5, "tags": {"a": "b"}}),
        ("TagResource", {"resourceArn": "arn:aws:logs:eu-west-1:000000000000:log-group:x",
                         "tags": ["a"]}),
        ("TagLogGroup", {"logGroupName": "parity/app", "tags": {"a": 1}}),
        ("UntagResource", {"resourceArn": "arn:aws:logs:eu-west-1:000000000000:log-group:x",
                           "tagKeys": "a"}),
        ("CreateLogGroup", {"logGroupName": "parity/typed", "tags": "a=b"}),
    ],
)  # fmt: skip
def test_wrong_types_are_refused_never_a_server_error(
    server: Server, app: dict[str, Any], operation: str, body: dict[str, Any]
) -> None:
    """What an SDK would not send (boto3 checks types first), sent as raw JSON 1.1."""
    reply = httpx.post(server.url + "/", content=json.dumps(body).encode(), timeout=30,
                       headers={"X-Amz-Target": f"Logs_20140328.{operation}",
                                "Content-Type": "application/x-amz-json-1.1",
                                "Authorization": f"Bearer {server.admin_token}"})  # fmt: skip
    assert reply.status_code == 400, reply.text
    assert reply.json()["__type"] in ("InvalidParameterException", "ValidationException")
    assert reply.json()["message"]


def test_stop_query_cancels_a_running_query(server: Server, app: dict[str, Any]) -> None:
    """50,000 events parsed by a regular expression take a while: StopQuery right after
    StartQuery finds the query scheduled or running (a few tries if the machine is fast)."""
    logs = server.logs()
    now = app["now"]
    logs.create_log_group(logGroupName="parity/big")
    logs.create_log_stream(logGroupName="parity/big", logStreamName="s")
    for call in range(10):
        logs.put_log_events(logGroupName="parity/big", logStreamName="s", logEvents=[
            {"timestamp": now - 600_000 + call * 5000 + i,
             "message": f"user-{i % 997} did thing {call}-{i} " + "x" * 60}
            for i in range(5000)])  # fmt: skip
    query = (
        r"parse @message /(?<u>user-\d+) did thing (?<c>\d+)-(?<i>\d+)/ | stats count(*) by u, c"
    )
    for _ in range(5):
        query_id = _start(logs, app, query, group="parity/big")
        try:
            stopped = logs.stop_query(queryId=query_id)
        except ClientError as exc:  # it ended first: try again
            assert exc.response["Error"]["Code"] == "InvalidParameterException"
            continue
        assert stopped["success"] is True
        assert _results(logs, query_id)["status"] == "Cancelled"
        cancelled = logs.describe_queries(status="Cancelled")["queries"]
        assert query_id in [q["queryId"] for q in cancelled]
        return
    raise AssertionError("every query ended before StopQuery reached it")
