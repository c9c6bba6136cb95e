"""Flow logs as AWS writes them by default: without a header line (CloudWatch Logs, its exports,
copies out of pipelines), read without --format when their values fit one known layout; several
fits or none are quarantined saying so; AWS log types Vigil does not read yet are quarantined as
what they are."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import flow_key, vigil, write_gz
from vigil.errors import FormatError
from vigil.formats.flowlog_fields import DEFAULT_FORMAT
from vigil.formats.flowlog_layouts import LAYOUTS, as_format
from vigil.formats.flowlog_sniff import detect_layout

ENI = "eni-0f00ba7c0ffee0001"
# Default-format records (spec §1.7, §1.8): traffic, then NODATA and SKIPDATA with their dashes.
DEFAULT_LINES = [
    f"2 111122223333 {ENI} 198.51.100.7 10.0.1.25 51544 22 6 12 1840 1700000100 1700000160 "
    "REJECT OK",
    f"2 111122223333 {ENI} 10.0.1.25 203.0.113.50 40222 443 6 30 9021 1700000100 1700000160 "
    "ACCEPT OK",
    f"2 111122223333 {ENI} 2001:db8:5:a1::17 2001:db8:5:a2::20 34892 22 6 54 8855 1700000110 "
    "1700000170 ACCEPT OK",
    f"2 111122223333 {ENI} - - - - - - - 1700000200 1700000260 - NODATA",
    f"2 111122223333 {ENI} - - - - - - - 1700000300 1700000360 - SKIPDATA",
]
HEADER = " ".join(DEFAULT_FORMAT)
COLUMNS = ", ".join(f'"{f.replace("-", "_")}"' for f in DEFAULT_FORMAT)

# Every field to version 5, in AWS's order (29 fields): an egress call to S3 through the
# internet gateway, its answer, and a NODATA interval.
V5_LINES = [
    f"5 111122223333 {ENI} 10.0.2.9 52.95.1.10 38012 443 6 10 1320 1700000100 1700000160 ACCEPT OK "
    "vpc-0aa11bb22cc33dd44 subnet-0ee55ff66aa77bb88 i-0123456789abcdef0 3 IPv4 10.0.2.9 "
    "52.95.1.10 us-east-1 use1-az4 - - - S3 egress 8",
    f"5 111122223333 {ENI} 52.95.1.10 10.0.2.9 443 38012 6 9 6100 1700000100 1700000160 ACCEPT OK "
    "vpc-0aa11bb22cc33dd44 subnet-0ee55ff66aa77bb88 i-0123456789abcdef0 19 IPv4 52.95.1.10 "
    "10.0.2.9 us-east-1 use1-az4 - - S3 - ingress -",
    f"5 111122223333 {ENI} - - - - - - - 1700000200 1700000260 - NODATA "
    "vpc-0aa11bb22cc33dd44 subnet-0ee55ff66aa77bb88 i-0123456789abcdef0 - - - - us-east-1 "
    "use1-az4 - - - - - -",
]
# One interface, one address, one port, one action: which address and which port is it?
AMBIGUOUS_LINES = [f"{ENI} 198.51.100.7 22 REJECT", f"{ENI} 203.0.113.9 3389 REJECT"]


def ingest(home: Path, *args: str, refused: bool = False) -> dict[str, Any]:
    """`vigil ingest … --json`'s report; `refused`: every object is quarantined, which the run
    also says with its exit code."""
    done = vigil(home, "ingest", *args, "--json")
    assert done.returncode == (1 if refused else 0), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stdout
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def query(home: Path, sql: str) -> list[dict[str, Any]]:
    done = vigil(home, "query", sql, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def reasons(report: dict[str, Any]) -> dict[str, str]:
    return {Path(q["uri"]).name: q["reason"] for q in report["quarantined"]}


def test_headerless_default_records_read_as_with_their_header(tmp_path: Path) -> None:
    body = "\n".join(DEFAULT_LINES) + "\n"
    without = tmp_path / "without"
    write_gz(flow_key(without), body)  # as S3 delivers, less the header line
    (without / "export").mkdir()
    (without / "export" / "eni.log").write_text(body)  # plain, another account by --account
    # a CloudWatch Logs export: each message after its timestamp
    stamped = "".join(
        f"2023-11-14T22:2{i}:00.000Z {line}\n" for i, line in enumerate(DEFAULT_LINES)
    )
    write_gz(without / "cw" / "000000.gz", stamped)
    with_header = tmp_path / "with"
    write_gz(flow_key(with_header), f"{HEADER}\n{body}")

    home, reference = tmp_path / "home", tmp_path / "reference"
    report = ingest(home, str(without), "--account", "444455556666", "--region", "us-east-1")
    assert report["quarantined"] == [] and report["rejected"] == 0
    assert report["records"]["flow_logs"] == 3 * len(DEFAULT_LINES)
    assert not any("no header line" in n for n in report["notices"])  # the default: no note
    ingest(reference, str(with_header))

    sql = f"SELECT {COLUMNS} FROM flow_logs WHERE source_file LIKE '%vpcflowlogs%' ORDER BY ALL"
    rows = query(home, sql)
    assert rows == query(reference, sql)  # the same rows, NULLs where AWS wrote '-'
    skipped = [r for r in rows if r["log_status"] == "SKIPDATA"]
    assert skipped == [
        {"version": 2, "account_id": "111122223333", "interface_id": ENI, "srcaddr": None,
         "dstaddr": None, "srcport": None, "dstport": None, "protocol": None, "packets": None,
         "bytes": None, "start": 1700000300, "end": 1700000360, "action": None,
         "log_status": "SKIPDATA"}
    ]  # fmt: skip
    every = query(home, f"SELECT {COLUMNS}, count(*) AS n FROM flow_logs GROUP BY ALL ORDER BY ALL")
    assert {r["n"] for r in every} == {3}  # the gz, the plain file and the export agree
    ipv6 = query(home, "SELECT DISTINCT srcaddr, dstport FROM flow_logs WHERE srcaddr LIKE '%:%'")
    assert ipv6 == [{"srcaddr": "2001:db8:5:a1::17", "dstport": 22}]

    again = ingest(home, str(without), "--account", "444455556666", "--region", "us-east-1")
    assert again["ingested"] == 0 and again["already_seen"] == 3
    assert query(home, "SELECT count(*) AS n FROM flow_logs") == [{"n": 15}]


def test_headerless_every_field_to_version_5(tmp_path: Path) -> None:
    write_gz(flow_key(tmp_path / "src"), "\n".join(V5_LINES) + "\n")
    home = tmp_path / "home"
    report = ingest(home, str(tmp_path / "src"))
    assert report["records"]["flow_logs"] == 3 and report["quarantined"] == []
    assert any("every field to version 5" in n for n in report["notices"])
    rows = query(home, "SELECT version, vpc_id, tcp_flags, type, pkt_dstaddr, az_id, "
                       "sublocation_type, pkt_src_aws_service, pkt_dst_aws_service, "
                       "flow_direction, traffic_path, log_status FROM flow_logs ORDER BY ALL")  # fmt: skip
    assert rows[0] == {
        "version": 5, "vpc_id": "vpc-0aa11bb22cc33dd44", "tcp_flags": 3, "type": "IPv4",
        "pkt_dstaddr": "52.95.1.10", "az_id": "use1-az4", "sublocation_type": None,
        "pkt_src_aws_service": None, "pkt_dst_aws_service": "S3", "flow_direction": "egress",
        "traffic_path": 8, "log_status": "OK",
    }  # fmt: skip
    assert [r["flow_direction"] for r in rows] == ["egress", "ingress", None]
    assert rows[2]["log_status"] == "NODATA" and rows[2]["tcp_flags"] is None


def test_ambiguous_file_is_quarantined_naming_the_layouts_and_retried_with_format(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src" / "custom.log.gz"
    write_gz(source, "\n".join(AMBIGUOUS_LINES) + "\n")
    home = tmp_path / "home"
    report = ingest(home, str(source), refused=True)
    [reason] = reasons(report).values()
    assert "custom.log.gz:1: no header line, and 8 flow-log layouts fit its 4 fields" in reason
    assert "'${interface-id} ${srcaddr} ${srcport} ${action}'; " in reason
    assert "'${interface-id} ${srcaddr} ${dstport} ${action}'; " in reason
    assert reason.endswith(" and 4 more; pass --format with the flow log's LogFormat "
                           "(aws ec2 describe-flow-logs shows it)")  # fmt: skip
    again = ingest(home, str(source), refused=True)
    assert again["retried"] == 1 and len(again["quarantined"]) == 1  # still eligible, no rows
    [entry] = json.loads(vigil(home, "quarantine", "list", "--json").stdout)
    fmt = "${interface-id} ${srcaddr} ${dstport} ${action}"
    retried = vigil(home, "quarantine", "retry", entry["id"], "--format", fmt, "--json")
    assert retried.returncode == 0, retried.stderr
    rows = query(home, "SELECT srcaddr, dstport, dstaddr FROM flow_logs ORDER BY dstport")
    assert rows == [{"srcaddr": "198.51.100.7", "dstport": 22, "dstaddr": None},
                    {"srcaddr": "203.0.113.9", "dstport": 3389, "dstaddr": None}]  # fmt: skip


# Our own records in each type's documented shape (one line each).
RESOLVER = json.dumps({
    "version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
    "vpc_id": "vpc-0aa11bb22cc33dd44", "query_timestamp": "2023-11-14T22:21:05Z",
    "query_name": "updates.example.com.", "query_type": "A", "query_class": "IN",
    "rcode": "NOERROR", "answers": [{"Rdata": "192.0.2.44", "Type": "A", "Class": "IN"}],
    "srcaddr": "10.0.1.25", "srcport": "49152", "transport": "UDP",
    "srcids": {"instance": "i-0123456789abcdef0"},
})  # fmt: skip
WAF = json.dumps({
    "timestamp": 1700000465123, "formatVersion": 1,
    "webaclId": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shop-acl/"
                "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "terminatingRuleId": "Default_Action", "terminatingRuleType": "REGULAR", "action": "ALLOW",
    "httpSourceName": "ALB", "httpSourceId": "111122223333-app/shop-alb/0123456789abcdef",
    "ruleGroupList": [], "rateBasedRuleList": [], "nonTerminatingMatchingRules": [],
    "httpRequest": {"clientIp": "198.51.100.7", "country": "US",
                    "headers": [{"name": "Host", "value": "shop.example.com"}], "uri": "/cart",
                    "args": "", "httpVersion": "HTTP/1.1", "httpMethod": "GET",
                    "requestId": "1-65540a91-0a1b2c3d4e5f607182930a1b"},
})  # fmt: skip
GUARDDUTY = json.dumps({
    "schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1",
    "partition": "aws", "id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "arn": "arn:aws:guardduty:us-east-1:111122223333:detector/0f1e2d3c4b5a6978/finding/"
           "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "type": "Recon:EC2/PortProbeUnprotectedPort", "resource": {"resourceType": "Instance"},
    "service": {"serviceName": "guardduty", "detectorId": "0f1e2d3c4b5a6978", "count": 3,
                "eventFirstSeen": "2023-11-14T22:00:00.000Z",
                "eventLastSeen": "2023-11-14T22:20:00.000Z", "archived": False},
    "severity": 2, "createdAt": "2023-11-14T22:05:00.000Z", "updatedAt": "2023-11-14T22:20:00.000Z",
    "title": "Unprotected port on EC2 instance i-0123456789abcdef0 is being probed.",
})  # fmt: skip
ALB = (
    "https 2023-11-14T22:21:05.123456Z app/shop-alb/0123456789abcdef 198.51.100.7:51544 "
    '10.0.1.25:443 0.001 0.012 0.000 200 200 312 1450 "GET https://shop.example.com:443/cart '
    'HTTP/1.1" "curl/8.4.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
    "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/shop-tg/0123456789abcdef "
    '"Root=1-65540a91-0a1b2c3d4e5f607182930a1b" "shop.example.com" "-" 0 '
    '2023-11-14T22:21:05.110000Z "forward" "-" "-" "10.0.1.25:443" "200" "-" "-" TID_0a1b2c3d'
)
NLB = (
    "tls 2.0 2023-11-14T22:21:05 net/shop-nlb/0123456789abcdef 0f1e2d3c4b5a6978 "
    "198.51.100.7:51544 10.0.1.25:443 812 3 1450 6240 - "
    "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b - "
    "ECDHE-RSA-AES128-SHA tlsv12 - shop.example.com - - - 2023-11-14T22:21:04"
)
S3_ACCESS = (
    "7d3e0b1a5c9f2e4d6b8a0c1e3f5a7b9d1e3c5a7f9b0d2e4c6a8b0f1d3e5c7a9b shop-assets "
    "[14/Nov/2023:22:21:05 +0000] 198.51.100.7 arn:aws:iam::111122223333:user/deployer "
    '5A1B2C3D4E5F6A7B REST.GET.OBJECT index.html "GET /shop-assets/index.html HTTP/1.1" 200 - '
    '5120 5120 14 12 "-" "aws-cli/2.13.0" - Yx2bQ0= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
    "AuthHeader shop-assets.s3.us-east-1.amazonaws.com TLSv1.2 - -"
)
CLASSIC_ELB = (
    "2023-11-14T22:21:05.123456Z shop-elb 198.51.100.7:51544 10.0.1.25:80 0.000073 0.001048 "
    '0.000057 200 200 0 29 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.4.0" - -'
)
ELB_KEY = ("AWSLogs/111122223333/elasticloadbalancing/us-east-1/2023/11/14/111122223333_"
           "elasticloadbalancing_us-east-1_shop-elb_20231114T2220Z_198.51.100.1_abcd1234.log")  # fmt: skip
UNSUPPORTED = {  # file → (content, what the reason must say)
    "waf.log.gz": (WAF, "AWS WAF logging is not supported yet"),
    "alb.log.gz": (ALB, "Application Load Balancer access logging is not supported yet"),
    "nlb.log": (NLB, "Network Load Balancer access logging is not supported yet"),
}  # fmt: skip


def test_known_aws_types_not_read_yet_are_quarantined_as_what_they_are(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name, (content, _) in UNSUPPORTED.items():
        body = f"{content}\n{content}\n"
        if name.endswith(".gz"):
            write_gz(src / "mixed" / name, body)
        else:
            (src / "mixed").mkdir(parents=True, exist_ok=True)
            (src / "mixed" / name).write_text(body)
    write_gz(src / ELB_KEY, CLASSIC_ELB + "\n")  # content alone says nothing; the key does
    home = tmp_path / "home"
    report = ingest(home, str(src), refused=True)
    assert report["ingested"] == 0 and report["records"]["flow_logs"] == 0
    said = reasons(report)
    assert set(said) == {*UNSUPPORTED, Path(ELB_KEY).name}
    for name, (_, expected) in UNSUPPORTED.items():
        assert expected in said[name], (name, said[name])
        assert "CloudTrail record" not in said[name] and "--format" not in said[name]
    by_key = said[Path(ELB_KEY).name]
    assert "Elastic Load Balancing access logging is not supported yet" in by_key
    assert "AWS delivers it there" in by_key
    forced = vigil(home, "ingest", str(src / "mixed" / "waf.log.gz"), "--type", "cloudtrail",
                   "--json")  # fmt: skip
    assert "AWS WAF logging is not supported yet" in forced.stdout
    again = ingest(home, str(src), refused=True)
    assert again["retried"] == len(UNSUPPORTED) + 1 and again["ingested"] == 0
    listed = json.loads(vigil(home, "quarantine", "list", "--json").stdout)
    assert len(listed) == len(UNSUPPORTED) + 1  # one entry each, however often read


def test_an_s3_prefix_of_headerless_flow_logs_and_waf_logs(aws: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=aws)
    bucket = f"logs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    flows = ("AWSLogs/111122223333/vpcflowlogs/us-east-1/2023/11/14/111122223333_vpcflowlogs_"
             "us-east-1_fl-1234abcd_20231114T2220Z_fe123456.log.gz")  # fmt: skip
    s3.put_object(Bucket=bucket, Key=flows, Body=gzip.compress("\n".join(DEFAULT_LINES).encode()))
    waf = "AWSLogs/111122223333/WAFLogs/us-east-1/shop-acl/2023/11/14/22/20/waf-1.log.gz"
    s3.put_object(Bucket=bucket, Key=waf, Body=gzip.compress(f"{WAF}\n".encode()))
    home = tmp_path / "home"
    report = ingest(home, f"s3://{bucket}/AWSLogs/", "--endpoint-url", aws)
    assert report["records"]["flow_logs"] == len(DEFAULT_LINES)
    assert list(reasons(report).values()) == [
        f"s3://{bucket}/{waf}: AWS WAF logging is not supported yet (a record with webaclId, "
        "terminatingRuleId and httpRequest); it stays in quarantine; vigil quarantine retry "
        "reads it once Vigil does"
    ]
    rows = query(home, "SELECT aws_account, log_status, srcaddr FROM flow_logs "
                       "WHERE log_status <> 'OK' ORDER BY start")  # fmt: skip
    assert rows == [{"aws_account": "111122223333", "log_status": "NODATA", "srcaddr": None},
                    {"aws_account": "111122223333", "log_status": "SKIPDATA", "srcaddr": None}]  # fmt: skip
    again = ingest(home, f"s3://{bucket}/AWSLogs/", "--endpoint-url", aws)
    assert again["ingested"] == 0 and again["already_seen"] == 1 and again["retried"] == 1


# One value per field, as AWS writes it, to build a record of any layout.
SAMPLE_VALUES = {
    "account-id": "111122223333", "interface-id": ENI, "srcaddr": "10.0.2.9",
    "dstaddr": "52.95.1.10", "srcport": "38012", "dstport": "443", "protocol": "6",
    "packets": "10", "bytes": "1320", "start": "1700000100", "end": "1700000160",
    "action": "ACCEPT", "log-status": "OK", "vpc-id": "vpc-0aa11bb22cc33dd44",
    "subnet-id": "subnet-0ee55ff66aa77bb88", "instance-id": "i-0123456789abcdef0",
    "tcp-flags": "19", "type": "IPv4", "pkt-srcaddr": "10.0.2.9", "pkt-dstaddr": "52.95.1.10",
    "region": "us-east-1", "az-id": "use1-az4", "sublocation-type": "-", "sublocation-id": "-",
    "pkt-src-aws-service": "-", "pkt-dst-aws-service": "S3", "flow-direction": "egress",
    "traffic-path": "8",
    "ecs-cluster-arn": "arn:aws:ecs:us-east-1:111122223333:cluster/shop",
    "ecs-cluster-name": "shop",
    "ecs-container-instance-arn": "-", "ecs-container-instance-id": "-",
    "ecs-container-id": "0f1e2d3c4b5a69788a9b0c1d2e3f4a5b-1234567890",
    "ecs-second-container-id": "-", "ecs-service-name": "cart",
    "ecs-task-definition-arn": "arn:aws:ecs:us-east-1:111122223333:task-definition/cart:7",
    "ecs-task-arn": "arn:aws:ecs:us-east-1:111122223333:task/shop/0f1e2d3c4b5a69788a9b0c1d2e3f4a5b",
    "ecs-task-id": "0f1e2d3c4b5a69788a9b0c1d2e3f4a5b", "reject-reason": "-",
    "resource-type": "TransitGatewayAttachment", "tgw-id": "tgw-0a1b2c3d4e5f60718",
    "tgw-attachment-id": "tgw-attach-0a1b2c3d4e5f60718", "tgw-src-vpc-account-id": "111122223333",
    "tgw-dst-vpc-account-id": "444455556666", "tgw-src-vpc-id": "vpc-0aa11bb22cc33dd44",
    "tgw-dst-vpc-id": "vpc-0bb22cc33dd44ee55", "tgw-src-subnet-id": "subnet-0ee55ff66aa77bb88",
    "tgw-dst-subnet-id": "subnet-0ff66aa77bb88cc99", "tgw-src-eni": ENI,
    "tgw-dst-eni": "eni-0f00ba7c0ffee0002", "tgw-src-az-id": "use1-az4",
    "tgw-dst-az-id": "use1-az6", "tgw-pair-attachment-id": "tgw-attach-0b1c2d3e4f5a60718",
    "packets-lost-no-route": "0", "packets-lost-blackhole": "0",
    "packets-lost-mtu-exceeded": "0", "packets-lost-ttl-expired": "0",
}  # fmt: skip


def _record(fields: tuple[str, ...]) -> str:
    from vigil.formats.flowlog_fields import record_version

    return " ".join(
        str(record_version(fields)) if f == "version" else SAMPLE_VALUES[f] for f in fields
    )


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_known_layout_is_told_from_its_values(name: str) -> None:
    fields = LAYOUTS[name]
    body = f"{_record(fields)}\n{_record(fields)}\n".encode()
    assert detect_layout(body, "f").fields == fields


def test_a_layout_in_aws_order_is_inferred_when_only_one_fits() -> None:
    fields = ("version", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
              "packets", "bytes", "start", "end", "action", "log-status", "flow-direction")  # fmt: skip
    layout = detect_layout(f"{_record(fields)}\n".encode(), "f")
    assert layout.name == "" and layout.fields == fields
    with pytest.raises(FormatError, match="no known flow-log layout fits its 6 fields"):
        detect_layout(b"not a flow log at all\n", "f")
    assert as_format(fields[:2]) == "${version} ${interface-id}"


# Values as AWS writes them, per field, for the property below (a flow of 1-60 packets).
_IP = st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))
_HEX = st.text("0123456789abcdef", min_size=17, max_size=17)
_VALUES: dict[str, st.SearchStrategy[str]] = {
    "account-id": st.integers(10**11, 10**12 - 1).map(str), "interface-id": _HEX.map("eni-{}".format),
    "srcaddr": _IP, "dstaddr": _IP, "pkt-srcaddr": _IP, "pkt-dstaddr": _IP,
    "srcport": st.integers(0, 65535).map(str), "dstport": st.integers(0, 65535).map(str),
    "protocol": st.sampled_from(["1", "6", "17", "58"]), "action": st.sampled_from(["ACCEPT", "REJECT"]),
    "log-status": st.just("OK"), "vpc-id": _HEX.map("vpc-{}".format),
    "subnet-id": _HEX.map("subnet-{}".format), "instance-id": _HEX.map("i-{}".format),
    "tcp-flags": st.sampled_from(["0", "1", "2", "3", "4", "18", "19"]),
    "type": st.sampled_from(["IPv4", "IPv6"]), "region": st.sampled_from(["us-east-1", "eu-west-2"]),
    "az-id": st.sampled_from(["use1-az4", "euw2-az2"]),
    "sublocation-type": st.sampled_from(["outpost", "localzone"]),
    "sublocation-id": st.sampled_from(["op-0a1b2c3d4e5f60718", "us-east-1-bos-1a"]),
    "pkt-src-aws-service": st.sampled_from(["S3", "DYNAMODB", "EC2"]),
    "pkt-dst-aws-service": st.sampled_from(["S3", "ROUTE53_RESOLVER", "AMAZON"]),
    "flow-direction": st.sampled_from(["ingress", "egress"]),
    "traffic-path": st.integers(1, 8).map(str), "reject-reason": st.just("BPA"),
}  # fmt: skip


@st.composite
def in_order_layouts(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    """A custom format keeping AWS's field order (without ECS fields), and records of it."""
    from vigil.formats.flowlog_fields import record_version
    from vigil.formats.flowlog_layouts import VPC_FIELDS

    names = [f for f in VPC_FIELDS if not f.startswith("ecs-")]
    fields = tuple(f for f in names if draw(st.booleans())) or ("interface-id",)
    version = str(record_version(fields))
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        packets = draw(st.integers(1, 60))
        start = draw(st.integers(1_600_000_000, 1_800_000_000))
        given = {"version": version, "packets": str(packets),
                 "bytes": str(packets * draw(st.integers(40, 1500))), "start": str(start),
                 "end": str(start + draw(st.integers(0, 600)))}  # fmt: skip
        lines.append(" ".join(given[f] if f in given else draw(_VALUES[f]) for f in fields))
    return fields, "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(in_order_layouts())
def test_a_layout_told_from_values_is_never_the_wrong_one(
    case: tuple[tuple[str, ...], str],
) -> None:
    """Whatever the sample, a layout taken is the one the records were written in; when the
    values cannot tell, the file is refused (asking for --format), never read wrongly."""
    fields, body = case
    try:
        layout = detect_layout(body.encode(), "prop")
    except FormatError as refused:
        assert "pass --format" in str(refused)
        return
    assert layout.fields == fields
