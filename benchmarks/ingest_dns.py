"""Benchmark: Route 53 Resolver query logs (S3 .log.gz, one JSON record a line) → lake.

Generates N records into a temporary directory in AWS's S3 layout
(`AWSLogs/<acct>/vpcdnsquerylogs/<vpc>/YYYY/MM/DD/<vpc>_vpcdnsquerylogs_<acct>_<time>_<hash>.log.gz`),
a template varied with numpy. Then measures, each in a child process of its own:

(a) `parse_dns` alone over the files, with one thread (records/s of parse_dns itself, and of
    gunzip + parse_dns) and with two (ingest runs parsers in threads; wall time, gunzip
    included): per-file parse latency percentiles and peak RSS;
(b) the whole `vigil --home H ingest DIR --type dns --json`: records/s and peak RSS.

    python benchmarks/ingest_dns.py [--records 10000000] [--per-file 250000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from common import CACHE, report

ACCOUNT = "111122223333"
VPC = "vpc-0a1b2c3d4e5f60718"
START = datetime(2024, 3, 1, tzinfo=UTC)
FILE_SPAN = timedelta(minutes=5)
TYPES = np.array(["A", "AAAA", "PTR", "CNAME", "TXT", "MX"])
TYPE_P = [0.55, 0.25, 0.08, 0.06, 0.04, 0.02]
RCODES = np.array(["NOERROR", "NXDOMAIN", "SERVFAIL"])
RCODE_P = [0.9, 0.08, 0.02]
HEAD = (
    '{"version":"1.100000","account_id":"' + ACCOUNT + '","region":"us-east-1","vpc_id":"'
    + VPC + '","query_timestamp":"'
)  # fmt: skip
FIREWALL = (
    ',"firewall_rule_group_id":"rslvr-frg-01234567890abcdef","firewall_rule_action":"BLOCK",'
    '"firewall_domain_list_id":"rslvr-fdl-01234567890abcdef"'
)


def _answers(kind: str, count: int, host: int) -> str:
    members = [
        f'{{"Rdata":"198.51.{(host + i) % 256}.{(host * 7 + i) % 256}",'
        f'"Type":"{kind}","Class":"IN"}}'
        for i in range(count)
    ]
    return "[" + ",".join(members) + "]"


def write_file(root: str, index: int, count: int, seed: int) -> int:
    """One S3 object of `count` records, spread over its five minutes."""
    rng = np.random.default_rng(seed + index)
    began = START + index * FILE_SPAN
    offsets_ms = np.sort(rng.integers(0, int(FILE_SPAN.total_seconds() * 1000), count))
    base_ms = int(began.timestamp() * 1000)
    hosts = rng.integers(0, 5000, count)
    kinds = rng.choice(TYPES, count, p=TYPE_P)
    rcodes = rng.choice(RCODES, count, p=RCODE_P)
    octets = rng.integers(0, 256, (count, 2))
    ports = rng.integers(1024, 65536, count)
    instances = rng.integers(0, 200, count)
    n_answers = np.where(rcodes == "NOERROR", rng.integers(1, 4, count), 0)
    blocked = rng.random(count) < 0.02
    lines = []
    for i in range(count):
        ms = base_ms + int(offsets_ms[i])
        stamp = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        kind = str(kinds[i])
        lines.append(
            f'{HEAD}{stamp}Z","query_name":"host{hosts[i]}.example.com.","query_type":"{kind}",'
            f'"query_class":"IN","rcode":"{rcodes[i]}",'
            f'"answers":{_answers(kind, int(n_answers[i]), int(hosts[i]))},'
            f'"srcaddr":"10.0.{octets[i, 0]}.{octets[i, 1]}","srcport":"{ports[i]}",'
            f'"transport":"UDP","srcids":{{"instance":"i-{instances[i]:017x}"}}'
            + (FIREWALL if blocked[i] else "")
            + "}"
        )
    day = began.strftime("%Y/%m/%d")
    name = f"{VPC}_vpcdnsquerylogs_{ACCOUNT}_{began:%Y%m%dT%H%M}Z_{index:08x}.log.gz"
    path = Path(root, "AWSLogs", ACCOUNT, "vpcdnsquerylogs", VPC, day, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=1, mtime=0))
    return count


def generate(root: Path, records: int, per_file: int, seed: int = 7) -> None:
    sizes = [min(per_file, records - start) for start in range(0, records, per_file)]
    with ProcessPoolExecutor(2) as pool:
        done = pool.map(write_file, [str(root)] * len(sizes), range(len(sizes)), sizes,
                        [seed] * len(sizes))  # fmt: skip
        assert sum(done) == records


def parse_only(root: Path, threads: int) -> dict[str, Any]:
    """(a), run in a child: decompress every file, then time parse_dns over them."""
    from vigil.formats.route53_resolver import parse_dns

    files = sorted(root.rglob("*.log.gz"))
    latencies: list[float] = []

    def one(path: Path) -> int:
        data = gzip.decompress(path.read_bytes())
        began = time.perf_counter()
        result = parse_dns(data, str(path))
        latencies.append(time.perf_counter() - began)
        assert not result.rejects, result.rejects[:3]
        return int(result.table.num_rows)

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        rows = sum(pool.map(one, files))
    seconds = time.perf_counter() - began
    decompress = _decompress_seconds(files[:2])
    lat = np.array(latencies)
    return {
        "records": rows,
        "files": len(files),
        "seconds": seconds,
        "parse_seconds_total": float(lat.sum()),
        "latency_p50_s": float(np.percentile(lat, 50)),
        "latency_p95_s": float(np.percentile(lat, 95)),
        "latency_max_s": float(lat.max()),
        "decompress_s_per_record": decompress / (rows / len(files) * min(2, len(files))),
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _decompress_seconds(files: list[Path]) -> float:
    began = time.perf_counter()
    for path in files:
        gzip.decompress(path.read_bytes())
    return time.perf_counter() - began


def measured(command: list[str]) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Run `command` from a small wrapper process; its wall time and peak RSS (bytes)."""
    wrapper = (
        "import resource, subprocess, sys, json; "
        f"done = subprocess.run({command!r}, capture_output=True, text=True); "
        "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "done.returncode, done.stdout, done.stderr]))"
    )
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - began
    peak, code, stdout, stderr = json.loads(out.stdout)
    return seconds, peak * 1024, subprocess.CompletedProcess(command, code, stdout, stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--per-file", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        print(json.dumps(parse_only(args.parse_only, args.threads)))
        return
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        data = Path(tmp, "logs")
        began = time.perf_counter()
        generate(data, args.records, args.per_file)
        size = sum(f.stat().st_size for f in data.rglob("*.log.gz"))
        print(f"generated {args.records:,} records ({size / 1e6:,.0f} MB gzip) "
              f"in {time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
        rows, summary = [], {"benchmark": "ingest_dns", "records": args.records}
        for threads in (1, 2):
            me = [sys.executable, __file__, "--parse-only", str(data), "--threads", str(threads)]
            _, _, done = measured(me)
            if done.returncode:
                raise SystemExit(done.stderr)
            a = json.loads(done.stdout)
            rate = a["records"] / a["seconds"]
            if threads == 1:
                alone = a["records"] / a["parse_seconds_total"]
                rows.append(("parse_dns alone, 1 thread (no gunzip)", alone, ""))
                summary["parse_only_records_per_s"] = round(alone)
            rows.append((f"gunzip + parse_dns, {threads} thread(s) (wall)", rate,
                         f"{a['seconds']:.2f} s; per file p50 {a['latency_p50_s']:.2f} s, "
                         f"p95 {a['latency_p95_s']:.2f} s, max {a['latency_max_s']:.2f} s; "
                         f"peak RSS {a['peak_rss'] / 2**20:,.0f} MiB"))  # fmt: skip
            summary[f"parse_records_per_s_{threads}"] = round(rate)
            summary[f"parse_peak_rss_mib_{threads}"] = round(a["peak_rss"] / 2**20)
        summary["gunzip_us_per_record"] = round(a["decompress_s_per_record"] * 1e6, 2)
        vigil = str(Path(sys.executable).with_name("vigil"))
        home = Path(tmp, "home")
        command = [vigil, "--home", str(home), "ingest", str(data), "--type", "dns",
                   "--workers", str(args.workers), "--json"]  # fmt: skip
        seconds, peak, done = measured(command)
        if done.returncode:
            print(f"(b) skipped: `vigil ingest --type dns` failed: {done.stderr.strip()[-400:]}")
        else:
            out = json.loads(done.stdout)
            taken = out.get("records", {}).get("dns_logs")
            assert taken == args.records, out
            rows.append((f"vigil ingest --type dns, {args.workers} workers (wall)",
                         args.records / seconds,
                         f"{seconds:.2f} s, peak RSS {peak / 2**20:,.0f} MiB"))  # fmt: skip
            summary["ingest_records_per_s"] = round(args.records / seconds)
            summary["ingest_peak_rss_mib"] = round(peak / 2**20)
    report(f"Route 53 Resolver query logs: {args.records:,} records, "
           f"{args.per_file:,} a file", rows)  # fmt: skip
    print("targets: >= 1,000,000 records/s for the whole ingest, peak RSS <= 1 GiB")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
