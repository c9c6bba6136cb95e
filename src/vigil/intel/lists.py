"""Threat and trusted lists: addresses (ranges) and domain names, kept under
<home>/intel/{threat,trusted}/ and loaded into the detection engine.

Tables (`register`): `threat_list` and `trusted_list` hold address ranges; `domain_list` holds
the names of both kinds: (domain, kind 'threat' | 'trusted', list_name, category, reputation).
An allow rule inside a threat file (an RPZ `rpz-passthru`) is a trusted entry.

Names match by suffix: an entry matches the name itself and every name under it (`bad.example`
matches `bad.example` and `x.y.bad.example`, not `notbad.example`), names compared in lower case
without a trailing dot (`dns_name(n)`), internationalised labels in their `xn--` form as DNS logs
carry them. A trusted entry wins over every threat entry. Queries find a name's entries by
generating its suffixes (`dns_suffixes(n)`: `a.b.example` → [a.b.example, b.example, example])
and joining `domain_list` by equality, one hash join over the distinct names, never a LIKE scan
over the list:

    WITH names AS (SELECT DISTINCT dns_name(query_name) AS name FROM dns_logs WHERE …),
    hits AS (
        SELECT n.name, d.*
        FROM (SELECT name, unnest(dns_suffixes(name)) AS suffix FROM names) n
        JOIN domain_list d ON d.domain = n.suffix
    ),
    listed AS (  -- the most specific threat entry of each name no trusted entry holds
        SELECT name, domain, list_name, category, reputation FROM hits h
        WHERE kind = 'threat'
          AND NOT EXISTS (SELECT 1 FROM hits t WHERE t.name = h.name AND t.kind = 'trusted')
          -- a unit narrows here: AND category = 'phishing', AND reputation, AND NOT reputation
        QUALIFY row_number() OVER (PARTITION BY name ORDER BY length(domain) DESC, list_name) = 1
    )
    SELECT … FROM dns_logs q JOIN listed l ON l.name = dns_name(q.query_name)
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa

from vigil.errors import ConfigError
from vigil.inputs import read_text
from vigil.intel.entries import DomainEntry, Entry, Parsed
from vigil.intel.feeds import csv_feed, is_csv_feed, json_feed
from vigil.intel.listmeta import ListMeta, check_category, read_meta
from vigil.intel.textlists import is_zone, plain, zone
from vigil.query.engine import Engine

__all__ = ["KINDS", "DomainEntry", "Entry", "Kind", "Parsed", "parse_intel", "parse_list"]

Kind = Literal["threat", "trusted"]
KINDS: Final = ("threat", "trusted")


def parse_intel(text: str, source: str) -> Parsed:
    """Addresses, names and per-line problems (`file:line: …`); bad lines are skipped.

    Formats, told apart by their content: a JSON document is a STIX 2.x bundle or a MISP event,
    a CSV with an indicator (or type and value) column an OTX or MISP export, a text with
    `$ORIGIN`, `$TTL`, SOA or CNAME records an RPZ zone; any other text is read line by line
    as GuardDuty's plain form or a hosts file (see `feeds` and `textlists`).
    """
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return json_feed(text, source)
    if is_csv_feed(stripped.split("\n", 1)[0]):
        return csv_feed(text, source)
    return zone(text, source) if is_zone(text) else plain(text, source)


def parse_list(text: str, source: str) -> tuple[list[Entry], list[str]]:
    """The address entries alone, and every problem."""
    parsed = parse_intel(text, source)
    return parsed.addresses, parsed.problems


_INTERNAL: Final = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
              "100.64.0.0/10", "fc00::/7", "fe80::/10", "::1/128")
)  # fmt: skip


def _internal(network: str) -> bool:
    net = ipaddress.ip_network(network)
    return any(net.version == n.version and net.subnet_of(n) for n in _INTERNAL)  # type: ignore[arg-type]


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int], Parsed]] = {}


def read_file(path: Path) -> Parsed:
    """A list file read, kept while its size and time are unchanged (a server's detection
    opens its connection again every few seconds)."""
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        held = _cache.get(path)
    if held is not None and held[0] == stamp:
        return held[1]
    parsed = parse_intel(read_text(path, what="a threat list"), str(path))
    with _cache_lock:
        _cache[path] = (stamp, parsed)
    return parsed


def files(intel_dir: Path, kind: str) -> list[Path]:
    folder = intel_dir / kind
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def load(intel_dir: Path, kind: Kind) -> list[Entry]:
    """The address entries of one kind (a threat file's allow rules are trusted entries)."""
    return [
        e
        for folder in KINDS
        for path in files(intel_dir, folder)
        for e in read_file(path).addresses
        if (kind == "trusted" if e.allow else folder == kind)
    ]


def _lists(
    intel_dir: Path | None, extra: dict[str, list[Any]] | None
) -> Iterator[tuple[str, ListMeta, Parsed]]:
    """(kind, metadata, entries) of every list: the home's files, then a case's own."""
    meta = read_meta(intel_dir)
    for kind in KINDS:
        for path in files(intel_dir, kind) if intel_dir else []:
            yield kind, meta.get(f"{kind}/{path.name}", ListMeta()), read_file(path)
    for key, values in (extra or {}).items():
        # a case names its list "threat" (list case-threat) or "threat/<file name>"
        given, _, name = key.partition("/")
        if given in KINDS:
            for value in values:
                yield given, ListMeta(), parse_intel(str(value), name or f"case-{given}")
        elif given.endswith("_domains") and given[: -len("_domains")] in KINDS:
            for raw in values if isinstance(values, list) else [values]:
                yield case_list(given[: -len("_domains")], raw)


def case_list(kind: str, raw: Any) -> tuple[str, ListMeta, Parsed]:
    """A case's list with its metadata: `{list, category, reputation, entries}`."""
    known = {"list", "category", "reputation", "entries"}
    if not isinstance(raw, dict) or set(raw) - known or not isinstance(raw.get("entries"), list):
        raise ConfigError(
            f"{kind}_domains takes lists of {{list, category, reputation, entries}}, not {raw!r}",
            hint='{list: feed.txt, category: phishing, reputation: true, entries: ["x.example"]}',
        )
    meta = ListMeta(check_category(raw.get("category")), raw.get("reputation") is True)
    text = "\n".join(str(v) for v in raw["entries"])
    return kind, meta, parse_intel(text, str(raw.get("list") or f"case-{kind}"))


def register(
    engine: Engine,
    intel_dir: Path | None,
    extra: dict[str, list[Any]] | None = None,
) -> None:
    """Tables `threat_list` and `trusted_list` (network, version, lo, hi, prefix, net_key, lo6,
    hi6, list_name) and `domain_list` (see the module's notes). IPv4: `addr >> (32 - prefix) =
    net_key` is an equality, so large lists join by hash per prefix length (a `BETWEEN lo AND
    hi` join is a range join, slow on big lists). IPv6: `ipv6_key(addr) BETWEEN lo6 AND hi6`,
    the address as 32 hex digits, which sort like the numbers."""
    ranges: dict[str, list[Entry]] = {kind: [] for kind in KINDS}
    names: dict[str, list[Any]] = {c: [] for c in DOMAIN_COLUMNS}
    for kind, meta, parsed in _lists(intel_dir, extra):
        for entry in parsed.addresses:
            ranges["trusted" if entry.allow else kind].append(entry)
        for d in parsed.domains:
            row = (d.domain, "trusted" if d.allow else kind, d.list_name, meta.category,
                   meta.reputation)  # fmt: skip
            for column, value in zip(DOMAIN_COLUMNS, row, strict=True):
                names[column].append(value)
    for kind in KINDS:
        # As in GuardDuty, lists speak of public addresses: private and reserved ranges on a
        # list would only match your own hosts.
        entries = [e for e in ranges[kind] if not _internal(e.network)]
        engine.load_table(f"{kind}_list", _range_table(entries))
    engine.load_table("domain_list", pa.table(names, schema=DOMAIN_SCHEMA))
    for macro in DNS_MACROS:
        engine.execute(macro)
    engine.define_trusted_addr()


# The names as `domain_list` holds them, and a name's suffixes, itself first.
DNS_MACROS: Final = (
    "CREATE OR REPLACE MACRO dns_name(n) AS rtrim(lower(n), '.')",
    "CREATE OR REPLACE MACRO dns_suffixes(n) AS list_transform("
    "generate_series(1, array_length(string_split(dns_name(n), '.'))), "
    "lambda i: array_to_string(list_slice(string_split(dns_name(n), '.'), i, -1), '.'))",
)


DOMAIN_SCHEMA: Final = pa.schema([
    ("domain", pa.string()), ("kind", pa.string()), ("list_name", pa.string()),
    ("category", pa.string()), ("reputation", pa.bool_()),
])  # fmt: skip
DOMAIN_COLUMNS: Final = tuple(DOMAIN_SCHEMA.names)


def _range_table(entries: list[Entry]) -> pa.Table:
    return pa.table(
        {
            "network": pa.array([e.network for e in entries], pa.string()),
            "version": pa.array([e.version for e in entries], pa.int8()),
            "lo": pa.array([e.lo if e.version == 4 else None for e in entries], pa.uint64()),
            "hi": pa.array([e.hi if e.version == 4 else None for e in entries], pa.uint64()),
            "prefix": pa.array([_prefix(e) for e in entries], pa.int16()),
            "net_key": pa.array(
                [e.lo >> (32 - _prefix(e)) if e.version == 4 else None for e in entries],
                pa.uint64(),
            ),
            "lo6": pa.array([_hex(e.lo) if e.version == 6 else None for e in entries]),
            "hi6": pa.array([_hex(e.hi) if e.version == 6 else None for e in entries]),
            "list_name": pa.array([e.list_name for e in entries], pa.string()),
        }
    )


def _prefix(entry: Entry) -> int:
    return ipaddress.ip_network(entry.network).prefixlen


def _hex(value: int) -> str:
    return f"{value:032x}"
