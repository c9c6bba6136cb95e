"""AWS's published IP ranges (the `ip-ranges.json` format) and the account's own egress
addresses, for telling a call from inside AWS from one outside it.

`ip-ranges.json`: `{"syncToken", "createDate", "prefixes": [{"ip_prefix", "region", "service",
"network_border_group"}], "ipv6_prefixes": [{"ipv6_prefix", …}]}`. Vigil ships a coarse
snapshot (`content/intel/aws-ip-ranges.json`); `vigil intel aws-ranges update FILE` replaces
it with the real file (https://ip-ranges.amazonaws.com/ip-ranges.json) under
`<home>/intel/aws-ranges/`.

Tables: `aws_ranges(network, lo, hi, region, service)` (IPv4 as integers) and
`own_egress(account, address)`: the public addresses of the account's instances, NAT gateways
and other interfaces, from the newest posture snapshot.
"""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from vigil.content import content_root
from vigil.inputs import InputError, expect_list, expect_mapping, load_json
from vigil.query.engine import Engine

FILE_NAME: Final = "ip-ranges.json"


@dataclass(frozen=True)
class Ranges:
    sync_token: str
    create_date: str
    v4: list[tuple[str, int, int, str, str]]  # network, lo, hi, region, service
    v6: int  # IPv6 prefixes (counted; the detections compare IPv4)


def parse_ranges(doc: Any, source: str) -> Ranges:
    top = expect_mapping(doc, source, "ip-ranges.json")
    prefixes = expect_list(top.get("prefixes"), source, "prefixes")
    v4 = []
    for index, item in enumerate(prefixes):
        where = f"{source}: prefixes[{index}]"
        entry = expect_mapping(item, where, "a prefix")
        try:
            net = ipaddress.IPv4Network(str(entry.get("ip_prefix")), strict=False)
        except ValueError as exc:
            raise InputError(f"ip_prefix {entry.get('ip_prefix')!r} is not an IPv4 CIDR",
                             source=where) from exc  # fmt: skip
        v4.append((str(net), int(net.network_address), int(net.broadcast_address),
                   str(entry.get("region", "")), str(entry.get("service", ""))))  # fmt: skip
    if not v4:
        raise InputError("no prefixes", source=source, hint="the file AWS publishes has thousands")
    v6 = len(top.get("ipv6_prefixes") or [])
    return Ranges(str(top.get("syncToken", "")), str(top.get("createDate", "")), v4, v6)


def shipped() -> Path:
    return content_root() / "intel" / "aws-ip-ranges.json"


def current(intel_dir: Path | None) -> Path:
    """The user's copy when there is one, else the shipped snapshot."""
    mine = intel_dir / "aws-ranges" / FILE_NAME if intel_dir else None
    return mine if mine is not None and mine.is_file() else shipped()


def update(intel_dir: Path, path: Path) -> Ranges:
    ranges = parse_ranges(load_json(path), str(path))
    target = intel_dir / "aws-ranges"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target / FILE_NAME)
    return ranges


def _items(value: Any, key: str) -> list[dict[str, Any]]:
    """`value[key]` as a list of mappings; anything else (a saved file of another shape) is
    read as nothing."""
    found = value.get(key) if isinstance(value, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def egress_addresses(accounts: dict[str, Any]) -> list[tuple[str, str]]:
    """(account, public address) for every instance, NAT gateway and interface the snapshot
    shows with a public address (`describe-instances`, `describe-nat-gateways`,
    `describe-network-interfaces`)."""
    out: set[tuple[str, str]] = set()
    for account, regions in accounts.items():
        for calls in regions.values() if isinstance(regions, dict) else []:
            if not isinstance(calls, dict):
                continue
            addresses = [
                i.get("PublicIpAddress")
                for r in _items(calls.get("ec2 describe-instances"), "Reservations")
                for i in _items(r, "Instances")
            ]
            addresses += [
                a.get("PublicIp")
                for n in _items(calls.get("ec2 describe-nat-gateways"), "NatGateways")
                for a in _items(n, "NatGatewayAddresses")
            ]
            addresses += [
                (i.get("Association") or {}).get("PublicIp")
                for i in _items(calls.get("ec2 describe-network-interfaces"), "NetworkInterfaces")
                if isinstance(i.get("Association") or {}, dict)
            ]
            out.update((account, str(a)) for a in addresses if isinstance(a, str) and a)
    return sorted(out)


def register_ranges(
    engine: Engine,
    intel_dir: Path | None,
    egress: list[tuple[str, str]],
    extra: dict[str, list[str]] | None = None,
) -> None:
    ranges = parse_ranges(load_json(current(intel_dir)), "aws-ip-ranges")
    rows = list(ranges.v4)
    for cidr in (extra or {}).get("aws_ranges", []):  # a test case's own ranges
        net = ipaddress.IPv4Network(cidr, strict=False)
        rows.append((str(net), int(net.network_address), int(net.broadcast_address), "", "EC2"))
    egress = egress + [tuple(x.split("/", 1)) for x in (extra or {}).get("own_egress", [])]  # type: ignore[misc]
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 5
    engine.load_table("aws_ranges", pa.table({
        "network": pa.array(columns[0], pa.string()), "lo": pa.array(columns[1], pa.uint64()),
        "hi": pa.array(columns[2], pa.uint64()), "region": pa.array(columns[3], pa.string()),
        "service": pa.array(columns[4], pa.string())}))  # fmt: skip
    engine.load_table("own_egress", pa.table({
        "account": pa.array([a for a, _ in egress], pa.string()),
        "address": pa.array([b for _, b in egress], pa.string())}))  # fmt: skip
