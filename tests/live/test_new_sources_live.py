"""The new sources through every lane of a real `vigil serve`: Route 53 Resolver query logs
pushed into a log group declared `--type dns` and delivered by Firehose, S3 server access logs
pushed into a group declared `--type s3access`, and from moto's S3 (polled): query logs under
`vpcdnsquerylogs/`, access logs under the partitioned prefix and GuardDuty's findings export
(`.jsonl.gz`, written with SSE-KMS as GuardDuty's export is). Each record in the lake once, each
finding in the hub once however often it is delivered."""

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

from helpers import vigil, wait_for
from serving import Server, serving

NOW = time.gmtime()
DAY, STAMP = time.strftime("%Y/%m/%d", NOW), time.strftime("%Y-%m-%dT%H:%M:%SZ", NOW)
S3_TIME = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", NOW)


@pytest.fixture
def live(tmp_path: Path, aws: str) -> Iterator[Server]:
    with serving(tmp_path / "home") as running:
        yield running


def _sql(server: Server, sql: str) -> list[dict[str, Any]]:
    reply = httpx.post(server.url + "/api/v1/query", json={"sql": sql},
                       headers={"Authorization": f"Bearer {server.admin_token}"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    return list(reply.json()["rows"])


def _count(server: Server, table: str) -> int:
    return int(_sql(server, f"SELECT count(*) AS n FROM {table}")[0]["n"])


def dns_record(name: str, port: int) -> dict[str, Any]:
    return {"version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
            "vpc_id": "vpc-0a1b2c3d", "query_timestamp": STAMP, "query_name": name,
            "query_type": "A", "query_class": "IN", "rcode": "NOERROR",
            "answers": [{"Rdata": "203.0.113.9", "Type": "A", "Class": "IN"}],
            "srcaddr": "10.0.1.5", "srcport": str(port), "transport": "UDP",
            "srcids": {"instance": "i-0a1b2c3d4e5f60001"}}  # fmt: skip


def access_line(request_id: str, key: str = "reports/q3.csv") -> str:
    return (f"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be finance-reports "
            f"{S3_TIME} 198.51.100.20 arn:aws:iam::111122223333:user/analyst {request_id} "
            f'REST.GET.OBJECT {key} "GET /finance-reports/{key} HTTP/1.1" 200 - 5120 5120 14 12 '
            '"-" "aws-cli/2.15.30" - aGVsbG8= SigV4 TLS_AES_128_GCM_SHA256 AuthHeader '
            "finance-reports.s3.us-east-1.amazonaws.com TLSv1.3 - -")  # fmt: skip


def guardduty(ident: str, updated: str, count: int) -> dict[str, Any]:
    return {"schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1",
            "partition": "aws", "id": ident,
            "arn": f"arn:aws:guardduty:us-east-1:111122223333:detector/12ab/finding/{ident}",
            "type": "Trojan:EC2/DNSDataExfiltration", "severity": 8,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": updated,
            "title": "Data exfiltration through DNS queries from i-0a1b2c3d4e5f60001",
            "resource": {"resourceType": "Instance",
                         "instanceDetails": {"instanceId": "i-0a1b2c3d4e5f60001"}},
            "service": {"serviceName": "guardduty", "detectorId": "12ab", "archived": False,
                        "count": count, "eventFirstSeen": "2026-01-01T00:00:00.000Z",
                        "eventLastSeen": updated,
                        "action": {"actionType": "DNS_REQUEST", "dnsRequestAction": {
                            "domain": "x7f3a9.exfil.example", "protocol": "UDP",
                            "blocked": False}}}}  # fmt: skip


def test_pushed_groups_and_firehose_take_dns_and_access_logs(live: Server) -> None:
    for name, kind in (("resolver", "dns"), ("access", "s3access")):
        done = vigil(live.home, "sources", "add", name, "--log-group", f"/vigil/{name}",
                     "--type", kind)  # fmt: skip
        assert done.returncode == 0, done.stderr
    logs = live.logs()
    for group in ("/vigil/resolver", "/vigil/access"):
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    ms = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/vigil/resolver", logStreamName="s", logEvents=[
        {"timestamp": ms, "message": json.dumps(dns_record(f"host{i}.example.com.", 40000 + i))}
        for i in range(3)])  # fmt: skip
    logs.put_log_events(logGroupName="/vigil/access", logStreamName="s", logEvents=[
        {"timestamp": ms, "message": access_line(f"REQ{i:012d}")} for i in range(2)])  # fmt: skip
    assert wait_for(lambda: _count(live, "dns_logs") == 3, 30), (
        (live.home / "serve.log").read_text()[-3000:])  # fmt: skip
    assert wait_for(lambda: _count(live, "s3_access_logs") == 2, 30)
    rows = _sql(live, "SELECT registered_domain, srcids.instance AS instance FROM dns_logs")
    assert {(r["registered_domain"], r["instance"]) for r in rows} == {
        ("example.com", "i-0a1b2c3d4e5f60001")}  # fmt: skip

    # Firehose: a query logging configuration's stream (one record each) and a rule's events
    records = [dns_record("fh.example.net.", 41000 + i) for i in range(2)]
    event = {"version": "0", "id": "e-1", "detail-type": "GuardDuty Finding",
             "source": "aws.guardduty", "account": "111122223333", "region": "us-east-1",
             "time": STAMP, "resources": [],
             "detail": guardduty("fh0001", "2026-01-01T01:00:00.000Z", 3)}  # fmt: skip
    data = [base64.b64encode(json.dumps(d).encode()).decode() for d in (*records, event)]
    body = {"requestId": "dns-1", "timestamp": ms, "records": [{"data": d} for d in data]}
    headers = {"X-Amz-Firehose-Request-Id": "dns-1",
               "X-Amz-Firehose-Access-Key": live.admin_token}  # fmt: skip
    for _ in range(2):  # a retry is acknowledged and not taken again
        assert httpx.post(live.url + "/ingest/firehose", json=body,
                          headers=headers).status_code == 200  # fmt: skip
    assert wait_for(lambda: _count(live, "dns_logs") == 5, 30)
    time.sleep(1.5)
    assert _count(live, "dns_logs") == 5
    listed = json.loads(vigil(live.home, "findings", "list", "--json").stdout)
    rows = listed["findings"] if isinstance(listed, dict) else listed
    assert [f["type"] for f in rows] == ["Trojan:EC2/DNSDataExfiltration"]


