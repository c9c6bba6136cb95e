"""Threat and trusted IP lists in GuardDuty's plain-text form: one address or CIDR per line,
`#` comments. Kept under <home>/intel/{threat,trusted}/ and loaded into DuckDB as ranges."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pyarrow as pa

from vigil.inputs import read_text
from vigil.query.engine import Engine

Kind = Literal["threat", "trusted"]
KINDS: Final = ("threat", "trusted")


@dataclass(frozen=True)
class Entry:
    network: str
    version: int
    lo: int
    hi: int
    list_name: str


_STIX_ADDRESS: Final = re.compile(r"\b(?:ipv4|ipv6)-addr:value\s*(?:=|ISSUBSET)\s*'([^']+)'")


def parse_list(text: str, source: str) -> tuple[list[Entry], list[str]]:
    """Entries and per-line problems (`file:line: …`); bad lines are skipped, not fatal.

    Formats, told apart by their content: GuardDuty's plain text (one address or CIDR per line,
    `#` comments), a STIX 2.x bundle (indicators with ipv4-addr/ipv6-addr patterns) and an OTX
    pulse CSV export (columns `Indicator type`, `Indicator`).
    """
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        return _stix(text, source)
    first = stripped.split("\n", 1)[0].lower()
    if "indicator" in first and "," in first:
        return _otx(text, source)
    values = [(n, line.split("#", 1)[0].strip()) for n, line in enumerate(text.splitlines(), 1)]
    return _entries([(n, v) for n, v in values if v], source)


def _entries(values: list[tuple[int, str]], source: str) -> tuple[list[Entry], list[str]]:
    entries, problems = [], []
    for lineno, value in values:
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            problems.append(f"{source}:{lineno}: {value!r} is not an IP address or CIDR")
            continue
        entries.append(
            Entry(str(net), net.version, int(net.network_address), int(net.broadcast_address),
                  Path(source).name)
        )  # fmt: skip
    return entries, problems


def _stix(text: str, source: str) -> tuple[list[Entry], list[str]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [f"{source}:{exc.lineno}: not valid JSON: {exc.msg}"]
    except RecursionError:
        return [], [f"{source}: JSON nested too deeply to read"]
    except ValueError as exc:  # an integer of thousands of digits
        return [], [f"{source}: cannot read the JSON: {exc}"]
    objects = doc.get("objects", []) if isinstance(doc, dict) else doc
    values: list[tuple[int, str]] = []
    problems: list[str] = []
    for index, obj in enumerate(objects if isinstance(objects, list) else []):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        found = _STIX_ADDRESS.findall(str(obj.get("pattern", "")))
        if not found:
            problems.append(f"{source}: indicator {obj.get('id', index)} has no IP address pattern")
        values += [(index + 1, v) for v in found]
    entries, bad = _entries(values, source)
    return entries, problems + bad


def _otx(text: str, source: str) -> tuple[list[Entry], list[str]]:
    try:
        return _otx_rows(text, source)
    except csv.Error as exc:
        return [], [f"{source}: not a readable CSV: {exc}"]


def _otx_rows(text: str, source: str) -> tuple[list[Entry], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.lower().strip(): name for name in reader.fieldnames or []}
    kind, value = fields.get("indicator type") or fields.get("type"), fields.get("indicator")
    if value is None:
        return [], [f"{source}:1: no Indicator column in the CSV header"]
    values = []
    for lineno, row in enumerate(reader, start=2):
        if kind is None or str(row.get(kind, "")).strip().lower() in ("ipv4", "ipv6", "cidr"):
            values.append((lineno, str(row.get(value, "")).strip()))
    return _entries(values, source)


_INTERNAL: Final = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
              "100.64.0.0/10", "fc00::/7", "fe80::/10", "::1/128")
)  # fmt: skip


def _internal(network: str) -> bool:
    net = ipaddress.ip_network(network)
    return any(net.version == n.version and net.subnet_of(n) for n in _INTERNAL)  # type: ignore[arg-type]


def load(intel_dir: Path, kind: Kind) -> list[Entry]:
    entries: list[Entry] = []
    folder = intel_dir / kind
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            entries += parse_list(read_text(path, what="a threat list"), str(path))[0]
    return entries


def register(
    engine: Engine,
    intel_dir: Path | None,
    extra: dict[str, list[str]] | None = None,
) -> None:
    """Tables `threat_list` and `trusted_list` (network, version, lo, hi, prefix, net_key, lo6,
    hi6, list_name). IPv4: `addr >> (32 - prefix) = net_key` is an equality, so large lists
    join by hash per prefix length (a `BETWEEN lo AND hi` join is a range join, slow on big
    lists). IPv6: `ipv6_key(addr) BETWEEN lo6 AND hi6`, the address as 32 hex digits, which
    sort like the numbers."""
    for kind in KINDS:
        entries = load(intel_dir, kind) if intel_dir else []
        for key, values in (extra or {}).items():
            # a case names its list "threat" (list case-threat) or "threat/<file name>"
            given, _, name = key.partition("/")
            for value in values if given == kind else ():
                entries += parse_list(value, name or f"case-{kind}")[0]
        # As in GuardDuty, lists speak of public addresses: private and reserved ranges on a
        # list would only match your own hosts.
        entries = [e for e in entries if not _internal(e.network)]
        table = pa.table(
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
        engine.load_table(f"{kind}_list", table)
    engine.define_trusted_addr()


def _prefix(entry: Entry) -> int:
    return ipaddress.ip_network(entry.network).prefixlen


def _hex(value: int) -> str:
    return f"{value:032x}"
