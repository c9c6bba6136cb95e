"""Benchmark: detection.

* every flow-log detector over a flow lake (default: the 20M records of ingest_flowlogs.py);
* CloudTrail detectors (SQL and Sigma, batch) over a CloudTrail lake (default: the 1M events of
  ingest_cloudtrail.py);
* streaming evaluation of 60 Sigma record rules in Python, events/s on one core.

    python benchmarks/detect.py [--records 20000000] [--events 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import CACHE, flow_dataset, machine, trail_dataset
from vigil.config import Settings
from vigil.detect.runner import data_range, detection_connection
from vigil.detect.sigma_rules import load_rule
from vigil.detect.sql import run_unit
from vigil.detect.units import load_units
from vigil.ingest.pipeline import IngestOptions, ingest

API_NAMES = [
    "GetObject", "PutObject", "ListBuckets", "DescribeInstances", "AssumeRole", "CreateUser",
    "AttachUserPolicy", "PutBucketPolicy", "DeleteBucket", "RunInstances", "StopLogging",
    "CreateAccessKey", "UpdateTrail", "DisableKey", "ConsoleLogin", "GetSecretValue",
]  # fmt: skip


THREAT_UNIT = "unauthorizedaccess-ec2-maliciousipcaller-custom"
LAKE_LAYOUT = 3  # bumped when the lake's columns or layout change: the cached lake is rebuilt


def lake(name: str, data: Path) -> Settings:
    """Ingest a cached dataset once into a cached lake."""
    home = Settings.load(CACHE / f"lake{LAKE_LAYOUT}-{name}")
    if not (home.home / ".ready").exists():
        ingest(home, [str(data)], IngestOptions())
        (home.home / ".ready").write_text("ok")
    return home


def run_units(home: Settings, source: str) -> list[tuple[str, float, int]]:
    units, errors = load_units()
    assert not errors, errors
    con = detection_connection(home.lake_dir, None)
    out = []
    try:
        low, high = data_range(con, source)
        assert low and high
        for unit in (u for u in units if u.source == source):
            began = time.perf_counter()
            results = run_unit(con, unit, low, high + timedelta(seconds=1))
            out.append((unit.id, time.perf_counter() - began, len(results)))
    finally:
        con.close()
    return out


def threat_list_run(home: Settings, size: int) -> tuple[float, int]:
    """The flow threat-list detector with a list of `size` /24 and /32 ranges (and some IPv6)."""
    rng = random.Random(7)
    octets = [[rng.randint(1, 223), *(rng.randint(0, 255) for _ in range(3))] for _ in range(size)]
    nets = [f"{a}.{b}.{c}.0/24" for a, b, c, _ in octets[: size // 2]]
    nets += [f"{a}.{b}.{c}.{d}" for a, b, c, d in octets[size // 2 :]]
    nets += [f"2001:db8:{i:x}::/48" for i in range(100)]
    unit = next(u for u in load_units()[0] if u.id == THREAT_UNIT)
    con = detection_connection(home.lake_dir, None, {"threat": ["\n".join(nets)]})
    try:
        low, high = data_range(con, "flow_logs")
        assert low and high
        began = time.perf_counter()
        results = run_unit(con, unit, low, high + timedelta(seconds=1))
        return time.perf_counter() - began, len(results)
    finally:
        con.close()


def sigma_rules(n: int) -> list[str]:
    rng = random.Random(1)
    rules = []
    for i in range(n):
        names = rng.sample(API_NAMES, 3)
        rules.append(
            f"title: rule {i}\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n"
            f"  sel:\n    eventName: [{', '.join(names)}]\n"
            f"    userAgent|contains: '{rng.choice(['aws-cli', 'Boto3', 'Mozilla', 'kali'])}'\n"
            "  errors:\n    errorCode|exists: true\n"
            "  condition: sel and not errors\nlevel: medium\n"
        )
    return rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--per-day", type=int, default=5_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    flows, total = flow_dataset(args.records, args.per_day)
    trails, events = trail_dataset(args.events)
    print(f"detect — {machine()}")
    flow_times = run_units(lake(f"flows-{total}", flows), "flow_logs")
    flow_total = sum(t for _, t, _ in flow_times)
    print(f"\nflow-log detectors over {total:,} records: {flow_total:.2f} s in all "
          f"({total / flow_total:,.0f} records/s over all detectors)")  # fmt: skip
    for uid, seconds, rows in sorted(flow_times, key=lambda r: -r[1]):
        print(f"  {uid:<52} {seconds:6.2f} s  {rows} hit(s)")
    seconds, hits = threat_list_run(lake(f"flows-{total}", flows), 5000)
    print(f"  {THREAT_UNIT} with a 5,100-entry threat list: {seconds:.2f} s, {hits} hit(s)")
    trail_times = run_units(lake(f"trail-{events}", trails), "cloudtrail")
    trail_total = sum(t for _, t, _ in trail_times)
    rate = events * len(trail_times) / trail_total
    print(f"\nCloudTrail detectors (SQL and Sigma, batch) over {events:,} events: "
          f"{trail_total:.2f} s in all, {rate:,.0f} events/s per rule")  # fmt: skip
    logic = [load_rule(text, f"rule-{i}") for i, text in enumerate(sigma_rules(60))]
    home = lake(f"trail-{events}", trails)
    con = detection_connection(home.lake_dir, None)
    rows = con.query("SELECT * FROM cloudtrail LIMIT 100000").to_pylist()
    con.close()
    tests = [rule.test for rule in logic]
    began = time.perf_counter()
    matches = 0
    for row in rows:  # as StreamMatcher does: the rules share one cache per event
        cache: dict[str, object] = {}
        matches += sum(1 for test in tests if test(row, cache))
    seconds = time.perf_counter() - began
    print(f"\nstreaming: 60 Sigma rules over {len(rows):,} events in Python: {seconds:.2f} s, "
          f"{len(rows) / seconds:,.0f} events/s on one core ({matches:,} matches)")  # fmt: skip
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