def test_an_s3_prefix_of_query_logs_access_logs_and_the_guardduty_export(
    live: Server, aws: str
) -> None:
    s3, kms = boto3.client("s3", endpoint_url=aws), boto3.client("kms", endpoint_url=aws)
    bucket = f"logs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key_id = kms.create_key(Description="GuardDuty findings export")["KeyMetadata"]["KeyId"]
    stamp = time.strftime("%Y%m%dT%H%MZ", NOW)
    dns_key = (f"AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d/{DAY}/"
               f"vpc-0a1b2c3d_vpcdnsquerylogs_111122223333_{stamp}_0a1b2c3d.log.gz")  # fmt: skip
    lines = [json.dumps(dns_record(f"s3-{i}.example.org.", 42000 + i)) for i in range(4)]
    s3.put_object(Bucket=bucket, Key=dns_key, Body=gzip.compress("\n".join(lines).encode()))
    access_key = (f"s3-access/111122223333/us-east-1/finance-reports/{DAY}/"
                  f"{time.strftime('%Y-%m-%d', NOW)}-00-00-00-0A1B2C3D4E5F6A7B")  # fmt: skip
    s3.put_object(
        Bucket=bucket,
        Key=access_key,
        Body="\n".join(access_line(f"S3REQ{i:010d}") for i in range(3)) + "\n",
    )
    export = f"AWSLogs/111122223333/GuardDuty/us-east-1/{DAY}/{uuid.uuid4()}.jsonl.gz"
    findings = [
        guardduty("s3f0001", "2026-01-01T02:00:00.000Z", 5),
        guardduty("s3f0002", "2026-01-01T02:00:00.000Z", 1),
    ]
    s3.put_object(
        Bucket=bucket,
        Key=export,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_id,
        Body=gzip.compress("\n".join(json.dumps(f) for f in findings).encode()),
    )
    later = f"AWSLogs/111122223333/GuardDuty/us-east-1/{DAY}/{uuid.uuid4()}.jsonl.gz"
    s3.put_object(
        Bucket=bucket,
        Key=later,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_id,
        Body=gzip.compress(
            json.dumps(guardduty("s3f0001", "2026-01-01T03:00:00.000Z", 9)).encode()
        ),
    )
    assert vigil(live.home, "sources", "add", "bucket", "--s3", f"s3://{bucket}/",
                 "--endpoint-url", aws, "--interval", "0.5").returncode == 0  # fmt: skip
    assert wait_for(lambda: _count(live, "dns_logs") == 4, 60), (
        (live.home / "serve.log").read_text()[-3000:])  # fmt: skip
    assert wait_for(lambda: _count(live, "s3_access_logs") == 3, 30)
    rows = _sql(live, "SELECT DISTINCT aws_account, aws_region, bucket_name FROM s3_access_logs")
    assert rows == [{"aws_account": "111122223333", "aws_region": "us-east-1",
                     "bucket_name": "finance-reports"}]  # fmt: skip

    def hub() -> dict[str, int]:
        listed = json.loads(vigil(live.home, "findings", "list", "--json").stdout)
        found = listed["findings"] if isinstance(listed, dict) else listed
        return {f["id"]: int(f["count"]) for f in found}

    assert wait_for(lambda: len(hub()) == 2, 30)
    assert sorted(hub().values()) == [1, 9]  # the later export's running total, not a sum
