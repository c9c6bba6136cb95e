"""A record whose time cannot be read is rejected with the reason, never filed in 1970."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import FLOW_HEADER, ct_record, flow_key, flow_line, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.formats.cloudtrail import parse_cloudtrail
from vigil.formats.flowlogs import parse_flowlogs, parse_flowlogs_parquet
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.query.engine import run_query


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("yesterday", "eventTime 'yesterday' is not an ISO 8601 time"),
        ("1970-01-01T00:00:00Z", "outside 2006-9999"),
        ("", "is not an ISO 8601 time"),
    ],
)
def test_cloudtrail_record_without_a_usable_time_is_rejected(bad: str, reason: str) -> None:
    records = [
        ct_record(eventID="a"),
        ct_record(eventID="b", eventTime=bad),
        ct_record(eventID="c"),
    ]
    result = parse_cloudtrail(trail_file(records).encode(), "t.json")
    assert result.table.column("eventid").to_pylist() == ["a", "c"]
    assert len(result.rejects) == 1
    assert result.rejects[0].reason.startswith("record 1: ") and reason in result.rejects[0].reason
    assert '"eventID":"b"' in result.rejects[0].raw


def test_cloudtrail_record_without_time_in_cloudwatch_lines_names_the_line() -> None:
    lines = [json.dumps(ct_record(eventID="a")), json.dumps(ct_record(eventID="b", eventTime=None))]
    result = parse_cloudtrail("\n".join(lines).encode(), "cw")
    assert result.table.column("eventid").to_pylist() == ["a"]
    assert [(r.line, r.reason) for r in result.rejects] == [(2, "no eventTime")]


@pytest.mark.parametrize("start", ["-", "100", "99999999999999"])
def test_flow_record_without_a_usable_start_is_rejected_with_its_line(start: str) -> None:
    bad = flow_line().replace(" 1700000100 ", f" {start} ")
    body = "\n".join([FLOW_HEADER, flow_line(), bad, flow_line(dport=80)]).encode()
    result = parse_flowlogs(body, None, "f.log")
    assert result.table.column("dstport").to_pylist() == [22, 80]
    assert [r.line for r in result.rejects] == [3]
    assert "field 11 (start)" in result.rejects[0].reason
    assert "is not a time" in result.rejects[0].reason


def test_flow_parquet_row_without_a_start_is_rejected() -> None:
    table = pa.table({"version": [2, 2], "start": [1700000100, 0], "end": [1700000160, 60]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    result = parse_flowlogs_parquet(sink.getvalue(), "f.parquet")
    assert result.table.column("start").to_pylist() == [1700000100]
    assert [r.reason for r in result.rejects] == ["row 2: start 0 is not a time"]


def test_ingest_quarantines_the_record_and_keeps_the_rest(home: Settings, tmp_path: Path) -> None:
    bad_flow = flow_line().replace(" 1700000100 ", " - ")
    write_gz(flow_key(tmp_path), "\n".join([FLOW_HEADER, flow_line(), bad_flow]) + "\n")
    records = [ct_record(eventID="ok"), ct_record(eventID="old", eventTime="1970-01-01T00:00:00Z")]
    write_gz(trail_key(tmp_path), trail_file(records))
    report = ingest(home, [str(tmp_path)], IngestOptions())
    assert report.records == {"flow_logs": 1, "cloudtrail": 1, "dns_logs": 0, "s3_access_logs": 0}
    assert report.rejected == 2
    days = run_query(home.lake_dir, "SELECT DISTINCT date FROM cloudtrail").to_pylist()
    assert [str(d["date"]) for d in days] == ["2024-03-01"]  # nothing filed in 1970
    reasons = [
        json.loads(line)["reason"]
        for f in home.quarantine_dir.glob("*/rejected.jsonl")
        for line in f.read_text().splitlines()
    ]
    assert any("outside 2006-9999" in r for r in reasons)
    assert any("(start): '-' is not a time" in r for r in reasons)
