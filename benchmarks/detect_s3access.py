"""Benchmark: the S3 data-plane detections (the units whose source is `s3_requests`) over an
S3 server access logs lake of `--records` records.

The background comes from ingest_s3access.py's generator (a few request templates varied with
numpy over four requesters and random addresses), with one object of planted attacks: a mass
deletion, a mass read, a key-guessing sweep, anonymous reads and reads from a Tor exit. It is
ingested once with `vigil ingest --type s3access` into a cached home. Each unit then runs in a
child process of its own over the whole range, as `vigil detect` runs it (the detection
connection, a Tor list loaded), and prints its seconds, findings and that process's peak RSS.

    python benchmarks/detect_s3access.py [--records 10000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import CACHE, machine

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
TOR = "185.220.101.34"
TAIL = (
    '"-" "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64" - '
    "Q2xhc3NpY0hvc3RJZEV4YW1wbGVGb3JWaWdpbA== SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
    "amzn-s3-demo-bucket1.s3.us-east-1.amazonaws.com TLSv1.2 - - us-east-1"
)


def _line(second: int, ip: str, requester: str, rid: str, op: str, key: str, status: int,
          error: str = "-", size: int = 2048) -> str:  # fmt: skip
    minute, sec = divmod(second, 60)
    when = f"[02/Nov/2026:{10 + minute // 60:02d}:{minute % 60:02d}:{sec:02d} +0000]"
    uri = f'"GET /{key} HTTP/1.1"'
    return (f"{OWNER} amzn-s3-demo-bucket1 {when} {ip} {requester} {rid} {op} {key} {uri} "
            f"{status} {error} {size} {size} 20 5 {TAIL}")  # fmt: skip


def planted() -> str:
    """The attacks, as one day's access log lines."""
    thief = "arn:aws:iam::123456789012:user/mallory"
    lines = [_line(i // 10, "198.51.100.66", thief, f"DEL{i:013d}", "BATCH.DELETE.OBJECT",
                   f"victims/obj-{i}.bin", 204) for i in range(300)]  # fmt: skip
    lines += [_line(i // 5, "198.51.100.67", thief, f"GET{i:013d}", "REST.GET.OBJECT",
                    f"secrets/file-{i}.pdf", 200) for i in range(2000)]  # fmt: skip
    lines += [_line(i, "192.0.2.200", "-", f"ENU{i:013d}", "REST.GET.OBJECT", f"guess-{i}.zip",
                    404, "NoSuchKey") for i in range(120)]  # fmt: skip
    lines += [_line(i, TOR, thief, f"TOR{i:013d}", "REST.GET.OBJECT", f"cad/part-{i}.step", 200)
              for i in range(20)]  # fmt: skip
    return "\n".join(lines) + "\n"


def home_for(records: int) -> Path:
    """A home with the lake ingested (once, then cached)."""
    home = CACHE / f"s3access-lake1-{records}"
    if (home / ".ready").exists():
        return home
    from ingest_s3access import generate

    objects = CACHE / f"s3access-objects-{records}"
    if not (objects / ".done").exists():
        print(f"generating {records:,} records into {objects} (once) …", flush=True)
        generate(objects, records, 500_000)
        day = objects / "logs/123456789012/us-east-1/amzn-s3-demo-bucket1/2026/11/02"
        (day / "2026-11-02-00-00-00-A77ACK5PLANTED00").write_text(planted())
        (objects / ".done").write_text(str(records))
    print("ingesting (once) …", flush=True)
    began = time.perf_counter()
    vigil = Path(sys.executable).parent / "vigil"
    subprocess.run([str(vigil), "--home", str(home), "ingest", str(objects), "--type",
                    "s3access", "--json"], check=True, capture_output=True)  # fmt: skip
    print(f"  ingested in {time.perf_counter() - began:.0f} s", flush=True)
    (home / ".ready").write_text("ok")
    return home


def one_unit(home: Path, unit_id: str) -> None:
    """Child mode: run one unit over the whole lake; print its seconds and findings as JSON."""
    from datetime import timedelta

    from vigil.config import Settings
    from vigil.detect.runner import data_range, detection_connection
    from vigil.detect.sql import run_unit
    from vigil.detect.units import load_units

    unit = load_units(ids=[unit_id])[0][0]
    settings = Settings.load(home)
    con = detection_connection(settings.lake_dir, None, {"threat/torbulkexitlist": [TOR]})
    try:
        low, high = data_range(con, unit.source)
        assert low and high
        began = time.perf_counter()
        found = run_unit(con, unit, low, high + timedelta(seconds=1))
        took = time.perf_counter() - began
    finally:
        con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": took, "findings": len({f.id for f, _ in found}), "peak": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--unit", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.unit:
        one_unit(args.home, args.unit)
        return
    from vigil.detect.units import load_units

    home = home_for(args.records)
    units = sorted(u.id for u in load_units()[0] if u.source == "s3_requests")
    print(f"\nS3 data-plane detections over {args.records:,} access-log records — {machine()}")
    for unit_id in units:
        cmd = [sys.executable, __file__, "--unit", unit_id, "--home", str(home)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"  {unit_id}: failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        out = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"  {unit_id:<48} {out['seconds']:6.2f} s  {out['findings']:>3} finding(s)  "
              f"peak RSS {out['peak'] / 2**20:,.0f} MiB", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
