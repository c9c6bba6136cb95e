"""Domain names in threat and trusted lists: every format, mixed files, bad lines named by file
and line, IDNA, category and reputation kept through add/list/remove, the `domain_list` table
and the suffix join that matches a name's parents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import vigil
from vigil.errors import ConfigError, FormatError
from vigil.intel import catalog
from vigil.intel.lists import parse_intel, register
from vigil.query.engine import open_engine


def names(text: str, source: str = "list.txt") -> list[str]:
    return [d.domain for d in parse_intel(text, source).domains]


def test_plain_text_mixes_addresses_and_names_with_wildcards() -> None:
    text = (
        "# feed\n203.0.113.9\nBad.Example.\n*.evil.example\n.worse.example  # a comment\n"
        "198.51.100.0/24\nbad.example\n"
    )
    parsed = parse_intel(text, "/x/feed.txt")
    assert [e.network for e in parsed.addresses] == ["203.0.113.9/32", "198.51.100.0/24"]
    # bad.example twice (once with a trailing dot): one entry
    assert [d.domain for d in parsed.domains] == ["bad.example", "evil.example", "worse.example"]
    assert {d.list_name for d in parsed.domains} == {"feed.txt"} and parsed.problems == []


def test_bad_lines_are_named_by_file_and_line_and_the_rest_is_taken() -> None:
    long_label = "a" * 64 + ".example"
    text = f"ok.example\nnope\nbad..example\n{long_label}\nsp ace.example\n300.1.1.1\n*.zip\n"
    parsed = parse_intel(text, "feed.txt")
    assert [d.domain for d in parsed.domains] == ["ok.example", "zip"]
    assert parsed.problems == [
        "feed.txt:2: 'nope' is not an IP address or CIDR, nor a name "
        "(one label; *.nope lists a whole top-level domain)",
        "feed.txt:3: 'bad..example' is not an IP address or CIDR, nor a name (an empty label)",
        f"feed.txt:4: {long_label!r} is not an IP address or CIDR, nor a name "
        "(a label of 64 characters, more than 63)",
        "feed.txt:5: 'sp ace.example' is not an IP address or CIDR, nor a name "
        "('sp ace' holds a character a name cannot)",
        "feed.txt:6: '300.1.1.1' is not an IP address or CIDR",
    ]


def test_names_longer_than_253_characters_are_refused() -> None:
    name = ".".join(["a" * 60] * 5)  # 304 characters
    assert parse_intel(name, "f.txt").problems == [
        f"f.txt:1: {name!r} is not an IP address or CIDR, nor a name "
        "(304 characters, more than a name's 253)"
    ]


def test_internationalised_names_are_kept_in_their_ascii_form() -> None:
    assert names("bücher.example\nBÜCHER.example\nxn--bcher-kva.example\n日本語.example\n") == [
        "xn--bcher-kva.example",
        "xn--wgv71a119e.example",
    ]


def test_hosts_files_give_their_names_and_skip_the_hosts_own() -> None:
    text = (
        "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"
        "127.0.0.1 localhost.localdomain\n0.0.0.0 0.0.0.0\n"
        "0.0.0.0 ads.example\n127.0.0.1 a.example b.example # two\n:: c.example\n"
        "203.0.113.5\n"
    )
    parsed = parse_intel(text, "hosts")
    assert [d.domain for d in parsed.domains] == ["ads.example", "a.example", "b.example",
                                                  "c.example"]  # fmt: skip
    assert [e.network for e in parsed.addresses] == ["203.0.113.5/32"]
    assert parsed.problems == []


RPZ = """$TTL 300
$ORIGIN rpz.example.org.
@ IN SOA ns1.example.org. hostmaster.example.org. (
        2024030101 ; serial
        3600 600 86400 300 )
  IN NS ns1.example.org.
; blocked names
bad.example          CNAME .
*.bad.example        CNAME .
nodata.example   300 IN CNAME *.
dropped.example      CNAME rpz-drop.
garden.example       CNAME walled-garden.example.org.
local.example        A 192.0.2.1
                     TXT "blocked; ticket 7"
