"""The query gate, and example queries from the AWS Athena documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import FLOW_HEADER, ct_record, flow_line, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.errors import QueryError
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.query.engine import run_query


@pytest.fixture
def lake(home: Settings, tmp_path: Path) -> Settings:
    lines = [
        "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        flow_line(src="198.51.100.7", dport=3389, start=1418530100),
        flow_line(src="198.51.100.7", dport=22, start=1418530160),
    ]  # fmt: skip
    write_gz(tmp_path / "src/AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/f.log.gz",
             FLOW_HEADER + "\n" + "\n".join(lines) + "\n")  # fmt: skip
    role = {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/app/s",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/app"},
                               "attributes": {"creationDate": "2024-03-01T08:00:00Z"}}}  # fmt: skip
    records = [
        ct_record(),
        ct_record(eventID="e2", eventName="StopLogging", eventSource="cloudtrail.amazonaws.com",
                  requestParameters={"name": "prod-audit"}, userIdentity=role),
        ct_record(eventID="e3", eventName="GetObject", eventSource="s3.amazonaws.com",
                  requestParameters={"bucketName": "data", "key": "a.csv"},
                  resources=[{"ARN": "arn:aws:s3:::data/a.csv", "type": "AWS::S3::Object"}]),
    ]  # fmt: skip
    write_gz(trail_key(tmp_path / "src"), trail_file(records))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    return home


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO flow_logs SELECT * FROM flow_logs",
        "DELETE FROM flow_logs",
        "COPY (SELECT 1) TO '/tmp/x.csv'",
        "ATTACH '/tmp/other.db'",
        "PRAGMA show_tables",
        "SET threads = 1",
        "INSTALL httpfs",
    ],
)
def test_writes_and_ddl_are_refused(lake: Settings, sql: str) -> None:
    with pytest.raises(QueryError, match="refused"):
        run_query(lake.lake_dir, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM parquet_scan('/tmp/x.parquet')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM '/etc/passwd'",
    ],
)
def test_file_reading_is_refused(lake: Settings, sql: str) -> None:
    with pytest.raises(QueryError):
        run_query(lake.lake_dir, sql)


def test_sql_errors_are_one_readable_line(lake: Settings) -> None:
    with pytest.raises(QueryError) as info:
        run_query(lake.lake_dir, "SELECT nope FROM flow_logs")
    assert "\n" not in str(info.value) and "nope" in str(info.value)


# From the AWS documentation ("Querying Amazon VPC flow logs"), run verbatim: Athena's table
# names resolve to Vigil's, and its Presto functions (day_of_week, from_unixtime, to_iso8601)
# are provided as macros.
ATHENA_FLOW = [
    "SELECT day_of_week(date) AS day, date, interface_id, srcaddr, action, protocol "
    "FROM vpc_flow_logs WHERE action = 'REJECT' AND protocol = 6 LIMIT 100",
    "SELECT interface_id, srcaddr, action, protocol, to_iso8601(from_unixtime(start)) AS start_time, "
    "to_iso8601(from_unixtime(\"end\")) AS end_time FROM vpc_flow_logs "
    "WHERE dstport = 3389 AND action = 'REJECT' LIMIT 10",
    "SELECT srcaddr, dstaddr, count(*) count, \"action\" FROM vpc_flow_logs "
    "WHERE \"action\" = 'REJECT' GROUP BY srcaddr, dstaddr, \"action\" ORDER BY count desc LIMIT 25",
    "SELECT SUM(bytes) AS sum_of_bytes, srcaddr FROM vpc_flow_logs "
    "WHERE date = DATE('2014-12-14') GROUP BY srcaddr ORDER BY sum_of_bytes DESC LIMIT 10",
]  # fmt: skip


def test_athena_flow_log_examples(lake: Settings) -> None:
    rejected_tcp = run_query(lake.lake_dir, ATHENA_FLOW[0]).to_pylist()
    assert len(rejected_tcp) == 3 and all(r["action"] == "REJECT" for r in rejected_tcp)
    assert rejected_tcp[0]["day"] == 7  # 2014-12-14 was a Sunday (ISO day 7, as in Presto)
    rdp = run_query(lake.lake_dir, ATHENA_FLOW[1]).to_pylist()
    assert {r["srcaddr"] for r in rdp} == {"172.31.9.69", "198.51.100.7"}
    assert "2014-12-14T04:06:50.000Z" in {r["start_time"] for r in rdp}
    talkers = run_query(lake.lake_dir, ATHENA_FLOW[2]).to_pylist()
    assert talkers[0]["srcaddr"] == "198.51.100.7" and talkers[0]["count"] == 2
    by_bytes = run_query(lake.lake_dir, ATHENA_FLOW[3]).to_pylist()
    assert by_bytes[0]["srcaddr"] in {"172.31.9.69", "172.31.16.139"}


# From "Querying AWS CloudTrail logs": unchanged but for json_extract_scalar, provided as a macro.
ATHENA_TRAIL = [
    "SELECT useridentity.username, sourceipaddress, eventtime, additionaleventdata "
    "FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin' "
    "AND eventtime >= '2021-07-01T00:00:00Z' AND eventtime < '2025-01-01T00:00:00Z'",
    "SELECT eventsource, eventname, useridentity.sessioncontext.attributes.creationdate, "
    "useridentity.sessioncontext.sessionissuer.arn FROM cloudtrail_logs "
    "WHERE useridentity.sessioncontext.sessionissuer.arn IS NOT NULL "
    "ORDER BY eventsource, eventname LIMIT 10",
    "SELECT json_extract_scalar(requestparameters, '$.bucketName') AS bucket, "
    "json_extract_scalar(requestparameters, '$.key') AS object, eventtime FROM cloudtrail_logs "
    "WHERE eventname = 'GetObject'",
    "SELECT eventname, resource.arn FROM cloudtrail_logs CROSS JOIN UNNEST(resources) AS t(resource)",
]  # fmt: skip


def test_athena_cloudtrail_examples(lake: Settings) -> None:
    logins = run_query(lake.lake_dir, ATHENA_TRAIL[0]).to_pylist()
    assert [r["username"] for r in logins] == ["dana"]
    roles = run_query(lake.lake_dir, ATHENA_TRAIL[1]).to_pylist()
    assert roles == [{"eventsource": "cloudtrail.amazonaws.com", "eventname": "StopLogging",
                      "creationdate": "2024-03-01T08:00:00Z", "arn": "arn:aws:iam::111122223333:role/app"}]  # fmt: skip
    gets = run_query(lake.lake_dir, ATHENA_TRAIL[2]).to_pylist()
    assert gets[0]["bucket"] == "data" and gets[0]["object"] == "a.csv"
    unnested = run_query(lake.lake_dir, ATHENA_TRAIL[3]).to_pylist()
    assert unnested == [{"eventname": "GetObject", "arn": "arn:aws:s3:::data/a.csv"}]


def test_derived_columns_and_ip_macros(lake: Settings) -> None:
    rows = run_query(
        lake.lake_dir,
        "SELECT srcaddr_ipv4, start_time, ipv4_in_cidr(srcaddr, '172.31.0.0/16') AS inside "
        "FROM flow_logs WHERE srcaddr = '172.31.9.69'",
    ).to_pylist()
    assert rows[0]["srcaddr_ipv4"] == (172 << 24) + (31 << 16) + (9 << 8) + 69
    assert rows[0]["start_time"].isoformat() == "2014-12-14T04:06:50+00:00"
    assert rows[0]["inside"] is True


def test_empty_lake_still_has_typed_tables(home: Settings) -> None:
    result = run_query(home.lake_dir, "SELECT count(*) AS n, max(dstport) AS p FROM flow_logs")
    assert result.to_pylist() == [{"n": 0, "p": None}]
    assert run_query(home.lake_dir, "SELECT count(*) AS n FROM cloudtrail").to_pylist() == [
        {"n": 0}
    ]
