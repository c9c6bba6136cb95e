"""What is known about an address without the lake: the AWS service and Region whose published
range holds it (ip-ranges.json), the threat and trusted lists that hold it, and its country
and network from the user's GeoIP database."""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from vigil.inputs import load_json
from vigil.intel.aws_ranges import Ranges, current, parse_ranges
from vigil.intel.lists import KINDS, load
from vigil.query.geoip import Place, folder, installed, lookup

# Private as the engine's `is_private_ip` means it (RFC 1918, carrier-grade NAT, unique-local,
# link-local), not Python's wider `is_private`, which holds the documentation ranges too.
PRIVATE: Final = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fe80::/10",
))  # fmt: skip


@dataclass(frozen=True)
class AwsRange:
    network: str
    service: str
    region: str


@dataclass(frozen=True)
class AddressContext:
    address: str
    private: bool
    aws: list[AwsRange] = field(default_factory=list)  # most specific first
    lists: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, list, network)
    place: Place | None = None  # None: no GeoIP database installed
    geoip_installed: bool = False

    @property
    def threat_lists(self) -> list[str]:
        return [name for kind, name, _ in self.lists if kind == "threat"]


_lock = threading.Lock()
_ranges: dict[Path, tuple[float, Ranges]] = {}


def _aws(intel_dir: Path) -> Ranges | None:
    path = current(intel_dir)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        held = _ranges.get(path)
        if held is None or held[0] != mtime:
            held = (mtime, parse_ranges(load_json(path), str(path)))
            _ranges[path] = held
        return held[1]


def address_context(home: Path, address: str) -> AddressContext:
    ip = ipaddress.ip_address(address)
    intel_dir = home / "intel"
    found: list[AwsRange] = []
    ranges = _aws(intel_dir) if ip.version == 4 else None
    n = int(ip)
    for network, lo, hi, region, service in ranges.v4 if ranges else []:
        if lo <= n <= hi:
            found.append(AwsRange(network, service, region))
    found.sort(key=lambda r: (-ipaddress.ip_network(r.network).prefixlen, r.service == "AMAZON"))
    lists = [
        (kind, entry.list_name, entry.network)
        for kind in KINDS
        for entry in load(intel_dir, kind)
        if entry.version == ip.version and entry.lo <= n <= entry.hi
    ]
    geo = folder(home)
    has_geo = installed(geo)
    return AddressContext(
        address=str(ip), private=any(ip in net for net in PRIVATE), aws=found,
        lists=sorted(set(lists)),
        place=lookup(geo, str(ip)) if has_geo else None, geoip_installed=has_geo,
    )  # fmt: skip
