"""Flow-log records for the demo day, generated column-wise with numpy (no per-record Python).

Background traffic follows each instance's role; attacks are appended as explicit records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vigil.demo import scenario as sc

TCP, UDP = 6, 17


@dataclass(frozen=True)
class Template:
    """One kind of flow seen on an interface: who the peer is, which ports, how often."""

    weight: float
    inbound: bool
    peer: str  # "internet", "s3", a CIDR, or a fixed address
    local_port: int  # 0 = ephemeral
    remote_port: int  # 0 = ephemeral
    protocol: int = TCP
    reject: float = 0.0  # share of records rejected
    packets: tuple[int, int] = (2, 60)


ROLE_TEMPLATES: Final[dict[str, tuple[Template, ...]]] = {
    "web": (
        Template(6, True, "internet", 443, 0),
        Template(1, True, "internet", 80, 0),
        Template(1.5, True, "internet", 0, 0, reject=1.0, packets=(1, 3)),  # scanners in the wild
        Template(0.3, True, "internet", 3389, 0, reject=1.0, packets=(1, 3)),
        Template(2, False, "10.0.2.30", 0, 5432),
        Template(0.5, False, "s3", 0, 443),
    ),
    "app": (
        Template(4, False, "s3", 0, 443, packets=(4, 400)),
        Template(3, False, "10.0.2.30", 0, 5432),
        Template(1, False, "internet", 0, 443),
        Template(0.3, False, "internet", 0, 123, UDP, packets=(1, 2)),
        Template(0.5, True, "10.0.2.10", 8080, 0),
    ),
    "db": (
        Template(5, True, "10.0.1.0/24", 5432, 0),
        Template(1, True, "10.0.2.10", 5432, 0),
        Template(0.5, False, "s3", 0, 443, packets=(10, 900)),
    ),
    "windows": (
        Template(1, True, "203.0.113.10", 3389, 0, packets=(20, 800)),  # the admin's office
        Template(1, True, "internet", 0, 0, reject=1.0, packets=(1, 3)),
        Template(2, False, "internet", 0, 443),
    ),
    "bastion": (
        Template(2, True, "203.0.113.10", 22, 0, packets=(20, 600)),
        Template(1, True, "internet", 0, 0, reject=1.0, packets=(1, 3)),
        Template(2, False, "10.20.1.20", 0, 22),
    ),
}


@dataclass
class Columns:
    """Flow records as arrays; `local`/`remote` are joined into src/dst by direction."""

    eni: np.ndarray
    srcaddr: np.ndarray
    dstaddr: np.ndarray
    srcport: np.ndarray
    dstport: np.ndarray
    protocol: np.ndarray
    packets: np.ndarray
    bytes: np.ndarray
    start: np.ndarray
    end: np.ndarray
    action: np.ndarray
    inbound: np.ndarray
    tcp_flags: np.ndarray

    @staticmethod
    def concat(parts: list[Columns]) -> Columns:
        return Columns(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Columns.__dataclass_fields__)
        )

    def __len__(self) -> int:
        return len(self.eni)


def _ips(rng: np.random.Generator, peer: str, n: int) -> np.ndarray:
    if peer == "internet":
        first = rng.choice(np.array([23, 31, 45, 62, 77, 89, 101, 134, 151, 176, 185, 194, 212]), n)
        rest = rng.integers(0, 256, (n, 3))
        return _dotted(first, rest[:, 0], rest[:, 1], rest[:, 2])
    if peer == "s3":
        return _dotted(
            np.full(n, 52), np.full(n, 216), rng.integers(0, 256, n), rng.integers(1, 255, n)
        )
    if "/" in peer:
        a, b, c = (np.full(n, int(x)) for x in peer.split("/")[0].split(".")[:3])
        return _dotted(a, b, c, rng.integers(4, 250, n))
    return np.full(n, peer, dtype=object)


def _dotted(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    parts = [pa.array(np.asarray(x).astype(np.int64)).cast(pa.string()) for x in (a, b, c, d)]
    return np.asarray(
        pc.binary_join_element_wise(*parts, ".").to_numpy(zero_copy_only=False), dtype=object
    )


def background(rng: np.random.Generator, inst: sc.Instance, n: int, day_start: int) -> Columns:
    templates = ROLE_TEMPLATES[inst.role]
    weights = np.array([t.weight for t in templates], dtype=float)
    picks = rng.choice(len(templates), n, p=weights / weights.sum())
    parts = []
    for index, tpl in enumerate(templates):
        m = int((picks == index).sum())
        if m:
            parts.append(_records(rng, inst, tpl, m, day_start))
    return Columns.concat(parts)


def _records(
    rng: np.random.Generator, inst: sc.Instance, tpl: Template, n: int, day_start: int
) -> Columns:
    peer = _ips(rng, tpl.peer, n)
    ephemeral = rng.integers(32768, 61000, n)
    local_port = np.full(n, tpl.local_port) if tpl.local_port else ephemeral
    if tpl.remote_port:
        remote_port = np.full(n, tpl.remote_port)
    elif tpl.reject and tpl.inbound and not tpl.local_port:
        local_port = rng.choice(np.array([22, 23, 25, 80, 445, 1433, 3306, 5900, 8080, 8443]), n)
        remote_port = ephemeral
    else:
        remote_port = rng.integers(1024, 65535, n)
    packets = rng.integers(tpl.packets[0], tpl.packets[1] + 1, n)
    size = rng.integers(40, 1400, n) if tpl.packets[1] > 3 else np.full(n, 44)
    start = day_start + np.sort(rng.integers(0, 86400 - 60, n))
    reject = rng.random(n) < tpl.reject
    local = np.full(n, inst.ip, dtype=object)
    src, dst = (peer, local) if tpl.inbound else (local, peer)
    sport, dport = (remote_port, local_port) if tpl.inbound else (local_port, remote_port)
    flags = (
        np.where(reject, 2, np.where(tpl.inbound, 3, 19)) if tpl.protocol == TCP else np.zeros(n)
    )
    return Columns(
        eni=np.full(n, inst.eni, dtype=object),
        srcaddr=src,
        dstaddr=dst,
        srcport=sport,
        dstport=dport,
        protocol=np.full(n, tpl.protocol),
        packets=packets,
        bytes=packets * size,
        start=start,
        end=start + rng.integers(1, 60, n),
        action=np.where(reject, "REJECT", "ACCEPT").astype(object),
        inbound=np.full(n, tpl.inbound),
        tcp_flags=flags.astype(np.int64),
    )


def burst(
    rng: np.random.Generator,
    inst: sc.Instance,
    peer: str,
    n: int,
    start: int,
    seconds: int,
    *,
    inbound: bool,
    local_port: int | np.ndarray,
    remote_port: int | np.ndarray | None = None,
    action: str = "ACCEPT",
    packets: tuple[int, int] = (3, 12),
    flags: int = 3,
) -> Columns:
    """A run of attack flows between one instance and one peer in a time window."""
    t = start + np.sort(rng.integers(0, seconds, n))
    lp = np.broadcast_to(np.asarray(local_port), (n,)).copy()
    rp = (
        rng.integers(32768, 61000, n)
        if remote_port is None
        else np.broadcast_to(np.asarray(remote_port), (n,)).copy()
    )
    pk = rng.integers(packets[0], packets[1] + 1, n)
    local = np.full(n, inst.ip, dtype=object)
    remote = np.full(n, peer, dtype=object)
    src, dst = (remote, local) if inbound else (local, remote)
    sport, dport = (rp, lp) if inbound else (lp, rp)
    return Columns(
        eni=np.full(n, inst.eni, dtype=object),
        srcaddr=src,
        dstaddr=dst,
        srcport=sport,
        dstport=dport,
        protocol=np.full(n, TCP),
        packets=pk,
        bytes=pk * rng.integers(60, 200, n),
        start=t,
        end=t + rng.integers(1, 5, n),
        action=np.full(n, action, dtype=object),
        inbound=np.full(n, inbound),
        tcp_flags=np.full(n, flags),
    )


def replies(c: Columns, rng: np.random.Generator) -> Columns:
    """The other direction of accepted connections (AWS logs each direction separately)."""
    keep = c.action == "ACCEPT"
    return Columns(
        eni=c.eni[keep],
        srcaddr=c.dstaddr[keep],
        dstaddr=c.srcaddr[keep],
        srcport=c.dstport[keep],
        dstport=c.srcport[keep],
        protocol=c.protocol[keep],
        packets=c.packets[keep],
        bytes=c.bytes[keep] * rng.integers(1, 20, int(keep.sum())),
        start=c.start[keep],
        end=c.end[keep],
        action=c.action[keep],
        inbound=~c.inbound[keep],
        tcp_flags=np.where(c.protocol[keep] == TCP, 19, 0),
    )
