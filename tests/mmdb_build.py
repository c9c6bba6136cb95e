"""A small MaxMind DB (MMDB) file for tests, written from the format's specification: an IPv4
binary search tree of 24-bit records, sixteen zero bytes, the data section (maps, UTF-8
strings, unsigned integers), then the metadata after its marker."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

MARKER = b"\xab\xcd\xefMaxMind.com"


class U16(int):
    """An unsigned 16-bit integer: the metadata's versions and sizes are typed so."""


class U64(int):
    """An unsigned 64-bit integer (the build time)."""


def _control(kind: int, size: int) -> bytes:
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        head, extra = 31, (size - 65821).to_bytes(3, "big")
    if kind <= 7:
        return bytes([(kind << 5) | head]) + extra
    return bytes([head, kind - 7]) + extra  # an extended type: its number in the next byte


def encode(value: Any) -> bytes:
    if isinstance(value, dict):
        body = b"".join(encode(str(k)) + encode(v) for k, v in value.items())
        return _control(7, len(value)) + body
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, int):
        raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big") if value else b""
        kind = 5 if isinstance(value, U16) else 9 if isinstance(value, U64) else 6  # else uint32
        return _control(kind, len(raw)) + raw
    raise TypeError(f"cannot encode {value!r}")


def write(path: Path, networks: dict[str, dict[str, Any]], database_type: str) -> Path:
    """An IPv4 database answering each network (CIDR) with its record."""
    nodes: list[list[Any]] = [[None, None]]  # each side: ("node", i), ("data", offset) or None
    data = b""
    for cidr, record in networks.items():
        net = ipaddress.IPv4Network(cidr)
        offset = len(data)
        data += encode(record)
        bits = int(net.network_address)
        node = 0
        for depth in range(net.prefixlen):
            side = (bits >> (31 - depth)) & 1
            if depth == net.prefixlen - 1:
                nodes[node][side] = ("data", offset)
                break
            following = nodes[node][side]
            if following is None or following[0] != "node":
                nodes.append([None, None])
                nodes[node][side] = ("node", len(nodes) - 1)
            node = nodes[node][side][1]
    count = len(nodes)

    def record(side: Any) -> int:
        if side is None:
            return count  # no data
        return side[1] if side[0] == "node" else count + 16 + side[1]

    tree = b"".join(record(left).to_bytes(3, "big") + record(right).to_bytes(3, "big")
                    for left, right in nodes)  # fmt: skip
    metadata = {
        "node_count": count, "record_size": U16(24), "ip_version": U16(4),
        "database_type": database_type, "languages": ["en"],
        "binary_format_major_version": U16(2), "binary_format_minor_version": U16(0),
        "build_epoch": U64(1_795_000_000), "description": {"en": "Vigil test database"},
    }  # fmt: skip
    path.write_bytes(tree + b"\x00" * 16 + data + MARKER + encode(metadata))
    return path
