"""IPv4 addresses stored as integers at ingest, and the SQL helpers that use them."""

from __future__ import annotations

import ipaddress

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.formats.addresses import ipv4_integers
from vigil.query.duckdb import MACROS

CASES = [
    ("10.0.1.10", 167772426),
    ("255.255.255.255", 4294967295),
    ("0.0.0.0", 0),
    ("192.168.000.001", 3232235521),  # leading zeros read as decimal, like the SQL macro
    ("256.1.1.1", None),
    ("1.2.3", None),
    ("1.2.3.4.5", None),
    ("1..2.3", None),
    (".1.2.3", None),
    ("1.2.3.", None),
    ("1234.1.1.1", None),
    ("1.2.3.4 ", None),
    ("2001:db8::1", None),
    ("::ffff:1.2.3.4", None),
    ("-", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize("text_type", [pa.string(), pa.large_string()])
def test_known_cases(text_type: pa.DataType) -> None:
    texts = [text for text, _ in CASES]
    result = ipv4_integers(pa.array(texts, text_type))
    assert result.type == pa.uint32()
    assert result.to_pylist() == [value for _, value in CASES]


def test_slices_and_chunks() -> None:
    texts = [text for text, _ in CASES]
    expected = [value for _, value in CASES]
    assert ipv4_integers(pa.array(texts).slice(3, 5)).to_pylist() == expected[3:8]
    chunked = pa.chunked_array([pa.array(texts[:4]), pa.array(texts[4:])])
    assert ipv4_integers(chunked).to_pylist() == expected
    assert ipv4_integers(pa.array([], pa.string())).to_pylist() == []


@given(st.lists(st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))))
def test_agrees_with_ipaddress(texts: list[str]) -> None:
    expected = [int(ipaddress.ip_address(t)) if "." in t and ":" not in t else None for t in texts]
    assert ipv4_integers(pa.array(texts, pa.string())).to_pylist() == expected


def test_sql_macros_agree_with_stored_integers() -> None:
    texts = ["10.1.2.3", "172.16.0.1", "172.32.0.1", "192.168.9.9", "100.64.0.1", "100.128.0.1",
             "8.8.8.8", "2001:db8::1", "fd00::1", "fe80::1"]  # fmt: skip
    con = duckdb.connect()
    for macro in MACROS:
        con.execute(macro)
    table = pa.table({"ip": texts, "n": ipv4_integers(pa.array(texts))})
    con.register("t", table)
    rows = con.sql(
        "SELECT ip, ipv4_to_int(ip) = n, is_private_ip(ip), is_private_addr(n, ip) FROM t"
    ).fetchall()
    for ip, same, by_text, combined in rows:
        assert same is (None if ":" in ip else True), ip
        assert by_text == combined, ip
    private = {ip for ip, _, _, combined in rows if combined}
    assert private == {"10.1.2.3", "172.16.0.1", "192.168.9.9", "100.64.0.1", "fd00::1", "fe80::1"}
