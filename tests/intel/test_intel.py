"""Threat and trusted lists in GuardDuty's plain text, STIX 2.x and OTX CSV."""

from __future__ import annotations

import json

from vigil.intel.lists import parse_list


def test_plain_text_with_comments_and_bad_lines() -> None:
    entries, problems = parse_list(
        "# bad hosts\n203.0.113.250\n198.51.100.0/30  # a range\n\nnope\n2001:db8::/32\n", "bad.txt"
    )
    assert [e.network for e in entries] == ["203.0.113.250/32", "198.51.100.0/30", "2001:db8::/32"]
    assert [e.version for e in entries] == [4, 4, 6]
    assert entries[1].hi - entries[1].lo == 3
    assert problems == [
        "bad.txt:5: 'nope' is not an IP address or CIDR, nor a name "
        "(one label; *.nope lists a whole top-level domain)"
    ]


def test_stix_bundle() -> None:
    bundle = {"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "id": "indicator--1", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '203.0.113.7']"},
        {"type": "indicator", "id": "indicator--2", "pattern_type": "stix",
         "pattern": "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] OR [ipv6-addr:value = '2001:db8::1']"},
        {"type": "indicator", "id": "indicator--3", "pattern_type": "stix", "pattern": "[domain-name:value = 'evil.example']"},
        {"type": "indicator", "id": "indicator--4", "pattern_type": "stix", "pattern": "[file:name = 'x.exe']"},
        {"type": "malware", "id": "malware--1", "name": "x"},
    ]}  # fmt: skip
    entries, problems = parse_list(json.dumps(bundle), "feed.json")
    assert [e.network for e in entries] == ["203.0.113.7/32", "198.51.100.0/24", "2001:db8::1/128"]
    # domain-name patterns are domain entries now (tests/intel/test_domain_lists.py)
    assert problems == [
        "feed.json: indicator indicator--4 has no IP address or domain name pattern"
    ]


def test_otx_csv() -> None:
    text = "Indicator type,Indicator,Description\nIPv4,203.0.113.9,C2\ndomain,evil.example,\nIPv4,300.1.1.1,typo\n"
    entries, problems = parse_list(text, "pulse.csv")
    assert [e.network for e in entries] == ["203.0.113.9/32"]
    assert problems == ["pulse.csv:4: '300.1.1.1' is not an IP address or CIDR"]


def test_lists_apply_to_public_addresses_only() -> None:
    from vigil.intel.lists import register
    from vigil.query.engine import open_engine

    con = open_engine(None)
    register(con, None, {"threat": ["10.0.0.0/8", "8.8.8.8", "192.168.1.1"]})
    assert [r[0] for r in con.rows("SELECT network FROM threat_list")] == ["8.8.8.8/32"]


def test_ranges_match_by_prefix_key_and_ipv6_key() -> None:
    from vigil.intel.lists import register
    from vigil.query.engine import open_engine

    con = open_engine(None)
    register(con, None, {"threat": ["203.0.113.0/24", "198.51.100.7", "2001:db8:bad::/48"],
                         "trusted": ["203.0.113.9", "2001:db8:bad::1"]})  # fmt: skip
    rows = con.rows("SELECT network, prefix, net_key, lo6, hi6 FROM threat_list ORDER BY network")
    assert rows == [
        ("198.51.100.7/32", 32, (198 << 24) + (51 << 16) + (100 << 8) + 7, None, None),
        ("2001:db8:bad::/48", 48, None, "20010db80bad" + "0" * 20, "20010db80bad" + "f" * 20),
        ("203.0.113.0/24", 24, (203 << 16) + (0 << 8) + 113, None, None),
    ]
    listed = (
        "SELECT EXISTS (SELECT 1 FROM threat_list t WHERE "
        "t.net_key = CAST(ipv4_to_int(?) AS UBIGINT) >> (32 - t.prefix) "
        "OR ipv6_key(?) BETWEEN t.lo6 AND t.hi6)"
    )
    for ip, expected in [("203.0.113.77", True), ("203.0.114.1", False), ("198.51.100.7", True),
                         ("2001:db8:bad:ffff::1", True), ("2001:db8:bae::1", False)]:  # fmt: skip
        assert con.rows(listed, [ip, ip])[0][0] is expected, ip
    trusted = "SELECT is_trusted_addr(ipv4_to_int(?), ?)"
    for ip, expected in [("203.0.113.9", True), ("203.0.113.8", False),
                         ("2001:db8:bad::1", True), ("2001:db8:bad::2", False)]:  # fmt: skip
        assert con.rows(trusted, [ip, ip])[0][0] is expected, ip
