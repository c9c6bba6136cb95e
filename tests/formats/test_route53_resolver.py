"""Route 53 Resolver query logs (spec §11): hand-written records in tests/data/route53_resolver,
their expected values in golden.json; bad lines rejected by number with the field named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from vigil.formats import route53_resolver
from vigil.formats.route53_resolver import parse_dns
from vigil.formats.route53_resolver_records import MAX_LINE, SCHEMA, parse_lines
from vigil.lake.tables import DNS_LOGS, conform

DATA = Path(__file__).parents[1] / "data" / "route53_resolver"
GOLDEN: dict[str, dict[str, Any]] = json.loads((DATA / "golden.json").read_text())
_DERIVED = ("registered_domain", "srcaddr_ipv4")  # filled at ingest from other columns
AWS_EXAMPLE = (DATA / "aws_example.log").read_bytes().strip()


def _iso(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["query_ts"] = _iso(row["query_ts"])
    if row["extra_fields"] is not None:
        out["extra_fields"] = json.loads(row["extra_fields"])
    return out


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str) -> None:
    expected = GOLDEN[name]
    data = (DATA / name).read_bytes()
    result = parse_dns(data, f"s3://bucket/{name}")
    assert result.table.schema == SCHEMA
    rows = [_comparable(r) for r in result.table.to_pylist()]
    assert len(rows) == len(expected["rows"])
    for row, want in zip(rows, expected["rows"], strict=True):
        assert {key: row[key] for key in want} == want
    got = [(r.line, r.reason) for r in result.rejects]
    assert [line for line, _ in got] == [line for line, _ in expected["rejects"]]
    for (_, reason), (_, fragment) in zip(got, expected["rejects"], strict=True):
        assert fragment in reason
    took_fast = route53_resolver._fast(data) is not None
    assert took_fast == (expected["path"] == "fast")


@pytest.mark.parametrize("name", [n for n in sorted(GOLDEN) if GOLDEN[n]["path"] == "fast"])
def test_fast_and_careful_paths_agree(name: str) -> None:
    data = (DATA / name).read_bytes()
    fast = route53_resolver._fast(data)
    careful, rejects = parse_lines(data)
    assert fast is not None and not rejects
    assert fast.equals(careful)


def test_schema_is_the_lake_table_but_the_derived_columns() -> None:
    lake = pa.schema([f for f in DNS_LOGS.schema if f.name not in _DERIVED])
    assert lake == SCHEMA


def test_conformed_for_the_lake() -> None:
    table = parse_dns(AWS_EXAMPLE, "s3://b/x.log").table
    out = conform(DNS_LOGS, table, "s3://b/x.log")
    assert out["srcaddr_ipv4"].to_pylist() == [(4 << 24) + (5 << 16) + (64 << 8) + 102]
    for field in DNS_LOGS.schema:
        if field.name == "registered_domain":
            continue  # ingest adds it
        assert out.schema.field(field.name).type == field.type


def test_a_file_mixing_port_forms_is_read_line_by_line() -> None:
    numeric = AWS_EXAMPLE.replace(b'"srcport":"56067"', b'"srcport":56067')
    data = AWS_EXAMPLE + b"\n" + numeric + b"\n"
    assert route53_resolver._fast(data) is None
    result = parse_dns(data, "x")
    assert result.table["srcport"].to_pylist() == [56067, 56067]
    assert not result.rejects


def test_pretty_printed_spacing_is_read_fast() -> None:
    spaced = json.dumps(json.loads(AWS_EXAMPLE)).encode()  # ", " and ": " between tokens
    result = parse_dns(spaced + b"\n" + spaced, "x")
    assert route53_resolver._fast(spaced) is not None
    assert result.table.num_rows == 2
    assert result.table["srcport"].to_pylist() == [56067, 56067]


def test_unknown_keys_are_kept_on_every_record_that_has_them() -> None:
    extra = AWS_EXAMPLE[:-1] + b',"firewall_protection":"DNS_TUNNELING","score":[1,{"a":null}]}'
    result = parse_dns(b"\n".join([AWS_EXAMPLE, extra, AWS_EXAMPLE]), "x")
    kept = result.table["extra_fields"].to_pylist()
    assert kept[0] is None and kept[2] is None
    assert json.loads(kept[1]) == {
        "firewall_protection": "DNS_TUNNELING",
        "score": [1, {"a": None}],
    }
    assert result.table.num_rows == 3


def test_lower_case_answer_members() -> None:
    lower = AWS_EXAMPLE.replace(b'"Rdata"', b'"rdata"').replace(b'"Type"', b'"type"')
    lower = lower.replace(b'"Class"', b'"class"')
    result = parse_dns(lower, "x")
    assert result.table["answers"].to_pylist() == [
        [{"Rdata": "203.0.113.9", "Type": "PTR", "Class": "IN"}]
    ]


def test_version_1_1_is_taken_and_2_0_rejected() -> None:
    v11 = AWS_EXAMPLE.replace(b'"1.100000"', b'"1.1"')
    v20 = AWS_EXAMPLE.replace(b'"1.100000"', b'"2.0"')
    result = parse_dns(b"\n".join([v11, v20]), "x")
    assert result.table["version"].to_pylist() == ["1.1"]
    assert [(r.line, r.reason) for r in result.rejects] == [
        (2, "version '2.0': major version 2 is not supported (only 1.x)")
    ]
    assert result.rejects[0].raw == v20.decode()


def test_a_line_over_one_mib_is_rejected_unread() -> None:
    padded = AWS_EXAMPLE.replace(b'"vpc-7example"', b'"vpc-' + b"x" * MAX_LINE + b'"')
    result = parse_dns(b"\n".join([AWS_EXAMPLE, padded, AWS_EXAMPLE]), "x")
    assert result.table.num_rows == 2
    [reject] = result.rejects
    assert reject.line == 2
    assert "longer than 1,048,576" in reject.reason
    assert len(reject.raw) < 2000


def test_bytes_that_are_not_utf8() -> None:
    bad = AWS_EXAMPLE.replace(b"15.3.4.32", b"15.3.\xff.32")
    result = parse_dns(b"\n".join([AWS_EXAMPLE, bad]), "x")
    assert result.table.num_rows == 1
    assert [r.line for r in result.rejects] == [2]
    column = bad.index(b"\xff") + 1
    assert result.rejects[0].reason == f"bytes that are not UTF-8 at column {column}"


def test_two_records_on_one_line_are_rejected() -> None:
    result = parse_dns(AWS_EXAMPLE + AWS_EXAMPLE + b"\n" + AWS_EXAMPLE, "x")
    assert result.table.num_rows == 1
    assert [r.line for r in result.rejects] == [1]


def test_blank_lines_and_crlf_endings() -> None:
    data = b"\r\n" + AWS_EXAMPLE + b"\r\n\r\n   \n" + AWS_EXAMPLE + b"\r\n"
    result = parse_dns(data, "x")
    assert result.table.num_rows == 2
    assert not result.rejects


def test_empty_object_gives_an_empty_table() -> None:
    for data in (b"", b"\n\n"):
        result = parse_dns(data, "x")
        assert result.table.num_rows == 0
        assert result.table.schema == SCHEMA
        assert not result.rejects


def _generated(count: int) -> list[str]:
    record = json.loads(AWS_EXAMPLE)
    lines = []
    for i in range(count):
        record.update(
            query_name=f"host{i}.example.com.",
            srcport=str(1024 + i),
            query_timestamp=f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z",
            answers=[{"Rdata": f"10.0.{i // 256 % 256}.{i % 256}", "Type": "A", "Class": "IN"}]
            * (i % 3),
        )
        lines.append(json.dumps(record, separators=(",", ":")))
    return lines


def test_many_generated_records_take_the_fast_path() -> None:
    data = ("\n".join(_generated(3000)) + "\n").encode()
    fast = route53_resolver._fast(data)
    assert fast is not None
    assert fast.equals(parse_lines(data)[0])
    assert fast["srcport"].to_pylist()[-1] == 1024 + 2999
    assert [len(a) for a in fast["answers"].to_pylist()[:3]] == [0, 1, 2]


def test_bad_lines_in_a_large_file_cost_their_chunk_only() -> None:
    lines = _generated(route53_resolver.CHUNK * 3 + 500)
    lines[4999] = lines[4999].replace('"srcport":"', '"srcport":"x')
    lines[8999] = "{" + lines[8999]
    numeric = range(200, 300)  # the other way of writing the port, in one chunk only
    for i in numeric:
        lines[i] = lines[i].replace(f'"srcport":"{1024 + i}"', f'"srcport":{1024 + i}')
    result = parse_dns(("\n".join(lines) + "\n").encode(), "x")
    assert [r.line for r in result.rejects] == [5000, 9000]
    assert result.rejects[0].reason.startswith("srcport: expected a port number")
    ports = result.table["srcport"].to_pylist()
    assert len(ports) == len(lines) - 2
    assert ports == [1024 + i for i in range(len(lines)) if i not in (4999, 8999)]
