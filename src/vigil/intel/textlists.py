"""Lists as text: GuardDuty's plain form and hosts files (read line by line, so one file may
mix them), and DNS response policy zones (RPZ zone files).

Plain: one address, CIDR or domain name per line, `#` comments. Hosts: an address, then names
(`0.0.0.0 bad.example`, `127.0.0.1 a.example b.example`, `:: bad.example`): the names are the
entries, whatever address they point to; localhost and other single-label names are the host's
own and skipped.

RPZ: `$ORIGIN` sets the zone's origin (else an absolute SOA owner does), `$TTL`, SOA and NS
records are skipped, owner names are relative to the origin (or absolute, ending in the origin,
which is stripped), an indented record keeps the owner before it. The policy is the record:
`CNAME .` (NXDOMAIN), `CNAME *.` (NODATA), `CNAME rpz-drop.`, a CNAME to a walled garden and
local data (A, AAAA, TXT) block the name; `CNAME rpz-passthru.` allows it (a trusted entry,
even in a threat file); `CNAME rpz-tcp-only.` neither. `<prefix>.<reversed address>.rpz-ip`
triggers are addresses (`32.4.3.2.1.rpz-ip` is 1.2.3.4/32; IPv6 groups reversed, `zz` for
`::`). Client-IP and name-server triggers say nothing about the name asked, so they are
reported and skipped. RPZ matches `bad.example` alone and `*.bad.example` below it; a list
here matches both ways for either form.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from vigil.intel.entries import Item, Parsed, read_items

_LOCAL: Final = frozenset({"localhost.localdomain", "0.0.0.0"})
_ZONE: Final = re.compile(r"^\s*\$(?:ORIGIN|TTL)\s|\s(?:SOA|CNAME)\s", re.MULTILINE | re.IGNORECASE)
_BLOCK_TARGETS: Final = frozenset({".", "*.", "rpz-drop."})
_UNUSED: Final = ("rpz-client-ip", "rpz-nsdname", "rpz-nsip")


def is_zone(text: str) -> bool:
    return _ZONE.search(text) is not None


def plain(text: str, source: str) -> Parsed:
    items = []
    for lineno, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        tokens = value.split()
        where = f"{source}:{lineno}"
        if len(tokens) > 1 and _is_ip(tokens[0]):  # a hosts line: an address, then names
            items += [Item(where, t, "name") for t in tokens[1:] if "." in t and t not in _LOCAL]
        elif value:
            items.append(Item(where, value))
    return read_items(items, source)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def zone(text: str, source: str) -> Parsed:
    origin, owner = "", "@"
    items: dict[tuple[str, bool], Item] = {}
    problems: list[str] = []
    for lineno, line in _records(text):
        where = f"{source}:{lineno}"
        tokens = line.split()
        if tokens[0].startswith("$"):
            if tokens[0].upper() == "$ORIGIN" and len(tokens) > 1:
                origin = _name(tokens[1], origin)
            elif tokens[0].upper() != "$TTL":
                problems.append(f"{where}: {tokens[0]} is not followed; the line is skipped")
            continue
        if not line[0].isspace():
            owner = tokens.pop(0)
        rtype, rdata = _type_and_data(tokens)
        if rtype == "SOA" and not origin and owner.endswith("."):
            origin = _name(owner, "")
        if rtype in ("SOA", "NS", "") or rdata == "rpz-tcp-only.":
            continue
        item = _trigger(where, _relative(owner, origin), rdata == "rpz-passthru.", problems)
        if item is not None:
            items.setdefault((item.value, item.allow), item)
    return read_items(list(items.values()), source, problems)


def _records(text: str) -> list[tuple[int, str]]:
    """(line number, record) with `;` comments dropped and `( … )` spans joined."""
    out: list[tuple[int, str]] = []
    depth, start, held = 0, 0, ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _uncomment(raw)
        if depth == 0:
            start, held = lineno, ""
        depth += line.count("(") - line.count(")")
        held += (" " if held else "") + line.replace("(", " ").replace(")", " ")
        if depth <= 0:
            depth = 0
            if held.strip():
                out.append((start, held.rstrip()))
    return out


def _uncomment(line: str) -> str:
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:i]
    return line


def _type_and_data(tokens: list[str]) -> tuple[str, str]:
    """The record's type and first datum, past its TTL and class."""
    while tokens and (tokens[0].isdigit() or tokens[0].upper() in ("IN", "CH", "HS")):
        tokens = tokens[1:]
    if not tokens:
        return "", ""
    rtype = tokens[0].upper()
    data = tokens[1].lower() if len(tokens) > 1 else ""
    if rtype == "CNAME" and data and data not in _BLOCK_TARGETS and not data.startswith("rpz-"):
        data = "."  # a walled garden: the name is still blocked
    return rtype, data


def _name(value: str, origin: str) -> str:
    value = value.lower()
    if value.endswith("."):
        return value[:-1]
    return f"{value}.{origin}" if origin else value


def _relative(owner: str, origin: str) -> str:
    """The owner without the zone's origin (`@`, the apex, is empty)."""
    owner = owner.lower()
    if owner == "@":
        return ""
    if not owner.endswith("."):
        return owner
    name = owner[:-1]
    if origin and (name == origin or name.endswith("." + origin)):
        return name[: -len(origin)].rstrip(".")
    return name


def _trigger(where: str, name: str, allow: bool, problems: list[str]) -> Item | None:
    if not name:
        return None
    head, _, kind = name.rpartition(".")
    if kind == "rpz-ip":
        return Item(where, _rpz_address(head), "address", allow)
    if kind in _UNUSED:
        problems.append(f"{where}: {kind} triggers are not used (only query names and addresses)")
        return None
    return Item(where, name, "name", allow)


def _rpz_address(value: str) -> str:
    """`32.4.3.2.1` → 1.2.3.4/32; `48.zz.bad.db8.2001` → 2001:db8:bad::/48."""
    prefix, _, rest = value.partition(".")
    parts = rest.split(".")[::-1]
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        return f"{'.'.join(parts)}/{prefix}"
    text = ":".join("" if p == "zz" else p for p in parts)
    text = (":" + text if text.startswith(":") else text) + (":" if text.endswith(":") else "")
    return f"{text}/{prefix}"
