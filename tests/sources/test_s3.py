"""Ingest from a real S3 endpoint: moto in server mode on loopback, boto3 and s3fs as clients."""

from __future__ import annotations

import gzip
from datetime import date

import boto3
import pytest

from helpers import FLOW_HEADER, ct_record, flow_line, trail_file
from vigil.config import Settings
from vigil.errors import SourceError
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.query.engine import run_query

BUCKET = "anycompany-log-archive"


@pytest.fixture
def endpoint(aws: str) -> str:
    return aws


@pytest.fixture
def bucket(endpoint: str) -> str:
    s3 = boto3.client("s3", endpoint_url=endpoint)
    names = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if BUCKET in names:
        for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    else:
        s3.create_bucket(Bucket=BUCKET)
    for day in ("13", "14", "15"):
        key = (f"AWSLogs/111122223333/vpcflowlogs/us-east-1/2023/11/{day}/"
               f"111122223333_vpcflowlogs_us-east-1_fl-1_202311{day}T2220Z_ab{day}.log.gz")  # fmt: skip
        start = 1699833600 + 86400 * (int(day) - 13)
        body = f"{FLOW_HEADER}\n{flow_line(start=start)}\n{flow_line(dport=3389, start=start)}\n"
        s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(body.encode()))
    trail = ("AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/03/01/"
             "111122223333_CloudTrail_us-east-1_20240301T0915Z_x.json.gz")  # fmt: skip
    s3.put_object(Bucket=BUCKET, Key=trail, Body=gzip.compress(trail_file([ct_record()]).encode()))
    return endpoint


def test_ingest_s3_prefix_then_rerun(home: Settings, bucket: str) -> None:
    options = IngestOptions(endpoint_url=bucket)
    first = ingest(home, [f"s3://{BUCKET}/AWSLogs/"], options)
    assert (
        first.records == {"flow_logs": 6, "cloudtrail": 1, "dns_logs": 0, "s3_access_logs": 0}
        and first.clean
    )
    uris = (
        run_query(home.lake_dir, "SELECT DISTINCT source_file FROM flow_logs ORDER BY 1")
        .column(0)
        .to_pylist()
    )
    assert uris[0].startswith(f"s3://{BUCKET}/AWSLogs/111122223333/vpcflowlogs/")
    again = ingest(home, [f"s3://{BUCKET}/AWSLogs/"], options)
    assert again.ingested == 0 and again.already_seen == 4  # by ETag, without reading


def test_key_dates_select_objects_without_reading_them(home: Settings, bucket: str) -> None:
    options = IngestOptions(endpoint_url=bucket, since=date(2023, 11, 14), until=date(2023, 11, 14))
    report = ingest(home, [f"s3://{BUCKET}/AWSLogs/111122223333/"], options)
    assert report.outside_window == 2 and report.records["flow_logs"] == 2


def test_missing_bucket_is_a_clear_error(home: Settings, bucket: str) -> None:
    with pytest.raises(SourceError, match="cannot list s3://no-such-bucket"):
        ingest(home, ["s3://no-such-bucket/AWSLogs/"], IngestOptions(endpoint_url=bucket))


def test_logs_export_to_s3_reads_back(home: Settings, bucket: str) -> None:
    from vigil.api.logs import InputEvent, put_log_events
    from vigil.clock import now_ms
    from vigil.logs.export import export
    from vigil.logs.groups import LogStore

    with LogStore(home) as store:
        store.create_group("app")
        store.create_stream("app", "web/1")
    now = now_ms()
    put_log_events(
        home, "app", "web/1", [InputEvent(now - 1000 * i, f"line {i}") for i in range(5, 0, -1)]
    )
    result = export(home, "app", f"s3://{BUCKET}", prefix="exports", endpoint_url=bucket)
    assert result.events == 5
    s3 = boto3.client("s3", endpoint_url=bucket)
    key = f"exports/{result.task_id}/web/1/000000.gz"  # the stream name as written, as AWS does
    body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).decode()
    lines = body.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [f"line {i}" for i in range(5, 0, -1)]
    assert lines[0][:4].isdigit() and lines[0][23] == "Z"
