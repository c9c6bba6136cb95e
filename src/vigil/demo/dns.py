"""Route 53 Resolver query logs for the demo day: what each instance asks the VPC's resolver,
written as a query logging configuration's S3 objects (spec §11.4).

Both Regions have a query logging configuration for every demo VPC that delivers to the log
archive bucket, so instance A2, which no flow log covers, is seen here. The background follows
each instance's role (AWS endpoints, package mirrors, AnyCompany's own names, the VPC's
`ip-…` names and their reverse lookups, CDN names answered through a CNAME, Windows Update on
the Windows host, a few typos answered NXDOMAIN); the attacks come from `dns_attacks`. Records
are built from per-name JSON fragments joined column-wise (numpy), one JSON document a line,
one gzip object per VPC and hour.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
from isal import igzip

from vigil.demo import scenario as sc

VERSION: Final = "1.100000"
_TS, _PORT = "@@ts@@", "@@port@@"  # placeholders cut out of a template record
Answer = tuple[str, str]  # (Rdata, Type)


@dataclass(frozen=True)
class Query:
    """One name an instance asks for, how (type), what the resolver says, and how often."""

    name: str
    weight: float
    answers: tuple[Answer, ...] = ()
    qtype: str = "A"
    rcode: str = "NOERROR"


@dataclass
class Records:
    """Query-log lines of one VPC with their times (epoch seconds), in no particular order."""

    times: list[np.ndarray] = field(default_factory=list)
    lines: list[np.ndarray] = field(default_factory=list)

    def add(self, times: np.ndarray, lines: np.ndarray) -> None:
        self.times.append(np.asarray(times, dtype=np.int64))
        self.lines.append(np.asarray(lines, dtype=object))

    def __len__(self) -> int:
        return sum(len(t) for t in self.times)


def internal_name(net: sc.Network, ip: str) -> str:
    """The VPC's own DNS name for a private address (us-east-1 uses ec2.internal)."""
    host = "ip-" + ip.replace(".", "-")
    zone = "ec2.internal" if net.region == "us-east-1" else f"{net.region}.compute.internal"
    return f"{host}.{zone}"


def _ptr(ip: str) -> str:
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


def _aws(net: sc.Network) -> list[Query]:
    """The AWS endpoints every Linux instance's agents and SDKs call."""
    r = net.region
    return [
        Query(f"sts.{r}.amazonaws.com", 3, (("52.94.241.129", "A"),)),
        Query(f"ssm.{r}.amazonaws.com", 3, (("52.46.141.158", "A"),)),
        Query(f"ec2messages.{r}.amazonaws.com", 2, (("52.46.132.79", "A"),)),
        Query(f"ssmmessages.{r}.amazonaws.com", 2, (("52.46.151.102", "A"),)),
        Query(f"logs.{r}.amazonaws.com", 2, (("52.46.138.14", "A"),)),
        Query(f"monitoring.{r}.amazonaws.com", 1, (("52.46.130.7", "A"),)),
        Query(f"s3.{r}.amazonaws.com", 2, (("52.216.141.38", "A"), ("52.216.56.160", "A"))),
        Query("s3.amazonaws.com", 1, (("52.216.88.5", "A"),)),
        Query(f"s3.{r}.amazonaws.com", 0.5, (), "AAAA"),
    ]


def _mirrors(net: sc.Network) -> list[Query]:
    """Package mirrors, certificate checks and the typos of people at a shell."""
    return [
        Query(f"{net.region}.ec2.archive.ubuntu.com", 0.5, (("54.144.31.17", "A"),)),
        Query("security.ubuntu.com", 0.3, (("91.189.91.83", "A"), ("185.125.190.36", "A"))),
        Query("motd.ubuntu.com", 0.1, (("185.125.188.59", "A"),)),
        Query("pypi.org", 0.3, (("151.101.0.223", "A"), ("151.101.64.223", "A"))),
        Query("files.pythonhosted.org", 0.3, (("151.101.1.63", "A"),)),
        Query("api.snapcraft.io", 0.2, (("185.125.188.55", "A"),)),
        Query("ocsp.digicert.com", 0.2, (("93.184.220.29", "A"),)),
        Query("api.anycompnay.com", 0.02, rcode="NXDOMAIN"),
        Query("pypi.ogr", 0.01, rcode="NXDOMAIN"),
        Query(_ptr("192.0.2.45"), 0.05, rcode="NXDOMAIN", qtype="PTR"),
    ]


def _peers(net: sc.Network, inst: sc.Instance) -> list[Query]:
    """The other instances of the VPC by name, and reverse lookups of their addresses."""
    out = []
    for peer in net.instances:
        if peer is inst:
            continue
        name = internal_name(net, peer.ip)
        out.append(Query(name, 0.5, ((peer.ip, "A"),)))
        out.append(Query(_ptr(peer.ip), 0.3, ((name + ".", "PTR"),), "PTR"))
    return out


_DB: Final = {sc.PROD_USE1.vpc_id: "10.0.2.30", sc.PROD_APSE2.vpc_id: "10.1.2.40",
              sc.DEV_APSE2.vpc_id: "10.20.2.40"}  # fmt: skip
_CDN: Final = (("d3kq7x1v9z2c0a.cloudfront.net.", "CNAME"), ("13.224.68.12", "A"),
               ("13.224.68.81", "A"))  # fmt: skip


