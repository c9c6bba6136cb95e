"""Benchmark: every DNS detection (source dns_logs) over a Route 53 Resolver query-log lake.

The lake (made once, cached) holds `--records` queries over one day from 500 instances and a
few on-premises clients behind an inbound Resolver endpoint: AWS service endpoints, the VPC's
own names and reverse lookups, word-like internet names, CloudFront and Akamai names with
random labels, NXDOMAIN and SERVFAIL answers, DNS Firewall BLOCK and ALERT verdicts; and
planted attacks: a DNS tunnel, a DGA bot (NXDOMAIN run, then one answer), a metadata
rebinding name, names on c2, phishing, mining and reputation lists, a sinkhole answer. The
rows are built with Arrow from small pools of names (no JSON, no per-record Python) and
written through the lake writer, one file per hour, as ingest would.

Then, in a child process (so generation does not count), each DNS unit runs alone over the
whole day with domain lists loaded (100,000 listed names): seconds per unit, findings, and
the process's peak RSS after it.

    python benchmarks/detect_dns.py                      # 10M records
    python benchmarks/detect_dns.py --records 2000000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common import CACHE, machine

LAKE_LAYOUT = 2  # bumped when the generated data or the lake's layout changes
ACCOUNT = "111122223333"
VPC = "vpc-0a1b2c3d4e5f60718"
DAY = datetime(2024, 3, 1, tzinfo=UTC)
WORDS = [
    "acme", "alpha", "apex", "atlas", "beacon", "blue", "bright", "cedar", "cloud", "coral",
    "crest", "delta", "echo", "ember", "falcon", "forest", "garden", "harbor", "iron", "jade",
    "kite", "lumen", "maple", "meadow", "nova", "ocean", "orbit", "pine", "pixel", "prime",
    "quartz", "river", "rocket", "sage", "silver", "solar", "spark", "stone", "summit", "swift",
    "terra", "tiger", "union", "vector", "willow", "zenith", "data", "shop", "news", "mail",
    "learn", "travel", "health", "money", "games", "music", "photo", "video",
]  # fmt: skip
SERVICES = [
    "sts", "s3", "ssm", "ssmmessages", "ec2messages", "ec2", "logs", "monitoring", "kms",
    "secretsmanager", "sqs", "sns", "dynamodb", "lambda", "ecr", "api.ecr", "dkr.ecr",
    "elasticloadbalancing", "autoscaling", "events",
]  # fmt: skip
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
LISTED = {  # planted names on the benchmark's lists: category → entry
    "c2": "c2-panel.example", "phishing": "signin-aws-console.example",
    "mining": "minexmr-mirror.example", "malicious": "malware-drop.example",
}  # fmt: skip


def pools(rng: np.random.Generator) -> dict[str, list[str]]:
    """The names queries are drawn from, by kind."""
    aws = [f"{s}.{r}.amazonaws.com." for s in SERVICES for r in REGIONS]
    own = [f"ip-10-0-{i // 250}-{i % 250 + 4}.ec2.internal." for i in range(5000)]
    ptr = [f"{i % 250 + 4}.{i // 250}.0.10.in-addr.arpa." for i in range(5000)]
    sites = [f"{a}{b}.{tld}" for a in WORDS for b in WORDS for tld in ("com", "net", "io")]
    web = [f"{sub}.{site}." for site in sites[:20000] for sub in ("www", "api")]
    alnum = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    cdn = ["d" + "".join(rng.choice(alnum, 13)) + ".cloudfront.net." for _ in range(3000)]
    cdn += [f"e{i}.a.akamaiedge.net." for i in range(2000)]
    return {"aws": aws, "own": own, "ptr": ptr, "web": web, "cdn": cdn}


def hour_table(hour: int, rows: int, names: list[str], weights: np.ndarray,
               domains: pa.Array, seed: int) -> pa.Table:  # fmt: skip
    """One hour of background queries, columns built by index into the name pool."""
    rng = np.random.default_rng(seed + hour)
    pick = rng.choice(len(names), rows, p=weights)
    ms = int((DAY + timedelta(hours=hour)).timestamp() * 1000) + 1000 * np.sort(
        rng.integers(0, 3600, rows)
    )  # whole seconds, as the log has them
    instance = rng.integers(0, 500, rows)
    inbound = rng.random(rows) < 0.02
    rcode = rng.choice(np.array(["NOERROR", "NXDOMAIN", "SERVFAIL"]), rows, p=[0.93, 0.06, 0.01])
    fw = rng.choice(np.array(["", "BLOCK", "ALERT"]), rows, p=[0.993, 0.005, 0.002])
    name_arr = pa.array(names, pa.string())
    query_name = pc.take(name_arr, pa.array(pick))
    is_ptr = pc.ends_with(query_name, "in-addr.arpa.")
    qtype = pc.if_else(is_ptr, "PTR", pa.array(rng.choice(["A", "AAAA", "A"], rows)))
    srcaddr = pa.array([f"10.0.{i // 250}.{i % 250 + 4}" for i in range(500)] + ["192.168.40.17"])
    src_index = np.where(inbound, 500, instance)
    ids = pa.array([f"i-{i:017x}" for i in range(500)])
    ts = pa.array(ms, pa.timestamp("ms", tz="UTC"))
    answered = rcode == "NOERROR"
    rdata = pa.array([f"198.51.{i // 256 % 256}.{i % 256}" for i in range(len(names))])
    answers = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(answered.astype(np.int32))]), pa.int32()),
        pa.StructArray.from_arrays(
            [pc.take(rdata, pa.array(pick[answered])),
             pc.if_else(pc.filter(is_ptr, pa.array(answered)), "PTR", "A"),
             pa.array(np.full(int(answered.sum()), "IN"))],
            names=["Rdata", "Type", "Class"],
        ),
    )  # fmt: skip
    none = pa.nulls(rows, pa.string())
    srcids = pa.StructArray.from_arrays(
        [pc.if_else(pa.array(inbound), none, pc.take(ids, pa.array(instance))),
         pc.if_else(pa.array(inbound), "rslvr-in-0a1b2c3d4e5f60718", none),
         pc.if_else(pa.array(inbound), "rni-0a1b2c3d4e5f60718", none)],
        names=["instance", "resolver_endpoint", "resolver_network_interface"],
    )  # fmt: skip
    blocked = pa.array(fw != "")
    return _table(rows, {
        "query_timestamp": pc.strftime(ts.cast(pa.timestamp("s", tz="UTC")), "%Y-%m-%dT%H:%M:%SZ"),
        "query_ts": ts,
        "query_name": query_name, "query_type": qtype, "rcode": pa.array(rcode),
        "answers": answers, "srcaddr": pc.take(srcaddr, pa.array(src_index)),
        "srcport": pa.array(rng.integers(1024, 65536, rows), pa.int32()), "srcids": srcids,
        "firewall_rule_action": pc.if_else(blocked, pa.array(fw), none),
        "firewall_rule_group_id": pc.if_else(blocked, "rslvr-frg-0a1b2c3d4e5f6a7b8", none),
        "firewall_domain_list_id": pc.if_else(
            blocked, pa.array(np.where(fw == "BLOCK", "rslvr-fdl-0malware", "rslvr-fdl-0watch")),
            none),
        "registered_domain": pc.take(domains, pa.array(pick)),
    })  # fmt: skip


def _table(rows: int, columns: dict[str, Any]) -> pa.Table:
    from vigil.lake.tables import DNS_LOGS

    fixed = {"version": "1.100000", "account_id": ACCOUNT, "region": "us-east-1",
             "vpc_id": VPC, "query_class": "IN", "transport": "UDP"}  # fmt: skip
    out = {}
    for field in DNS_LOGS.schema:
        if field.name in columns:
            out[field.name] = columns[field.name]
        elif field.name in fixed:
            out[field.name] = pa.array(np.full(rows, fixed[field.name]))
        elif field.name not in ("srcaddr_ipv4",):
            out[field.name] = pa.nulls(rows, field.type)
    return pa.table(out)


def planted() -> list[dict[str, Any]]:
    """The attacks, as query-log records (the same shape a unit's case uses)."""
    from vigil.intel.dga import load_model, shipped

    rng = np.random.default_rng(11)
    model = load_model(shipped())
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    dga: list[str] = []
    while len(dga) < 40:
        label = "".join(rng.choice(letters, 12))
        if model.flagged(label):
            dga.append(label)
    at = DAY + timedelta(hours=14)
    out = []

    def q(when: datetime, name: str, inst: int, rcode: str = "NOERROR",
          answers: tuple[tuple[str, str], ...] = (("A", "203.0.113.50"),)) -> None:  # fmt: skip
        out.append({"query_timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "query_name": name,
                    "rcode": rcode, "instance": f"i-{inst:017x}",
                    "answers": [{"Rdata": a, "Type": t, "Class": "IN"}
                                for t, a in (answers if rcode == "NOERROR" else ())]})  # fmt: skip

    for i in range(400):  # a DNS tunnel: hex chunks under one domain
        q(at + timedelta(seconds=i * 5), f"{rng.bytes(15).hex()}.t.exfil-relay.example.", 7,
          answers=(("TXT", '"ack"'),))  # fmt: skip
    for i, label in enumerate(dga):  # a DGA bot: an NXDOMAIN run, then the live one
        q(at + timedelta(seconds=i), f"{label}.com.", 9, "NXDOMAIN" if i < 39 else "NOERROR")
    q(at, "a9fea9fe.c6336414.rbndr.example.", 11, answers=(("A", "169.254.169.254"),))
    for entry in LISTED.values():
        q(at + timedelta(minutes=5), f"www.{entry}.", 13)
    q(at, "tracker.adnet-metrics.example.", 15, answers=(("A", "0.0.0.0"),))
    return out


def planted_table(records: list[dict[str, Any]]) -> pa.Table:
    from vigil.formats.domains import registered_domains

    rows = len(records)
    stamps = pa.array([r["query_timestamp"] for r in records])
    ts = stamps.cast(pa.timestamp("s", tz="UTC")).cast(pa.timestamp("ms", tz="UTC"))
    names = pa.array([r["query_name"] for r in records])
    answer_type = pa.list_(pa.struct([("Rdata", pa.string()), ("Type", pa.string()),
                                      ("Class", pa.string())]))  # fmt: skip
    return _table(rows, {
        "query_timestamp": pa.array([r["query_timestamp"] for r in records]), "query_ts": ts,
        "query_name": names, "query_type": pa.array(np.full(rows, "A")),
        "rcode": pa.array([r["rcode"] for r in records]),
        "answers": pa.array([r["answers"] for r in records], answer_type),
        "srcaddr": pa.array(np.full(rows, "10.0.0.99")),
        "srcport": pa.array(np.full(rows, 53000), pa.int32()),
        "srcids": pa.StructArray.from_arrays(
            [pa.array([r["instance"] for r in records]), pa.nulls(rows, pa.string()),
             pa.nulls(rows, pa.string())],
            names=["instance", "resolver_endpoint", "resolver_network_interface"]),
        "registered_domain": registered_domains(names),
    })  # fmt: skip


def build(home: Path, records: int) -> None:
    """The lake, one batch (file) per hour; run in a child process of its own."""
    from vigil.config import Settings
    from vigil.formats.domains import registered_domains
    from vigil.lake.manifest import Manifest
    from vigil.lake.tables import DNS_LOGS, conform
    from vigil.lake.writer import Batch, LakeWriter

    rng = np.random.default_rng(5)
    by_kind = pools(rng)
    shares = {"aws": 0.40, "own": 0.15, "ptr": 0.10, "web": 0.25, "cdn": 0.10}
    names = [n for kind in shares for n in by_kind[kind]]
    weights = np.concatenate([
        np.full(len(by_kind[k]), shares[k] / len(by_kind[k])) for k in shares
    ])  # fmt: skip
    weights /= weights.sum()
    domains = registered_domains(pa.array(names))
    settings = Settings.load(home)
    manifest = Manifest(settings.state_db)
    writer = LakeWriter(settings, manifest)
    key = (ACCOUNT, "us-east-1", DAY.date())
    per_hour = records // 24
    for hour in range(24):
        table = hour_table(hour, per_hour, names, weights, domains, 5)
        if hour == 14:
            table = pa.concat_tables([table, planted_table(planted())])
        batch = Batch(DNS_LOGS)
        batch.add(key, conform(DNS_LOGS, table, f"benchmark://dns/{hour:02d}.log.gz"))
        writer.commit(batch)
        print(f"  hour {hour:02d}: {table.num_rows:,} rows", flush=True)


def lists() -> dict[str, list[Any]]:
    """Domain lists: 100,000 generated names plus the planted ones, by category."""
    filler = [f"bad{i:06d}.example" for i in range(100_000)]
    return {
        "threat_domains": [
            {"list": "feed.txt", "category": "malicious", "reputation": True,
             "entries": [*filler, LISTED["malicious"]]},
            *({"list": f"{c}.txt", "category": c, "entries": [e]}
              for c, e in LISTED.items() if c != "malicious"),
        ],
        "trusted_domains": [{"list": "allow.txt", "entries": ["northwind-traders.com"]}],
    }  # fmt: skip


def measure(home: Path) -> dict[str, Any]:
    """In a child: each DNS unit alone over the whole lake."""
    from vigil.config import Settings
    from vigil.detect.runner import data_range, detection_connection
    from vigil.detect.sql import run_unit
    from vigil.detect.units import load_units

    units = [u for u in load_units()[0] if u.source == "dns_logs"]
    began = time.perf_counter()
    con = detection_connection(Settings.load(home).lake_dir, None, lists())
    setup = time.perf_counter() - began
    rows = con.rows("SELECT count(*) FROM dns_logs")[0][0]
    low, high = data_range(con, "dns_logs")
    assert low and high
    out = []
    for unit in sorted(units, key=lambda u: u.id):
        began = time.perf_counter()
        found = run_unit(con, unit, low, high + timedelta(seconds=1))
        took = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out.append({"unit": unit.id, "seconds": took, "findings": len(found), "peak_rss": peak,
                    "keys": sorted(json.dumps(f.key) for f, _ in found)[:4]})  # fmt: skip
    con.close()
    return {"records": rows, "setup_seconds": setup, "units": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.records)
        return
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    home = CACHE / f"dns-lake{LAKE_LAYOUT}-{args.records}"
    if not (home / ".ready").exists():
        began = time.perf_counter()
        print(f"building a dns_logs lake of {args.records:,} records in {home} (once) …")
        shutil.rmtree(home, ignore_errors=True)  # an interrupted build starts again
        subprocess.run([sys.executable, __file__, "--build", str(home), "--records",
                        str(args.records)], check=True)  # fmt: skip
        (home / ".ready").write_text("ok")
        print(f"  built in {time.perf_counter() - began:.0f} s", flush=True)
    done = subprocess.run([sys.executable, __file__, "--measure", str(home)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise SystemExit(done.stderr)
    doc = json.loads(done.stdout)
    print(f"\nDNS detections over {doc['records']:,} query-log records (one day) — {machine()}")
    print(f"  connection with 100,003 listed names: {doc['setup_seconds']:.1f} s")
    for row in doc["units"]:
        print(f"  {row['unit']:<48} {row['seconds']:6.2f} s  {row['findings']:>3} finding(s)  "
              f"peak RSS so far {row['peak_rss'] / 2**20:,.0f} MiB")  # fmt: skip
    worst = max(doc["units"], key=lambda r: r["seconds"])
    print(f"  slowest: {worst['unit']} {worst['seconds']:.2f} s; all units "
          f"{sum(r['seconds'] for r in doc['units']):.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
