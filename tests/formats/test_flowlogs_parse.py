from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DATA, FLOW_HEADER, TGW_HEADER, TGW_RECORD
from vigil.errors import FormatError
from vigil.formats.flowlog_fields import DEFAULT_FORMAT, FIELDS, column_name, parse_format
from vigil.formats.flowlogs import parse_flowlogs
from vigil.formats.timestamps import EARLIEST_S, LATEST_S
from vigil.lake.tables import FLOW_LOGS, as_lake_types

GOLDEN = json.loads((DATA / "flowlogs_golden.json").read_text())


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden(case: dict) -> None:  # type: ignore[type-arg]
    fmt = None
    if case["format"] == "default":
        fmt = DEFAULT_FORMAT
    elif case["format"]:
        fmt = parse_format(case["format"])
    lines = list(case["lines"])
    if case["header"]:
        lines.insert(0, case.get("header_line", FLOW_HEADER))
    result = parse_flowlogs(("\n".join(lines) + "\n").encode(), fmt, "golden")
    assert result.rejects == []
    rows = as_lake_types(FLOW_LOGS, result.table).to_pylist()  # as the lake shows them
    assert len(rows) == len(case["expected"])
    for row, expected in zip(rows, case["expected"], strict=True):
        assert {k: row.get(k, "<missing>") for k in expected} == expected, case["meaning"]
    if "notice" in case:
        assert any(case["notice"] in n for n in result.notices)


def test_wrong_field_count_rejects_only_that_line_with_its_number() -> None:
    body = "\n".join([
        FLOW_HEADER,
        "2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT OK",
        "2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT",
        "2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 REJECT OK",
    ])  # fmt: skip
    result = parse_flowlogs(body.encode(), None, "f.log")
    assert result.table.num_rows == 2
    assert [(r.line, r.reason) for r in result.rejects] == [(3, "expected 14 fields, found 13")]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("2 1 eni-a 1.1.1.1 2.2.2.2 x1 2 6 1 1 1700000100 1700000160 ACCEPT OK", "field 6 (srcport): 'x1'"),
        ("2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT OK".replace(" 1 2 6", " 1 99999999999 6"),
         "field 7 (dstport): 99999999999 is out of range"),
    ],
)  # fmt: skip
def test_bad_values_name_the_line_and_field(bad: str, reason: str) -> None:
    good = "2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT OK"
    body = "\n".join([FLOW_HEADER, good, bad, good]).encode()
    result = parse_flowlogs(body, None, "f.log")
    assert result.table.num_rows == 2
    assert len(result.rejects) == 1
    assert result.rejects[0].line == 3
    assert reason in result.rejects[0].reason


def test_non_utf8_bytes_reject_the_line_keep_the_rest() -> None:
    good = b"2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT OK"
    bad = b"2 1 eni-\xff\xfe 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT OK"
    result = parse_flowlogs(b"\n".join([FLOW_HEADER.encode(), good, bad, good]), None, "f")
    assert result.table.num_rows == 2
    assert result.rejects[0].line == 3
    assert "not UTF-8" in result.rejects[0].reason


def test_no_header_and_no_format_is_a_clear_error() -> None:
    with pytest.raises(FormatError, match="no header line and no --format"):
        parse_flowlogs(
            b"2 1 eni-a 1.1.1.1 2.2.2.2 1 2 6 1 1 1700000100 1700000160 ACCEPT OK\n", None, "f"
        )


def test_json_given_as_flow_logs_says_what_it_looks_like() -> None:
    with pytest.raises(FormatError, match="looks like JSON"):
        parse_flowlogs(b'{"Records": []}', None, "f")


def test_header_only_file_has_no_records() -> None:
    result = parse_flowlogs((FLOW_HEADER + "\n").encode(), None, "f")
    assert result.table.num_rows == 0 and result.rejects == []


# Property: any format (a subset of the catalogue, in any order) and any values round-trip.
_VALUE = {
    "int32": st.one_of(st.none(), st.integers(0, 2**31 - 1)),
    "int64": st.one_of(st.none(), st.integers(0, 2**63 - 1)),
    # A record's start is always a time (the parser rejects one that is not: tested apart).
    "start": st.integers(EARLIEST_S, LATEST_S),
    "string": st.one_of(st.none(), st.text("abcdefxyz0123456789.:-_/", min_size=1, max_size=12)
                        .filter(lambda s: s != "-")),
}  # fmt: skip


@st.composite
def formats_and_rows(draw: st.DrawFn) -> tuple[tuple[str, ...], list[dict[str, object]]]:
    fields = draw(
        st.permutations([f for f, _, _ in FIELDS]).map(lambda p: p[: draw(st.integers(1, 40))])
    )
    rows = draw(st.lists(st.fixed_dictionaries({f: _VALUE["start" if f == "start" else str(t)] for f, _, t in FIELDS if f in fields}),
                         min_size=1, max_size=20))  # fmt: skip
    return tuple(fields), rows


@settings(max_examples=60, deadline=None)
@given(formats_and_rows())
def test_property_records_round_trip(case: tuple[tuple[str, ...], list[dict[str, object]]]) -> None:
    fields, rows = case
    text = "\n".join(" ".join("-" if r[f] is None else str(r[f]) for f in fields) for r in rows)
    result = parse_flowlogs(text.encode(), fields, "prop")
    assert result.rejects == []
    expected = [{column_name(f): r[f] for f in fields} for r in rows]
    assert result.table.to_pylist() == expected


def test_runs_of_spaces_between_fields_parse() -> None:
    """AWS's documentation prints records with two spaces between some fields."""
    one = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    data = (f"{FLOW_HEADER}\n{one}1418530010 1418530070 ACCEPT OK\n"
            f"{one.replace(' ', '  ', 3)}1418530010 1418530070  REJECT   OK\n").encode()  # fmt: skip
    result = parse_flowlogs(data, None, "doc")
    assert result.rejects == []
    assert result.table.column("action").to_pylist() == ["ACCEPT", "REJECT"]
    assert result.table.column("srcaddr").to_pylist() == ["172.31.16.139"] * 2
    no_header = parse_flowlogs(f"{one.replace(' ', '  ')}1418530010 1418530070 ACCEPT OK\n".encode(),
                               DEFAULT_FORMAT, "x")  # fmt: skip
    assert no_header.rejects == [] and no_header.table.num_rows == 1


def test_transit_gateway_flow_logs_parse_without_a_version_field() -> None:
    result = parse_flowlogs(f"{TGW_HEADER}\n{TGW_RECORD}\n".encode(), None, "tgw")
    assert result.rejects == [] and result.notices == []  # every field is known
    [row] = result.table.to_pylist()
    assert row["tgw_attachment_id"] == "tgw-attach-0a1b2c3d4e5f60719"
    assert row["tgw_dst_vpc_account_id"] == "444455556666"
    assert row["packets_lost_blackhole"] == 3 and row["bytes"] == 4200
    lake = as_lake_types(FLOW_LOGS, result.table)
    assert (
        lake.schema.field("packets_lost_blackhole").type
        == FLOW_LOGS.schema.field("packets_lost_blackhole").type
    )