abs.example.rpz.example.org. CNAME .
ok.bad.example       CNAME rpz-passthru.
tcp.example          CNAME rpz-tcp-only.
32.9.113.0.203.rpz-ip   CNAME .
48.zz.bad.db8.2001.rpz-ip CNAME .
32.1.100.51.198.rpz-ip  CNAME rpz-passthru.
24.0.2.0.192.rpz-client-ip CNAME rpz-drop.
bad..example CNAME .
"""


def test_rpz_zones_block_allow_and_strip_the_origin() -> None:
    parsed = parse_intel(RPZ, "/feeds/policy.rpz")
    blocked = [d.domain for d in parsed.domains if not d.allow]
    assert blocked == ["bad.example", "nodata.example", "dropped.example", "garden.example",
                       "local.example", "abs.example"]  # fmt: skip
    assert [d.domain for d in parsed.domains if d.allow] == ["ok.bad.example"]
    assert [(e.network, e.allow) for e in parsed.addresses] == [
        ("203.0.113.9/32", False),
        ("2001:db8:bad::/48", False),
        ("198.51.100.1/32", True),
    ]
    assert parsed.problems == [
        "/feeds/policy.rpz:21: rpz-client-ip triggers are not used (only query names and "
        "addresses)",
        "/feeds/policy.rpz:22: 'bad..example' is not a domain name (an empty label)",
    ]


def test_an_rpz_zone_without_origin_takes_the_soa_owner() -> None:
    text = "rpz.local. 60 IN SOA ns. admin. 1 2 3 4 5\nx.example.rpz.local. CNAME .\ny.example CNAME .\n"
    assert names(text) == ["x.example", "y.example"]


def test_stix_domain_name_patterns_beside_addresses() -> None:
    bundle = {"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
         "pattern": "[domain-name:value = 'Phish.Example'] OR [ipv4-addr:value = '203.0.113.7']"},
        {"type": "indicator", "id": "indicator--2", "pattern_type": "stix",
         "pattern": "[domain-name:value = 'bad..example']"},
    ]}  # fmt: skip
    parsed = parse_intel(json.dumps(bundle), "stix.json")
    assert [d.domain for d in parsed.domains] == ["phish.example"]
    assert [e.network for e in parsed.addresses] == ["203.0.113.7/32"]
    assert parsed.problems == [
        "stix.json: indicator indicator--2: 'bad..example' is not a domain name (an empty label)"
    ]


def test_misp_event_attributes_and_objects() -> None:
    event = {"Event": {"info": "phishing wave", "Attribute": [
        {"uuid": "a1", "type": "domain", "value": "login-portal.example", "to_ids": True},
        {"uuid": "a2", "type": "hostname", "value": "cdn.phish.example"},
        {"uuid": "a3", "type": "domain|ip", "value": "c2.example|198.51.100.23"},
        {"uuid": "a4", "type": "ip-dst", "value": "203.0.113.44"},
        {"uuid": "a5", "type": "ip-src|port", "value": "192.0.2.99|4444"},
        {"uuid": "a6", "type": "url", "value": "https://Drop.Example:8443/upload?id=1"},
        {"uuid": "a7", "type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
        {"uuid": "a8", "type": "domain", "value": "-bad-.exa mple"},
    ], "Object": [{"name": "domain-ip", "Attribute": [
        {"uuid": "o1", "type": "domain", "value": "obj.example"},
    ]}]}}  # fmt: skip
    parsed = parse_intel(json.dumps(event), "misp.json")
    assert [d.domain for d in parsed.domains] == [
        "login-portal.example", "cdn.phish.example", "c2.example", "drop.example", "obj.example"
    ]  # fmt: skip
    assert [e.network for e in parsed.addresses] == [
        "198.51.100.23/32", "203.0.113.44/32", "192.0.2.99/32"
    ]  # fmt: skip
    assert parsed.problems == [
        "misp.json: attribute a8: '-bad-.exa mple' is not a domain name "
        "('exa mple' holds a character a name cannot)"
    ]


def test_misp_and_otx_csv_exports() -> None:
    misp = (
        "uuid,event_id,category,type,value,comment,to_ids,date\n"
        "u1,7,Network activity,domain,evil.example,,1,1709251200\n"
        "u2,7,Network activity,ip-dst,203.0.113.8,,1,1709251200\n"
        "u3,7,Payload delivery,md5,d41d8cd98f00b204e9800998ecf8427e,,1,1709251200\n"
        "u4,7,Network activity,url,http://dl.evil.example/x.sh,,1,1709251200\n"
        "u5,7,Network activity,hostname,bad_host..example,,1,1709251200\n"
    )
    parsed = parse_intel(misp, "misp.csv")
    assert [d.domain for d in parsed.domains] == ["evil.example", "dl.evil.example"]
    assert [e.network for e in parsed.addresses] == ["203.0.113.8/32"]
    assert parsed.problems == [
        "misp.csv:6: 'bad_host..example' is not a domain name (an empty label)"
    ]
    otx = "Indicator type,Indicator,Description\nIPv4,203.0.113.9,C2\ndomain,evil.example,\nhostname,www.evil.example,\n"
    assert names(otx, "pulse.csv") == ["evil.example", "www.evil.example"]


def test_catalog_keeps_category_and_reputation_beside_the_file(tmp_path: Path) -> None:
    intel = tmp_path / "intel"
    feed = tmp_path / "phish.rpz"
    feed.write_text(RPZ)
    added = catalog.add(intel, "threat", feed, category="Phishing", reputation=True)
    assert (added.entries, added.domains, added.category, added.reputation) == (
        10,
        7,
        "phishing",
        True,
    )
    own = tmp_path / "own.txt"
    own.write_text("mine.example\n203.0.113.1\n")
    assert catalog.add(intel, "trusted", own).category is None
    lists = {x.name: x for x in catalog.listing(intel)}
    assert (lists["phish.rpz"].category, lists["phish.rpz"].reputation) == ("phishing", True)
    assert (lists["own.txt"].entries, lists["own.txt"].domains) == (2, 1)
    assert not lists["own.txt"].reputation
    catalog.remove(intel, "phish.rpz")
    assert json.loads((intel / "lists.meta.json").read_text()) == {}
    catalog.add(intel, "threat", feed)  # added again without: no category
    assert catalog.listing(intel)[0].category is None


def test_bad_categories_and_empty_files_are_refused(tmp_path: Path) -> None:
    feed = tmp_path / "f.txt"
    feed.write_text("bad.example\n")
    for category in ("two words", "x" * 33, "phish!", ""):
        with pytest.raises(ConfigError, match="is not one word"):
            catalog.add(tmp_path / "intel", "threat", feed, category=category)
    with pytest.raises(ConfigError, match="no category or reputation"):
        catalog.add(tmp_path / "intel", "accounts", feed, reputation=True)
    feed.write_text("# nothing\nnope\n")
    with pytest.raises(FormatError, match="no IP address, CIDR or domain name"):
        catalog.add(tmp_path / "intel", "threat", feed)


def test_the_command_line_adds_lists_with_a_category_and_shows_them(tmp_path: Path) -> None:
    home, feed = tmp_path / "home", tmp_path / "c2.txt"
    feed.write_text("0.0.0.0 c2.example\nnope\n")
    added = vigil(home, "intel", "add", "--threat", str(feed), "--category", "c2", "--json")
    doc = json.loads(added.stdout)
    assert (doc["list"], doc["entries"], doc["domains"], doc["category"]) == ("c2.txt", 1, 1, "c2")
    assert "c2.txt:2: 'nope'" in doc["problems"][0]
    shown = vigil(home, "intel", "list")
    assert "c2.txt" in shown.stdout and "c2" in shown.stdout
    bad = vigil(home, "intel", "add", "--threat", str(feed), "--category", "C&C")
    assert bad.returncode == 1 and "'C&C' is not one word" in bad.stderr


def test_register_loads_files_with_their_metadata_and_case_lists(tmp_path: Path) -> None:
    intel = tmp_path / "intel"
    feed = tmp_path / "feed.rpz"
    feed.write_text("$ORIGIN rpz.test.\nbad.example CNAME .\nok.bad.example CNAME rpz-passthru.\n")
    catalog.add(intel, "threat", feed, category="malicious", reputation=True)
    con = open_engine(None)
    register(con, intel, {
        "threat": ["case.example"],
        "threat_domains": [{"list": "phish.txt", "category": "phishing",
                            "entries": ["login.example", "203.0.113.50"]}],
        "trusted_domains": [{"entries": ["safe.example"]}],
    })  # fmt: skip
    assert con.rows("SELECT * FROM domain_list ORDER BY kind, domain, list_name") == [
        ("bad.example", "threat", "feed.rpz", "malicious", True),
        ("case.example", "threat", "case-threat", None, False),
        ("login.example", "threat", "phish.txt", "phishing", False),
        ("ok.bad.example", "trusted", "feed.rpz", "malicious", True),
        ("safe.example", "trusted", "case-trusted", None, False),
    ]
    assert con.rows("SELECT network, list_name FROM threat_list") == [
        ("203.0.113.50/32", "phish.txt")
    ]
    with pytest.raises(ConfigError, match="threat_domains takes lists"):
        register(con, None, {"threat_domains": [{"entries": "x.example", "colour": "red"}]})


MATCH = """
WITH names AS (SELECT DISTINCT dns_name(query_name) AS name FROM queries),
hits AS (
    SELECT n.name, d.*
    FROM (SELECT name, unnest(dns_suffixes(name)) AS suffix FROM names) n
    JOIN domain_list d ON d.domain = n.suffix
),
listed AS (
    SELECT name, domain, list_name, category, reputation FROM hits h
    WHERE kind = 'threat'
      AND NOT EXISTS (SELECT 1 FROM hits t WHERE t.name = h.name AND t.kind = 'trusted')
    QUALIFY row_number() OVER (PARTITION BY name ORDER BY length(domain) DESC, list_name) = 1
)
SELECT q.query_name, l.domain, l.category FROM queries q
JOIN listed l ON l.name = dns_name(q.query_name) ORDER BY q.query_name
"""


def test_the_suffix_join_matches_names_under_an_entry_and_trusted_wins() -> None:
    con = open_engine(None)
    register(con, None, {
        "threat_domains": [
            {"list": "malware.txt", "category": "malware", "entries": ["bad.example"]},
            {"list": "c2.txt", "category": "c2", "entries": ["c2.bad.example"]},
        ],
        "trusted": ["update.bad.example"],
    })  # fmt: skip
    con.execute(
        "CREATE TABLE queries AS SELECT * FROM (VALUES ('bad.example.'), ('X.Y.Bad.Example.'), "
        "('beacon.c2.bad.example.'), ('update.bad.example.'), ('cdn.update.bad.example.'), "
        "('notbad.example.'), ('example.'), (NULL)) AS t(query_name)"
    )
    assert con.rows(MATCH) == [
        ("X.Y.Bad.Example.", "bad.example", "malware"),
        ("bad.example.", "bad.example", "malware"),
        ("beacon.c2.bad.example.", "c2.bad.example", "c2"),  # the most specific entry
    ]
    assert con.rows("SELECT dns_suffixes('A.b.Example.')") == [
        (["a.b.example", "b.example", "example"],)
    ]
    # the list is joined by equality on the suffix (a hash join), never scanned with LIKE
    plan = "\n".join(str(r[1]) for r in con.rows("EXPLAIN " + MATCH))
    assert "Hash Join" in plan and re.search(r"domain = suffix|suffix = domain", plan)
    assert "like" not in plan.lower() and "suffix(" not in plan.lower()
