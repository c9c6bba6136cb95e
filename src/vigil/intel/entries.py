"""What a list file holds once read: address ranges and domain names, each with the list it
came from, and the values that could not be read (`file:line: reason`).

A value is told apart by its form: an address or CIDR is a range; anything else is a domain
name, normalised by `vigil.formats.domains` (lower case, no trailing dot, IDNA). `*.name` and
`.name` mean the name and everything under it, which is what every domain entry means anyway.
A single label is refused unless written `*.tld`: a bare word in a list is far more often a
slip than a whole top-level domain.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vigil.formats.domains import is_address_like, normalize_name

Want = Literal["any", "address", "name"]


@dataclass(frozen=True)
class Entry:
    network: str
    version: int
    lo: int
    hi: int
    list_name: str
    allow: bool = False  # an allow rule in a block list (RPZ passthru): trusted, whatever the kind


@dataclass(frozen=True)
class DomainEntry:
    domain: str
    list_name: str
    allow: bool = False


@dataclass(frozen=True)
class Item:
    """One value to read: where it stands (`file:line` or `file: indicator …`) and its text."""

    where: str
    value: str
    want: Want = "any"
    allow: bool = False


@dataclass
class Parsed:
    addresses: list[Entry] = field(default_factory=list)
    domains: list[DomainEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.addresses) + len(self.domains)


def read_items(items: list[Item], source: str, problems: list[str] | None = None) -> Parsed:
    """The items as entries; the ones that are neither an address nor a name are problems
    (after `problems`, the format's own)."""
    list_name = Path(source).name
    parsed = Parsed(problems=list(problems or []))
    seen: set[tuple[str, bool]] = set()  # `x` and `*.x` are one entry
    for item in items:
        value = item.value.strip()
        if item.want != "name":
            net = _network(value)
            if net is not None:
                parsed.addresses.append(
                    Entry(str(net), net.version, int(net.network_address),
                          int(net.broadcast_address), list_name, item.allow)
                )  # fmt: skip
                continue
        try:
            if item.want == "address" or is_address_like(value):
                raise LookupError
            domain = domain_value(value)
            if (domain, item.allow) not in seen:
                seen.add((domain, item.allow))
                parsed.domains.append(DomainEntry(domain, list_name, item.allow))
        except LookupError:
            parsed.problems.append(f"{item.where}: {value!r} is not an IP address or CIDR")
        except ValueError as exc:
            what = "a domain name" if item.want == "name" else "an IP address or CIDR, nor a name"
            parsed.problems.append(f"{item.where}: {value!r} is not {what} ({exc})")
    return parsed


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def domain_value(value: str) -> str:
    """A list's domain entry normalised: `*.x` and `.x` are `x`; a single label needs `*.`."""
    wildcard = value.startswith(("*.", "."))
    name = normalize_name(value[2:] if value.startswith("*.") else value[1:] if wildcard else value)
    if "." not in name and not wildcard:
        raise ValueError(f"one label; *.{name} lists a whole top-level domain")
    return name
