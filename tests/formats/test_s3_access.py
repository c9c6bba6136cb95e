"""S3 server access logs (spec §12): the records AWS documents, older and newer layouts, odd
values, and every kind of bad line with its number."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.formats.s3_access import parse_s3access
from vigil.formats.s3_access_fields import tokens
from vigil.lake.tables import S3_ACCESS_LOGS

DATA = Path(__file__).parent.parent / "data" / "s3_access"
GOLDEN: dict[str, list[dict[str, Any]]] = json.loads((DATA / "golden.json").read_text())
OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
GOOD = (DATA / "current.log").read_bytes().splitlines()[1].decode()


def rows(name: str) -> list[dict[str, Any]]:
    result = parse_s3access((DATA / name).read_bytes(), name)
    assert result.rejects == []
    found = []
    for row in result.table.to_pylist():
        row["request_ts"] = row["request_ts"].isoformat().replace("+00:00", "Z")
        found.append({k: v for k, v in row.items() if v is not None})
    return sorted(
        found, key=lambda r: (r["request_ts"], r.get("requestid", ""), r.get("operation", ""))
    )


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_file_matches_its_golden_values(name: str) -> None:
    assert rows(name) == GOLDEN[name]


def test_schema_is_the_lake_table_but_the_integer_address() -> None:
    table = parse_s3access((DATA / "aws_examples.log").read_bytes(), "x").table
    expected = [f for f in S3_ACCESS_LOGS.schema if f.name != "remoteip_ipv4"]
    assert list(table.schema) == expected


def test_awss_documented_put_line() -> None:
    put = parse_s3access((DATA / "aws_examples.log").read_bytes(), "x").table.to_pylist()[1]
    assert put["operation"] == "REST.PUT.OBJECT"
    assert put["bytessent"] is None  # `-`: zero bytes sent
    assert (put["objectsize"], put["totaltime"], put["turnaroundtime"]) == (4406583, 41754, 28)
    assert put["request_ts"] == datetime(2019, 2, 6, 0, 1, 57, tzinfo=UTC)
    assert put["requestdatetime"] == "06/Feb/2019:00:01:57 +0000"
    assert put["referrer"] is None and put["useragent"] == "S3Console/0.4"
    assert put["accesspointarn"] is None and put["aclrequired"] == "Yes"
    assert put["extra_fields"] is None


def test_current_form_keeps_the_27th_field() -> None:
    table = parse_s3access((DATA / "current.log").read_bytes(), "x").table
    assert table["extra_fields"].to_pylist() == ["us-east-1", "us-east-1"]
    assert table["tlsversion"].to_pylist() == ["TLSV1.2", "TLSV1.2"]


def test_old_records_lack_the_fields_from_hostid_on() -> None:
    table = parse_s3access((DATA / "old.log").read_bytes(), "x").table
    assert table.num_rows == 2
    for name in ("hostid", "sigv", "ciphersuite", "authtype", "endpoint", "aclrequired"):
        assert table[name].null_count == 2, name
    assert table["useragent"].to_pylist() == ["Java/1.6.0_26", "Jakarta Commons-HttpClient/3.0"]


def by_id() -> dict[tuple[str | None, str | None], dict[str, Any]]:
    table = parse_s3access((DATA / "variety.log").read_bytes(), "x").table
    return {(r["requestid"], r["operation"]): r for r in table.to_pylist()}


def test_dashes_everywhere_are_nulls() -> None:
    (row,) = [r for r in by_id().values() if r["operation"] is None]
    present = {k for k, v in row.items() if v is not None}
    assert present == {"bucket_name", "requestdatetime", "request_ts"}


def test_quoted_values_keep_their_spaces() -> None:
    row = by_id()[("AAAA1111BBBB2222", "REST.GET.OBJECT")]
    assert row["useragent"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit")
    assert row["referrer"] == "https://www.example.com/start page"


def test_a_copy_is_two_records_the_get_naming_the_source() -> None:
    rows_ = by_id()
    put = rows_[("CCCC3333DDDD4444", "REST.COPY.OBJECT")]
    get = rows_[("CCCC3333DDDD4444", "REST.COPY.OBJECT_GET")]
    assert (put["bucket_name"], put["key"]) == ("amzn-s3-demo-bucket1", "backup/data.bin")
    assert (get["bucket_name"], get["key"]) == ("amzn-s3-demo-source", "data.bin")
    assert get["versionid"] == "3HL4kqtJvjVBH40Nrjfkd" and get["request_uri"] is None


def test_batch_delete_and_lifecycle_expiry() -> None:
    rows_ = by_id()
    delete = rows_[("EEEE5555FFFF6666", "BATCH.DELETE.OBJECT")]
    assert (delete["httpstatus"], delete["key"]) == (204, "tmp/a.txt")
    expire = rows_[("77AA88BB99CC00DD", "S3.EXPIRE.OBJECT")]
    assert expire["requester"] == "AWS:AROAEXAMPLEROLEID:S3-PROD-END"
    assert expire["remoteip"] is None and expire["httpstatus"] is None
    assert expire["objectsize"] == 10485760 and expire["extra_fields"] == "us-east-1"


def test_keys_are_percent_decoded_and_plus_stays_plus() -> None:
    row = by_id()[("1234ABCD5678EF90", "REST.GET.OBJECT")]
    assert row["key"] == "my%20photos/caf%C3%A9%2B1+2.jpg"
    assert row["key_decoded"] == "my photos/café+1+2.jpg"


def test_anonymous_presigned_and_ipv6() -> None:
    rows_ = by_id()
    anonymous = rows_[("0A0B0C0D0E0F1A1B", "REST.GET.OBJECT")]
    assert anonymous["requester"] is None and anonymous["errorcode"] == "AccessDenied"
    assert anonymous["sigv"] is None and anonymous["authtype"] is None
    presigned = rows_[("2B2B2B2B3C3C3C3C", "REST.GET.OBJECT")]
    assert presigned["authtype"] == "QueryString"
    assert "X-Amz-Signature=EXAMPLESIGNATURE" in presigned["request_uri"]
    assert presigned["remoteip"] == "2001:db8::8a2e:370:7334"


def test_time_offsets_are_applied() -> None:
    rows_ = by_id()
    east = rows_[("4D4D4D4D5E5E5E5E", "REST.HEAD.OBJECT")]
    assert east["request_ts"] == datetime(2024, 3, 2, 10, 20, tzinfo=UTC)
    west = rows_[("6F6F6F6F7A7A7A7A", "REST.HEAD.OBJECT")]
    assert west["request_ts"] == datetime(2024, 3, 2, 9, 20, tzinfo=UTC)  # 23:50 -09:30
    assert west["extra_fields"] == 'us-east-1 future-field "another one"'


def with_field(pos: int, value: str) -> str:
    """GOOD with its field `pos` (1-based, the time counted once) replaced by `value`."""
    found = tokens(GOOD)
    assert not isinstance(found, str)
    fields = [token for _, token in found]
    fields[pos - 1] = value
    return " ".join(fields)


BAD = [
    (with_field(3, "[06/Feb/2019:00:00:38]"), "field 3 (requestdatetime)"),
    (with_field(3, "[31/Feb/2019:00:00:38 +0000]"), "field 3 (requestdatetime)"),
    (with_field(3, "[06/Feb/2019:24:00:38 +0000]"), "field 3 (requestdatetime)"),
    (with_field(3, "[06/Feb/1999:00:00:38 +0000]"), "outside 2006-9999"),
    (with_field(10, "OK"), "field 10 (httpstatus)"),
    (with_field(12, "12kB"), "field 12 (bytessent)"),
    (with_field(13, "-5"), "field 13 (objectsize)"),
    (with_field(9, '"GET /s3-dg.pdf HTTP/1.1'), "unterminated quote"),
    (" ".join(GOOD.split(" ")[:12]), "expected at least 18 fields"),
    (GOOD.replace('"S3Console/0.4"', '"S3Console/0.4' + "x" * 70_000 + '"'), "longer than 64 KiB"),
]


@pytest.mark.parametrize(("line", "reason"), BAD)
def test_bad_lines_are_rejected_naming_the_field(line: str, reason: str) -> None:
    data = "\n".join([GOOD, line, GOOD, ""]).encode()
    result = parse_s3access(data, "bad.log")
    assert result.table.num_rows == 2
    (reject,) = result.rejects
    assert reject.line == 2 and reason in reject.reason
    assert reject.raw[:60] == line[:60]


def test_a_file_mixing_good_and_bad_lines() -> None:
    lines = [
        GOOD,  # 1
        "",  # 2: blank, skipped
        with_field(10, "OK"),  # 3
        GOOD,  # 4
        with_field(9, '"GET /a HTTP/1.1'),  # 5: the quote would swallow the next lines
        GOOD,  # 6
        "garbage",  # 7
        GOOD.replace("[06/Feb/2019:00:01:57 +0000]", "[06/Feb/2019:00:01:57 +0100]"),  # 8
        GOOD + "\r",  # 9: CRLF ending
    ]
    result = parse_s3access("\n".join(lines).encode(), "mixed.log")
    assert [r.line for r in result.rejects] == [3, 5, 7]
    assert "field 10 (httpstatus)" in result.rejects[0].reason
    assert "unterminated quote" in result.rejects[1].reason
    assert result.table.num_rows == 5
    times = sorted(result.table["request_ts"].to_pylist())
    assert times[0] == datetime(2019, 2, 5, 23, 1, 57, tzinfo=UTC)  # 00:01:57 +01:00


def test_bytes_that_are_not_utf8_reject_only_their_line() -> None:
    data = GOOD.encode() + b"\n" + GOOD.encode().replace(b"S3Console", b"S3\xffConsole") + b"\n"
    result = parse_s3access(data, "x")
    assert result.table.num_rows == 1
    column = GOOD.index("S3Console") + 3
    assert [(r.line, r.reason) for r in result.rejects] == [
        (2, f"bytes that are not UTF-8 at column {column}")
    ]


def test_an_empty_object_has_no_records() -> None:
    result = parse_s3access(b"", "x")
    assert result.table.num_rows == 0 and result.rejects == []
