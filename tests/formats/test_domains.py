"""Registered domains by the Public Suffix List, one name at a time and over Arrow columns."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest

from vigil.formats.domains import normalize_name, registered_domain, registered_domains


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("www.example.com", "example.com"),
        ("example.com", "example.com"),
        ("a.b.c.example.co.uk", "example.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        # private-section suffixes are suffixes: one user's site or bucket is its own domain
        ("alice.github.io", "alice.github.io"),
        ("docs.alice.github.io", "alice.github.io"),
        ("my-bucket.s3.amazonaws.com", "my-bucket.s3.amazonaws.com"),
        ("logs.my-bucket.s3.us-west-2.amazonaws.com", "my-bucket.s3.us-west-2.amazonaws.com"),
        # `*.compute-1.amazonaws.com` is on the list: an instance's name is itself a suffix
        (
            "www.ec2-203-0-113-5.compute-1.amazonaws.com",
            "www.ec2-203-0-113-5.compute-1.amazonaws.com",
        ),
        ("api.amazonaws.com", "amazonaws.com"),
        # case, trailing dot, internationalised names
        ("WWW.Example.CO.UK.", "example.co.uk"),
        ("www.bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("_dmarc.example.org", "example.org"),
    ],
)
def test_registered_domain(name: str, expected: str) -> None:
    assert registered_domain(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "co.uk", "com", "com.au", "github.io", "s3.amazonaws.com",  # bare suffixes
        "ec2-203-0-113-5.compute-1.amazonaws.com",
        "localhost", "ip-10-0-0-1",  # single labels
        "203.0.113.5", "2001:db8::1", "::1",  # addresses
        "5.113.0.203.in-addr.arpa", "1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "in-addr.arpa",
        "", ".", "a..example", "bad name.example", "x" * 64 + ".example", None,
    ],
)  # fmt: skip
def test_no_registered_domain(name: str | None) -> None:
    assert registered_domain(name) is None


def test_normalize_name_says_why() -> None:
    assert normalize_name("  Mail.Example.COM. ") == "mail.example.com"
    for bad, why in [("", "an empty name"), ("a..b", "an empty label"),
                     ("a b.example", "holds a character"), ("x" * 64 + ".e", "more than 63")]:  # fmt: skip
        with pytest.raises(ValueError, match=why):
            normalize_name(bad)


def test_registered_domains_over_arrow_arrays() -> None:
    names = pa.array(
        ["www.example.co.uk.", None, "co.uk", "a.github.io", "203.0.113.5", "X.Example.CO.UK"]
    )
    assert registered_domains(names).to_pylist() == [
        "example.co.uk", None, None, "a.github.io", None, "example.co.uk"
    ]  # fmt: skip
    chunked = pa.chunked_array([names[:3], names[3:]])
    assert registered_domains(chunked).to_pylist() == registered_domains(names).to_pylist()
    assert registered_domains(names.dictionary_encode()).to_pylist() == [
        "example.co.uk", None, None, "a.github.io", None, "example.co.uk"
    ]  # fmt: skip
    empty = registered_domains(pa.chunked_array([], pa.string()))
    assert empty.type == pa.string() and len(empty) == 0


def test_a_million_names_with_repetition_take_about_a_second() -> None:
    # resolver logs repeat a few thousand names; each distinct one is looked up once
    distinct = [f"host{i}.svc{i % 40}.example{i % 500}.com" for i in range(5000)]
    names = pa.array([distinct[(i * 7919) % 5000] for i in range(1_000_000)])
    registered_domains(names[:10])  # the list is loaded once, on first use
    began = time.perf_counter()
    out = registered_domains(names)
    elapsed = time.perf_counter() - began
    assert out[0].as_py() == "example0.com" and out.null_count == 0
    assert elapsed < 2.0, f"{elapsed:.2f} s for 1M names"
