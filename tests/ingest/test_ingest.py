"""End to end: files on disk → lake, including every kind of bad input."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

from helpers import FLOW_HEADER, ct_record, flow_key, flow_line, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.formats.flowlog_fields import DEFAULT_FORMAT
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.query.engine import run_query


def count(home: Settings, table: str) -> int:
    return int(
        run_query(home.lake_dir, f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py()
    )


def test_flow_and_trail_files_land_in_partitions(home: Settings, tmp_path: Path) -> None:
    src = tmp_path / "bucket"
    write_gz(flow_key(src), "\n".join([FLOW_HEADER, flow_line(), flow_line(dport=3389)]) + "\n")
    write_gz(trail_key(src, org="o-abc123"), trail_file([ct_record(), ct_record(eventID="e2")]))
    report = ingest(home, [str(src)], IngestOptions())
    assert report.records == {"flow_logs": 2, "cloudtrail": 2, "dns_logs": 0, "s3_access_logs": 0}
    assert report.clean
    rows = run_query(home.lake_dir, "SELECT aws_account, aws_region, date, flow_log_id, source_file "
                                    "FROM flow_logs").to_pylist()  # fmt: skip
    assert rows[0]["aws_account"] == "111122223333" and rows[0]["aws_region"] == "us-east-1"
    assert rows[0]["date"] == date(2023, 11, 14) and rows[0]["flow_log_id"] == "fl-1234abcd"
    assert rows[0]["source_file"].endswith(".log.gz")
    parts = sorted(
        p.relative_to(home.lake_dir).parent.as_posix() for p in home.lake_dir.rglob("*.parquet")
    )
    assert parts == [
        "cloudtrail/aws_account=111122223333/aws_region=us-east-1/date=2024-03-01",
        "flow_logs/aws_account=111122223333/aws_region=us-east-1/date=2023-11-14",
    ]  # fmt: skip


def test_rerun_adds_nothing_and_reads_nothing(home: Settings, tmp_path: Path) -> None:
    src = tmp_path / "bucket"
    write_gz(flow_key(src), "\n".join([FLOW_HEADER, flow_line()]) + "\n")
    write_gz(trail_key(src), trail_file([ct_record()]))
    first = ingest(home, [str(src)], IngestOptions())
    second = ingest(home, [str(src)], IngestOptions())
    assert first.ingested == 2 and second.ingested == 0 and second.already_seen == 2
    assert count(home, "flow_logs") == 1 and count(home, "cloudtrail") == 1


def test_same_content_under_another_name_is_not_ingested_twice(
    home: Settings, tmp_path: Path
) -> None:
    body = "\n".join([FLOW_HEADER, flow_line()]) + "\n"
    write_gz(tmp_path / "a" / "one.log.gz", body)
    write_gz(tmp_path / "b" / "copy.log.gz", body)
    report = ingest(home, [str(tmp_path / "a"), str(tmp_path / "b")], IngestOptions())
    assert report.duplicates == 1 and count(home, "flow_logs") == 1


def test_digests_are_recorded_not_ingested(home: Settings, tmp_path: Path) -> None:
    digest = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2024-03-01T00:00:00Z",
        "logFiles": [],
    }
    key = tmp_path / "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/d.json.gz"
    write_gz(key, json.dumps(digest))
    report = ingest(home, [str(tmp_path)], IngestOptions())
    assert report.digests == 1 and count(home, "cloudtrail") == 0


def test_since_until_select_objects_by_key_date(home: Settings, tmp_path: Path) -> None:
    for day in ("2023/11/13", "2023/11/14", "2023/11/15"):
        write_gz(flow_key(tmp_path, day=day, tag=day[-2:]), f"{FLOW_HEADER}\n{flow_line()}\n")
    report = ingest(
        home, [str(tmp_path)], IngestOptions(since=date(2023, 11, 14), until=date(2023, 11, 14))
    )
    assert report.outside_window == 2 and report.ingested == 1


def test_cloudwatch_export_needs_the_format(home: Settings, tmp_path: Path) -> None:
    path = write_gz(
        tmp_path / "export/task/eni-1/000000.gz", "2024-03-01T09:14:03.000Z " + flow_line() + "\n"
    )
    report = ingest(home, [str(path)], IngestOptions(log_type="flowlogs", fmt=DEFAULT_FORMAT))
    assert report.records["flow_logs"] == 1 and report.clean


def test_parquet_delivery(home: Settings, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"version": pa.array([2], pa.int32()), "account_id": ["111122223333"],
                      "interface_id": ["eni-1"], "srcaddr": ["1.2.3.4"], "dstport": pa.array([22], pa.int32()),
                      "start": pa.array([1700000100], pa.int64()), "action": ["REJECT"], "log_status": ["OK"]})  # fmt: skip
    path = flow_key(tmp_path).with_name(
        "111122223333_vpcflowlogs_us-east-1_fl-9_20231114T2200Z_ab.log.parquet"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="gzip")
    report = ingest(home, [str(tmp_path)], IngestOptions())
    assert report.records["flow_logs"] == 1
    row = run_query(home.lake_dir, "SELECT dstport, flow_log_id FROM flow_logs").to_pylist()[0]
    assert row == {"dstport": 22, "flow_log_id": "fl-9"}


# Bad input: each is reported with file and line, quarantined with the reason, counted.


def _quarantine_reason(home: Settings) -> list[str]:
    return sorted(
        json.loads(p.read_text())["reason"] for p in home.quarantine_dir.glob("*/reason.json")
    )


def test_truncated_gzip_keeps_complete_lines(home: Settings, tmp_path: Path) -> None:
    body = "\n".join([FLOW_HEADER, *[flow_line(start=1700000100 + i) for i in range(200)]]) + "\n"
    path = flow_key(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(body.encode())[:-300])
    report = ingest(home, [str(tmp_path)], IngestOptions())
    assert 0 < report.records["flow_logs"] < 200
    assert len(report.quarantined) == 1 and "truncated gzip" in report.quarantined[0]["reason"]
    folder = Path(report.quarantined[0]["folder"])
    assert (folder / "original").read_bytes() == path.read_bytes()


def test_every_bad_input_is_quarantined_and_the_rest_ingested(
    home: Settings, tmp_path: Path
) -> None:
    good = f"{FLOW_HEADER}\n{flow_line()}\n"
    write_gz(tmp_path / "good.log.gz", good)
    write_gz(tmp_path / "fields.log.gz", f"{FLOW_HEADER}\n{flow_line()}\n2 1 eni-1 - -\n")
    write_gz(
        tmp_path / "utf8.log.gz",
        f"{FLOW_HEADER}\n".encode() + b"2 1 eni-\xff 1.1.1.1 2.2.2.2 1 2 6 1 1 5 6 ACCEPT OK\n",
    )
    write_gz(
        tmp_path / "header.log.gz",
        "version interface-id colour action log-status\n2 eni-1 blue ACCEPT OK\n",
    )
    write_gz(tmp_path / "broken.json.gz", '{"Records": [' + json.dumps(ct_record()) + ", {")
    write_gz(tmp_path / "empty.log.gz", "")
    (tmp_path / "zero.log").write_bytes(b"")
    report = ingest(home, [str(tmp_path)], IngestOptions())
    assert report.records == {"flow_logs": 3, "cloudtrail": 1, "dns_logs": 0, "s3_access_logs": 0}
    assert report.rejected == 3
    problems = "\n".join(report.problems)
    assert "fields.log.gz:3: expected 14 fields, found 5" in problems
    assert "utf8.log.gz:2: bytes that are not UTF-8" in problems
    assert "broken.json.gz:1: malformed JSON" in problems
    assert "empty.log.gz: the file is empty" in problems
    assert "zero.log: the file is empty" in problems
    assert any("colour" in n for n in report.notices)  # unknown header name: kept as text, noted
    assert len(report.quarantined) == 5 and len(_quarantine_reason(home)) == 5
    rejected = [
        json.loads(x)
        for f in home.quarantine_dir.glob("*/rejected.jsonl")
        for x in f.read_text().splitlines()
    ]
    assert {r["raw"] for r in rejected} >= {"2 1 eni-1 - -"}  # the bad line itself is kept


def test_wrong_type_is_reported_not_crashed(home: Settings, tmp_path: Path) -> None:
    write_gz(tmp_path / "t.json.gz", trail_file([ct_record()]))
    write_gz(tmp_path / "f.log.gz", f"{FLOW_HEADER}\n{flow_line()}\n")
    as_flow = ingest(home, [str(tmp_path / "t.json.gz")], IngestOptions(log_type="flowlogs"))
    assert as_flow.records["flow_logs"] == 0 and "is it CloudTrail?" in as_flow.problems[0]
    as_trail = ingest(home, [str(tmp_path / "f.log.gz")], IngestOptions(log_type="cloudtrail"))
    assert "is it a flow log?" in as_trail.problems[0]


def test_plain_uncompressed_records_and_a_format(home: Settings, tmp_path: Path) -> None:
    path = tmp_path / "records.txt"
    path.write_text(f"{flow_line()}\n{flow_line(dport=443, action='ACCEPT')}\n")
    report = ingest(
        home,
        [str(path)],
        IngestOptions(log_type="flowlogs", fmt=DEFAULT_FORMAT, region="eu-west-1"),
    )
    assert report.records["flow_logs"] == 2 and report.clean
    rows = run_query(
        home.lake_dir, "SELECT aws_account, aws_region, dstport FROM flow_logs ORDER BY dstport"
    ).to_pylist()
    assert rows == [{"aws_account": "111122223333", "aws_region": "eu-west-1", "dstport": 22},
                    {"aws_account": "111122223333", "aws_region": "eu-west-1", "dstport": 443}]  # fmt: skip


def test_accounts_come_from_the_key_then_the_record_then_the_caller(
    home: Settings, tmp_path: Path
) -> None:
    def without_recipient(**kw: object) -> dict:  # type: ignore[type-arg]
        rec = ct_record(**kw)
        del rec["recipientAccountId"]
        return rec

    # A hand-made copy under AWSLogs/<org>/<account>/ (not AWS's full layout): the key names it.
    keyed = tmp_path / "AWSLogs/o-abc123defg/444455556666/copied/events.json.gz"
    write_gz(keyed, trail_file([without_recipient(eventID="k1")]))
    # No key: the caller's account (userIdentity.accountId) is the best there is.
    write_gz(tmp_path / "loose/caller.json.gz", trail_file([without_recipient(eventID="c1")]))
    # Nothing says: unknown, and counted.
    nobody = without_recipient(eventID="n1")
    del nobody["userIdentity"]["accountId"]
    write_gz(tmp_path / "loose/nobody.json.gz", trail_file([nobody]))
    report = ingest(home, [str(tmp_path)], IngestOptions())
    got = run_query(home.lake_dir, "SELECT eventid, aws_account FROM cloudtrail ORDER BY 1")
    assert got.to_pylist() == [
        {"eventid": "c1", "aws_account": "111122223333"},
        {"eventid": "k1", "aws_account": "444455556666"},
        {"eventid": "n1", "aws_account": "unknown"},
    ]
    assert report.unknown_account == {"cloudtrail": 1}


def test_the_account_option_places_records_that_name_none(home: Settings, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    for n in range(3):
        rec = ct_record(eventID=f"b{n}")
        del rec["recipientAccountId"], rec["userIdentity"]["accountId"]
        write_gz(bare / f"f{n}.json.gz", trail_file([rec]))
    ingest(home, [str(bare)], IngestOptions(account="222233334444"))
    got = run_query(home.lake_dir, "SELECT DISTINCT aws_account FROM cloudtrail")
    assert got.to_pylist() == [{"aws_account": "222233334444"}]


def test_transit_gateway_flow_logs_are_ingested_and_queryable(
    home: Settings, tmp_path: Path
) -> None:
    from helpers import TGW_HEADER, TGW_RECORD

    src = tmp_path / "bucket"
    write_gz(flow_key(src, flow_log="fl-0tgw0001"), f"{TGW_HEADER}\n{TGW_RECORD}\n")
    report = ingest(home, [str(src)], IngestOptions())
    assert report.records["flow_logs"] == 1 and report.clean
    [row] = run_query(home.lake_dir, "SELECT tgw_id, tgw_src_vpc_id, resource_type, dstport, "
                                     "packets_lost_blackhole, version FROM flow_logs "
                                     "WHERE tgw_attachment_id LIKE 'tgw-attach-%'").to_pylist()  # fmt: skip
    assert row == {"tgw_id": "tgw-0a1b2c3d4e5f60718", "tgw_src_vpc_id": "vpc-0a1b2c3d4e5f6071a",
                   "resource_type": "TransitGatewayAttachment", "dstport": 443,
                   "packets_lost_blackhole": 3, "version": None}  # fmt: skip
