"""The attacks the demo's query logs hold, and their ground truth.

They continue the day's story: after the RDP brute force on the Windows host B2 (03:10), B2
runs a bot that cycles through generated domains (none of them registered yet: NXDOMAIN);
the database host B3 then sends data out in DNS questions to a domain its operator runs;
and instance A1, before its flows reach the threat-listed 203.0.113.250 (20:30), looks up the
command-and-control name that answers that address, a name on the demo's domain threat list
(category c2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import numpy as np

from vigil import clock
from vigil.demo import scenario as sc
from vigil.demo.attacks import Truth
from vigil.demo.dns import Query, Records, record

C2_DOMAIN: Final = "telemetry-sync.example"  # on the demo's domain list (category c2)
EXFIL_DOMAIN: Final = "cdn-statsync.example"
_TLDS: Final = ("com", "net", "info", "biz", "org")


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(t: datetime) -> str:
    return clock.iso(t)


def _at(day: datetime, hh: int, mm: int) -> datetime:
    return day.replace(hour=hh, minute=mm, second=0)


def _plant(
    out: dict[str, Records],
    rng: np.random.Generator,
    net: sc.Network,
    inst: sc.Instance,
    queries: list[tuple[datetime, Query]],
) -> int:
    times = np.array([int(t.timestamp()) for t, _ in queries], dtype=np.int64)
    ports = rng.integers(1024, 65536, len(queries))
    pairs = zip(queries, ports, strict=True)
    lines = [record(net, inst, _stamp(t), q, str(p)) for (t, q), p in pairs]
    out.setdefault(net.vpc_id, Records()).add(times, np.array(lines, dtype=object))
    return len(queries)


def dga(out: dict[str, Records], rng: np.random.Generator, day: datetime) -> Truth:
    """B2 asks for 80 generated domains in 45 minutes; none resolves."""
    b2 = sc.instance("B2")
    t = _at(day, 4, 2)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    queries = []
    for i in range(80):
        label = "".join(rng.choice(letters, int(rng.integers(12, 19))))
        name = f"{label}.{_TLDS[i % len(_TLDS)]}"
        queries.append((t + timedelta(seconds=i * 33), Query(name, 1, rcode="NXDOMAIN")))
    n = _plant(out, rng, sc.PROD_USE1, b2, queries)
    return Truth("dns-dga-bot", "Trojan:EC2/DGADomainRequest.B", "dns_logs", sc.PRODUCTION,
                 "us-east-1", _iso(t), _iso(queries[-1][0]), b2.instance_id,
                 f"{b2.name} {b2.instance_id} {b2.ip}",
                 "The Windows host, hours after the RDP brute force, asks for 80 generated "
                 "domains; every one is NXDOMAIN.", n)  # fmt: skip


def exfiltration(out: dict[str, Records], rng: np.random.Generator, day: datetime) -> Truth:
    """B3 sends 240 chunks of hex-encoded data as TXT questions under one domain."""
    b3 = sc.instance("B3")
    t = _at(day, 5, 10)
    queries = []
    for i in range(240):
        chunk = rng.bytes(28).hex()  # 56 hex digits: one label's worth of data
        name = f"{chunk}.{i:04x}.d.{EXFIL_DOMAIN}"
        answer = (('"ok"', "TXT"),)
        queries.append((t + timedelta(seconds=i * 7), Query(name, 1, answer, "TXT")))
    n = _plant(out, rng, sc.PROD_USE1, b3, queries)
    return Truth("dns-exfiltration", "Trojan:EC2/DNSDataExfiltration", "dns_logs", sc.PRODUCTION,
                 "us-east-1", _iso(t), _iso(queries[-1][0]), b3.instance_id, EXFIL_DOMAIN,
                 f"The database host sends 240 hex-encoded chunks (6.7 KB) as TXT questions "
                 f"under {EXFIL_DOMAIN}.", n)  # fmt: skip


def command_and_control(out: dict[str, Records], rng: np.random.Generator, day: datetime) -> Truth:
    """A1 resolves the C&C name every minute or so while its flows reach the address."""
    a1 = sc.instance("A1")
    t = _at(day, 20, 29)
    answer = ((sc.KNOWN_BAD, "A"),)
    queries = [(t + timedelta(seconds=70 * i + int(rng.integers(0, 20))),
                Query(f"api.{C2_DOMAIN}", 1, answer)) for i in range(26)]  # fmt: skip
    n = _plant(out, rng, sc.PROD_USE1, a1, queries)
    return Truth("dns-c2-domain", "Backdoor:EC2/C&CActivity.B!DNS", "dns_logs", sc.PRODUCTION,
                 "us-east-1", _iso(t), _iso(queries[-1][0]), a1.instance_id, C2_DOMAIN,
                 f"Instance A1 looks up api.{C2_DOMAIN}, a command-and-control name on the demo "
                 f"domain list, which answers {sc.KNOWN_BAD}.", n)  # fmt: skip


def attack_queries(
    rng: np.random.Generator, day: datetime
) -> tuple[dict[str, Records], list[Truth]]:
    """The planted queries by VPC, and what a detector should find in them."""
    out: dict[str, Records] = {}
    truths = [dga(out, rng, day), exfiltration(out, rng, day), command_and_control(out, rng, day)]
    return out, truths