def _role(net: sc.Network, inst: sc.Instance) -> list[Query]:
    """What the instance's work makes it ask for."""
    db = Query("db.internal.anycompany.com", 4, ((_DB[net.vpc_id], "A"),))
    if inst.role == "app":
        bucket = "anycompany-customer-data.s3.amazonaws.com"
        return [
            db,
            Query(bucket, 3, (("52.216.110.11", "A"),)),
            Query(f"secretsmanager.{net.region}.amazonaws.com", 1, (("52.46.145.233", "A"),)),
            Query(f"sqs.{net.region}.amazonaws.com", 1, (("52.46.158.40", "A"),)),
            Query("api.stripe.com", 0.5, (("54.187.174.169", "A"),)),
            Query("hooks.slack.com", 0.3, (("34.226.36.56", "A"),)),
        ]
    if inst.role == "web":
        return [
            db,
            Query("app.internal.anycompany.com", 3, (("10.0.1.10", "A"), ("10.0.1.20", "A"))),
            Query("www.anycompany.com", 1, _CDN),
            Query("static.anycompany.com", 0.5, _CDN),
        ]
    if inst.role == "db":
        return [Query("anycompany-db-backups.s3.amazonaws.com", 1, (("52.216.32.90", "A"),))]
    return [  # bastion
        Query("github.com", 1, (("140.82.112.3", "A"),)),
        Query("objects.githubusercontent.com", 0.5, (("185.199.108.133", "A"),)),
        Query("checkpoint-api.hashicorp.com", 0.2, (("104.18.20.36", "A"),)),
    ]


def _windows(net: sc.Network) -> list[Query]:
    """The Windows host: the SSM agent, Windows Update, time, sign-in; WPAD and ISATAP probes."""
    r = net.region
    return [
        Query(f"ssm.{r}.amazonaws.com", 2, (("52.46.141.158", "A"),)),
        Query(f"ec2messages.{r}.amazonaws.com", 1, (("52.46.132.79", "A"),)),
        Query("time.windows.com", 1, (("168.61.215.74", "A"),)),
        Query("ctldl.windowsupdate.com", 1,
              (("ctldl.windowsupdate.com.edgesuite.net.", "CNAME"), ("23.48.164.17", "A"))),
        Query("settings-win.data.microsoft.com", 1, (("20.42.65.92", "A"),)),
        Query("login.microsoftonline.com", 0.5, (("20.190.151.68", "A"),)),
        Query("wpad.ec2.internal", 0.5, rcode="NXDOMAIN"),
        Query("isatap.ec2.internal", 0.2, rcode="NXDOMAIN"),
    ]  # fmt: skip


def catalogue(net: sc.Network, inst: sc.Instance) -> list[Query]:
    """Every name the instance asks for on an ordinary day, with its weight."""
    if inst.role == "windows":
        return _windows(net) + _peers(net, inst)[:2]
    return _aws(net) + _mirrors(net) + _peers(net, inst) + _role(net, inst)


def record(
    net: sc.Network, inst: sc.Instance, when: str, q: Query, port: str, transport: str = "UDP"
) -> str:
    """One query-log line, keys in the order of AWS's documented field list."""
    doc: dict[str, Any] = {
        "version": VERSION,
        "account_id": net.account,
        "region": net.region,
        "vpc_id": net.vpc_id,
        "query_timestamp": when,
        "query_name": q.name + ".",
        "query_type": q.qtype,
        "query_class": "IN",
        "rcode": q.rcode,
        "answers": [{"Rdata": d, "Type": t, "Class": "IN"} for d, t in q.answers],
        "srcaddr": inst.ip,
        "srcport": port,
        "transport": transport,
        "srcids": {"instance": inst.instance_id},
    }
    return json.dumps(doc, separators=(",", ":"))


def background(
    rng: np.random.Generator, net: sc.Network, inst: sc.Instance, n: int, day_start: int
) -> tuple[np.ndarray, np.ndarray]:
    """`n` ordinary queries over the day: (times, lines). Each line is its name's template
    with the time and port put in, so no record is built one by one."""
    names = catalogue(net, inst)
    weights = np.array([q.weight for q in names], dtype=float)
    pick = rng.choice(len(names), n, p=weights / weights.sum())
    times = day_start + rng.integers(0, 86400, n)
    parts = [record(net, inst, _TS, q, _PORT).split(_TS) for q in names]
    head = parts[0][0]
    mids, tails = zip(*(p[1].split(_PORT) for p in parts), strict=True)
    stamps = np.datetime_as_string(times.astype("datetime64[s]"), unit="s").astype(object)
    ports = rng.integers(1024, 65536, n).astype(str).astype(object)
    lines = head + stamps + "Z" + np.array(mids, dtype=object)[pick] + ports
    return times, lines + np.array(tails, dtype=object)[pick]


def write(records: dict[str, Records], root: Path) -> list[Path]:
    """Each VPC's lines as hourly gzip objects under AWSLogs/<account>/vpcdnsquerylogs/<vpc>/,
    named as Resolver names them (`<vpc>_vpcdnsquerylogs_<account>_<time>Z_<hash>.log.gz`)."""
    networks = {n.vpc_id: n for n in sc.NETWORKS}
    written = []
    for vpc, recs in records.items():
        net = networks[vpc]
        times, lines = np.concatenate(recs.times), np.concatenate(recs.lines)
        order = np.argsort(times, kind="stable")
        times, lines = times[order], lines[order]
        hours = times // 3600
        for hour in np.unique(hours):
            body = ("\n".join(lines[hours == hour]) + "\n").encode()
            at = datetime.fromtimestamp(int(hour) * 3600, UTC)
            folder = (
                root / "AWSLogs" / net.account / "vpcdnsquerylogs" / vpc / at.strftime("%Y/%m/%d")
            )
            folder.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256(body).hexdigest()[:8]
            stamp = at.strftime("%Y%m%dT%H55Z")
            path = folder / f"{vpc}_vpcdnsquerylogs_{net.account}_{stamp}_{digest}.log.gz"
            path.write_bytes(igzip.compress(body, 1, mtime=0))
            written.append(path)
    return written
