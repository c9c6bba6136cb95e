"""What a hostile or careless client sends never reaches a 500 or unbounded memory: values of
the wrong type, NaN, numbers past their range, bodies past AWS's request sizes (declared,
streamed or inflated from gzip), JSON nested 100,000 deep — on every route — each refused in
the caller's protocol, and the server answers the next good request."""

from __future__ import annotations

import base64
import gzip
import json
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import cbor2
import httpx
import pytest
from botocore.exceptions import ClientError

from serving import Server, error_code, serving, signed_post, with_protocol

PROTOCOLS = ("json", "query", "smithy-rpc-v2-cbor")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("hostile") / "home") as running:
        yield running


def _peak_kib(server: Server) -> int:
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


def _raw(server: Server, service: str, folder: Path, protocol: str = "json") -> Any:
    """A real botocore client that sends whatever it is given (its own checks off)."""
    return with_protocol(server, service, protocol, folder, parameter_validation=False,
                         retries={"max_attempts": 1})  # fmt: skip


def _code(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    meta = caught.value.response
    return meta["Error"]["Code"], meta["ResponseMetadata"]["HTTPStatusCode"]


def _alive(server: Server) -> None:
    assert server.logs().describe_log_groups()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert server.proc.poll() is None


CW_JSON: dict[str, str] = {
    "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
    "Content-Type": "application/x-amz-json-1.0",
}
CW_CBOR: dict[str, str] = {"Content-Type": "application/cbor", "Accept": "application/cbor",
                           "smithy-protocol": "rpc-v2-cbor"}  # fmt: skip
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/PutMetricData"


def _put_value(server: Server, protocol: str, value: Any) -> httpx.Response:
    """PutMetricData with one value, as the protocol carries it: JSON text (the token as
    given), a CBOR item, or the query protocol's form text."""
    if protocol == "json":
        head = b'{"Namespace":"Hostile","MetricData":[{"MetricName":"Hits","Value":'
        body = head + str(value).encode() + b"}]}"
        return signed_post(server, "monitoring", body, CW_JSON)
    if protocol == "cbor":
        doc = {"Namespace": "Hostile", "MetricData": [{"MetricName": "Hits", "Value": value}]}
        return signed_post(server, "monitoring", cbor2.dumps(doc), CW_CBOR, CBOR_PATH)
    form = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": "Hostile",
            "MetricData.member.1.MetricName": "Hits", "MetricData.member.1.Value": value}  # fmt: skip
    return signed_post(server, "monitoring", urlencode(form).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip


# Each protocol's way of carrying a bad value: JSON tokens (botocore itself sends NaN and
# Infinity as the strings "NaN" and "Infinity"), CBOR items, the query protocol's text.
BAD_VALUES = [
    *[("json", token) for token in ('"NaN"', '"Infinity"', '"5"', '"abc"', "NaN", "1e400",
                                    "1e120", "true", "[1]", '{"v": 1}', "null5")],
    *[("cbor", item) for item in ("NaN", "5", "abc", float("nan"), float("-inf"), 2.0**400,
                                  True, [1.0])],
    *[("query", text) for text in ("NaN", "Infinity", "abc", "1e400", "0x10", "")],
]  # fmt: skip


@pytest.mark.parametrize(("protocol", "value"), BAD_VALUES)
def test_a_metric_value_that_is_not_a_finite_number_is_invalid(
    server: Server, protocol: str, value: Any
) -> None:
    reply = _put_value(server, protocol, value)
    assert reply.status_code == 400, reply.text[:300]
    expected = {"SerializationException"} if value == "null5" else {"InvalidParameterValue"}
    assert error_code(reply) in expected | {"MissingParameter"} if value == "" else expected
    _alive(server)


@pytest.mark.parametrize("protocol", ["json", "cbor", "query"])
def test_a_good_value_is_taken_in_every_protocol(server: Server, protocol: str) -> None:
    reply = _put_value(server, protocol, "5" if protocol == "query" else 5.5)
    assert reply.status_code == 200, reply.text[:300]


def _describe_alarms(server: Server, protocol: str, doc: dict[str, Any]) -> httpx.Response:
    if protocol == "json":
        headers = {**CW_JSON, "X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"}
        return signed_post(server, "monitoring", json.dumps(doc).encode(), headers)
    path = CBOR_PATH.replace("PutMetricData", "DescribeAlarms")
    return signed_post(server, "monitoring", cbor2.dumps(doc), CW_CBOR, path)


@pytest.mark.parametrize("protocol", ["json", "cbor"])
def test_values_of_the_wrong_type_are_named_with_their_path(server: Server, protocol: str) -> None:
    reply = _describe_alarms(server, protocol, {"MaxRecords": "ten", "AlarmNames": "one"})
    assert reply.status_code == 400 and error_code(reply) == "InvalidParameterValue"
    text = reply.text if protocol == "json" else str(cbor2.loads(reply.content))
    assert "2 validation errors" in text and "MaxRecords" in text and "AlarmNames" in text
    for doc in ({"MaxRecords": 2**40}, {"MaxRecords": 0}, {"MaxRecords": 1.5},
                {"StateValue": "ON_FIRE"}, {"AlarmNames": [7]}, {"MaxRecords": True}):  # fmt: skip
        reply = _describe_alarms(server, protocol, doc)
        assert reply.status_code == 400, (doc, reply.text[:200])
        assert error_code(reply) == "InvalidParameterValue", doc
    assert _describe_alarms(server, protocol, {"MaxRecords": 10}).status_code == 200


def test_logs_and_events_refuse_values_of_the_wrong_type(server: Server, tmp_path: Path) -> None:
    logs = _raw(server, "logs", tmp_path)
    code, _ = _code(lambda: logs.create_log_group(logGroupName=12345))
    assert code == "InvalidParameterException"  # not ResourceNotFound
    code, _ = _code(lambda: logs.describe_log_streams(logGroupName=["a"]))
    assert code == "InvalidParameterException"
    events = _raw(server, "events", tmp_path)
    entry = {"Source": "app.test", "DetailType": "t", "Detail": {"an": "object"}}
    code, _ = _code(lambda: events.put_events(Entries=[entry]))
    assert code == "ValidationException"  # Detail is a JSON string on AWS
    headers = {"X-Amz-Target": "AWSEvents.PutEvents", "Content-Type": "application/x-amz-json-1.1"}
    reply = signed_post(server, "events", b'{"Entries": "nope"}', headers)
    assert reply.status_code == 400 and error_code(reply) == "ValidationException"
    _alive(server)


def _post(server: Server, body: bytes, headers: dict[str, str], path: str = "/",
          **kw: Any) -> httpx.Response:  # fmt: skip
    return httpx.post(server.url + path, content=body, headers=headers, timeout=60, **kw)


DEEP = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECT = b'{"a":' * 60_000 + b"1" + b"}" * 60_000


def test_json_nested_deep_is_refused_on_every_route(server: Server) -> None:
    token = {"Authorization": f"Bearer {server.admin_token}"}
    routes = {
        "logs": ("/", {"X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                       "Content-Type": "application/x-amz-json-1.1"}),
        "events": ("/", {"X-Amz-Target": "AWSEvents.PutEvents",
                         "Content-Type": "application/x-amz-json-1.1"}),
        "cloudwatch": ("/", {"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
                             "Content-Type": "application/x-amz-json-1.0"}),
        "securityhub": ("/findings/import", {"Content-Type": "application/json"}),
        "native": ("/api/v1/query", {**token, "Content-Type": "application/json"}),
        "suppress": ("/api/v1/suppressions", {**token, "Content-Type": "application/json"}),
        "eventbridge": ("/ingest/eventbridge", {**token, "Content-Type": "application/json"}),
        "firehose": ("/ingest/firehose", {**token, "X-Amz-Firehose-Request-Id": "r1",
                                          "Content-Type": "application/json"}),
    }  # fmt: skip
    for name, (path, headers) in routes.items():
        for body in (DEEP, NESTED_OBJECT):
            reply = _post(server, body, headers, path)
            assert reply.status_code == 400, (name, reply.status_code, reply.text[:200])
            assert "levels deep" in reply.text, (name, reply.text[:200])
    # a console form carrying JSON in a field, and the query protocol's form
    form = b"csrf_token=x&pattern=" + b"%5B" * 5000
    reply = _post(server, form, {"Content-Type": "application/x-www-form-urlencoded"},
                  "/rules/new")  # fmt: skip
    assert reply.status_code == 400 and "levels deep" in reply.text
    _alive(server)


def test_brackets_inside_strings_do_not_count(server: Server) -> None:
    logs = server.logs()
    logs.create_log_group(logGroupName="brackets")
    logs.create_log_stream(logGroupName="brackets", logStreamName="s")
    message = "[" * 5000 + '{"not": "nesting"}'
    done = logs.put_log_events(logGroupName="brackets", logStreamName="s",
                               logEvents=[{"timestamp": int(time.time() * 1000), "message": message}])  # fmt: skip
    assert "rejectedLogEventsInfo" not in done


def test_a_body_past_its_cap_is_refused_before_it_is_read(server: Server) -> None:
    before = _peak_kib(server)
    headers = {"X-Amz-Target": "Logs_20140328.PutLogEvents",
               "Content-Type": "application/x-amz-json-1.1"}  # fmt: skip
    declared = _post(server, b"{" + b" " * (60 << 20) + b"}", headers)
    assert declared.status_code == 413
    assert declared.json()["__type"] == "RequestEntityTooLargeException"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams
        yield b'{"logEvents": ['
        for _ in range(60):
            yield b" " * (1 << 20)

    streamed = httpx.post(server.url + "/", content=chunks(), headers=headers, timeout=60)
    assert streamed.status_code == 413
    for path in ("/api/v1/query", "/ingest/eventbridge", "/ingest/firehose"):
        reply = _post(server, b"[" + b" " * (100 << 20) + b"]",
                      {"Content-Type": "application/json",
                       "Authorization": f"Bearer {server.admin_token}",
                       "X-Amz-Firehose-Request-Id": "big"}, path)  # fmt: skip
        assert reply.status_code == 413, (path, reply.text[:200])
    assert _peak_kib(server) - before < 40 * 1024  # never buffered whole (60-100 MB each)
    _alive(server)


def test_gzip_is_inflated_only_up_to_its_cap(server: Server) -> None:
    before = _peak_kib(server)
    bomb = gzip.compress(b"{" + b" " * (200 << 20) + b"}", compresslevel=9)
    assert len(bomb) < 1 << 20
    headers = {"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
               "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip"}  # fmt: skip
    reply = _post(server, bomb, headers)
    assert reply.status_code == 413 and "inflates to more than" in reply.text
    raw_deflate = zlib.compress(b"x" * 100)[2:-4]
    bad = _post(server, raw_deflate, headers)
    assert bad.status_code == 400 and "does not decompress" in bad.text
    odd = _post(server, b"{}", {**headers, "Content-Encoding": "br"})
    assert odd.status_code == 415
    assert _peak_kib(server) - before < 40 * 1024
    _alive(server)


def test_aws_own_measure_of_a_batch_is_checked_exactly(server: Server) -> None:
    logs = server.logs()
    logs.create_log_group(logGroupName="measured")
    logs.create_log_stream(logGroupName="measured", logStreamName="s")
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": "x" * 1000} for i in range(1100)]
    # 1100 x (1000 + 26) bytes: past 1,048,576 by AWS's measure, under the body cap
    code, status = _code(lambda: logs.put_log_events(logGroupName="measured",
                                                     logStreamName="s", logEvents=events))  # fmt: skip
    assert (code, status) == ("InvalidParameterException", 400)
    ok = logs.put_log_events(logGroupName="measured", logStreamName="s", logEvents=events[:1000])
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_refusals_keep_the_protocols_shape(server: Server, tmp_path: Path) -> None:
    cw = _raw(server, "cloudwatch", tmp_path, "query")
    code, _ = _code(lambda: cw.put_metric_data(Namespace="N", MetricData=[
        {"MetricName": "m", "Value": 1.0, "Dimensions": [{"Name": "d"}]}]))  # fmt: skip
    assert code in ("InvalidParameterValue", "MissingParameter")
    big = httpx.post(server.url + "/", data={"Action": "PutMetricData", "Version": "2010-08-01",
                                             "Namespace": "x" * (2 << 20)}, timeout=60)  # fmt: skip
    assert big.status_code == 413 and big.text.startswith("<ErrorResponse")
    assert "<Code>RequestEntityTooLarge</Code>" in big.text
    _alive(server)


def test_a_gzipped_firehose_delivery_is_taken_once_inflated(server: Server) -> None:
    """Firehose's HTTP endpoint delivery with content encoding GZIP."""
    message = {"messageType": "DATA_MESSAGE", "logGroup": "fh-group", "logStream": "s",
               "logEvents": [{"id": "1", "timestamp": int(time.time() * 1000),
                              "message": "hello from firehose"}]}  # fmt: skip
    record = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    body = gzip.compress(json.dumps({"requestId": "gz-1", "timestamp": 1,
                                     "records": [{"data": record}]}).encode())  # fmt: skip
    headers = {"X-Amz-Firehose-Request-Id": "gz-1", "Content-Encoding": "gzip",
               "X-Amz-Firehose-Access-Key": server.admin_token,
               "Content-Type": "application/json"}  # fmt: skip
    reply = _post(server, body, headers, "/ingest/firehose")
    assert reply.status_code == 200, reply.text
    events = server.logs().filter_log_events(logGroupName="fh-group")["events"]
    assert [e["message"] for e in events] == ["hello from firehose"]
