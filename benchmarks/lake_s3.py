"""The lake on S3: partition pruning, counted at the server.

A 90-day flow-log lake (2 accounts x 2 Regions x 90 days, one object per partition) is
ingested into `s3://…` on a moto server of this process, which notes every request; then
`vigil query` runs a one-day query, a one-day query of one account and Region, and a full
scan, each as its own process: the objects listed and read (distinct keys, GET requests),
HEADs, wall time and the query process's peak RSS. The same queries over a local lake give
the wall time without S3.

    python benchmarks/lake_s3.py [--days 90] [--records 400]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from moto_kit import CountingMoto

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def generate(root: Path, days: int, records: int) -> int:
    """One flow-log file per account, Region and day (`records` lines each)."""
    rng = random.Random(7)
    total = 0
    for d in range(days):
        day = FIRST + timedelta(days=d)
        for account in ACCOUNTS:
            for region in REGIONS:
                start = int(day.timestamp())
                lines = [HEADER]
                for _ in range(records):
                    t = start + rng.randrange(86_000)
                    lines.append(f"2 {account} eni-{region} 10.0.{rng.randrange(256)}."
                                 f"{rng.randrange(256)} 198.51.100.{rng.randrange(256)} "
                                 f"{rng.randrange(1024, 65535)} "
                                 f"{rng.choice((22, 443, 3389, 53))} 6 {rng.randrange(1, 50)} "
                                 f"{rng.randrange(40, 90000)} {t} {t + 60} "
                                 f"{rng.choice(('ACCEPT', 'REJECT'))} OK")  # fmt: skip
                name = f"{account}_vpcflowlogs_{region}_fl-1_{day:%Y%m%dT0000Z}_{d:08x}.log.gz"
                key = root / "AWSLogs" / account / "vpcflowlogs" / region / f"{day:%Y/%m/%d}" / name
                key.parent.mkdir(parents=True, exist_ok=True)
                key.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
                total += records
    return total


def measured(home: Path, *args: str) -> tuple[float, int, Any]:
    """`vigil …` in a process of its own: wall seconds, its peak RSS (bytes), its JSON."""
    code = (
        "import json, resource, subprocess, sys, time; b = time.perf_counter(); "
        "d = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "s = time.perf_counter() - b; "
        "print(json.dumps([s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, "
        "d.returncode, d.stdout, d.stderr]))"
    )
    command = [sys.executable, "-m", "vigil", "--home", str(home), *args]
    out = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True)
    seconds, peak, code_, stdout, stderr = json.loads(out.stdout)
    if code_ != 0:
        raise SystemExit(f"vigil {' '.join(args)} failed: {stderr}")
    return seconds, peak, json.loads(stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--records", type=int, default=400, help="per account, Region and day")
    args = parser.parse_args()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        os.environ.setdefault(key, value)
    print(f"\nlake on S3 (moto) — {machine()}", flush=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    server = CountingMoto()
    endpoint = server.start()
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="vigil-bench")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        records = generate(src, args.days, args.records)
        homes = {"s3": Path(tmp) / "s3", "local": Path(tmp) / "local"}
        homes["s3"].mkdir()
        (homes["s3"] / "vigil.yaml").write_text(
            f"lake: s3://vigil-bench/lake\nlake_endpoint_url: {endpoint}\n"
        )
        for name, home in homes.items():
            seconds, peak, _ = measured(home, "ingest", str(src), "--json")
            print(f"  ingest {records:,} records, {args.days} days into {name:<5}  "
                  f"{seconds:6.1f} s, peak RSS {peak / 2**20:.0f} MiB", flush=True)  # fmt: skip
        stored = len(list((homes["s3"] / "lake-index").rglob("*.parquet")))
        print(f"  lake: {stored} objects, {args.days} days x {len(ACCOUNTS)} accounts x "
              f"{len(REGIONS)} Regions", flush=True)  # fmt: skip
        day = FIRST + timedelta(days=args.days // 2)
        one, after = f"DATE '{day:%Y-%m-%d}'", f"{day + timedelta(days=1):%Y-%m-%d}"
        base = "SELECT count(*) n, sum(bytes) b FROM flow_logs"
        for label, sql in (
            ("one day", f"{base} WHERE date = {one}"),
            ("one day, account, Region", f"{base} WHERE date = {one} AND "
             f"aws_account = '{ACCOUNTS[1]}' AND aws_region = '{REGIONS[0]}'"),
            ("one day by time (no date filter)", f"{base} WHERE start_time >= "
             f"TIMESTAMPTZ '{day:%Y-%m-%d}' AND start_time < TIMESTAMPTZ '{after}'"),
            (f"all {args.days} days", base),
        ):  # fmt: skip
            server.requests.clear()
            seconds, peak, rows = measured(homes["s3"], "query", sql, "--json")
            seen = Counter((m, kind) for m, kind, _ in server.requests)
            read = {k for m, kind, k in server.requests if m == "GET" and kind == "object"}
            local, _, same = measured(homes["local"], "query", sql, "--json")
            assert rows == same, (rows, same)
            print(f"  {label:<34} listed {seen[('GET', 'list')]}, read {len(read)} objects "
                  f"({seen[('GET', 'object')]} GETs, {seen[('HEAD', 'object')]} HEADs), "
                  f"{seconds:.2f} s (local lake {local:.2f} s), peak RSS {peak / 2**20:.0f} MiB, "
                  f"{rows[0]['n']:,} rows", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
