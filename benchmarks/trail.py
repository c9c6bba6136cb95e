"""Benchmark: CloudTrail integrity validation of a day of digests and log files.

Uses the demo generator's organization trail at a chosen scale (default `medium`: 100k
events, 3 accounts x 2 regions, signed hourly digests), cached under benchmarks/.cache, and
compares `vigil trail validate` with the machine's own `gunzip -c | sha256sum` over the same
files in one stream.

    python benchmarks/trail.py [--scale medium]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import CACHE, machine, run_python
from vigil.trail.validate import Objects, load_keys, validate

DAY = "2026-11-02"


def dataset(scale: str) -> Path:
    root = CACHE / f"trail-chain-{scale}"
    if not (root / ".done").exists():
        print(f"generating the {scale} demo day into {root} (once) …", flush=True)
        run_python(
            "from pathlib import Path; from vigil.demo.generate import generate; "
            f"generate(Path({str(root)!r}), {scale!r}, {DAY!r}); "
            f"Path({str(root / '.done')!r}).write_text('ok')"
        )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="medium")
    args = parser.parse_args()
    root = dataset(args.scale)
    bucket = root / "s3" / "anycompany-log-archive"
    start = datetime.fromisoformat(DAY).replace(tzinfo=UTC)
    keys = load_keys(root / "trail-public-keys.json", None, None, start, start + timedelta(days=1))
    files = sorted(bucket.rglob("*.json.gz"))
    trail_files = [f for f in files if "/CloudTrail" in str(f)]
    size = sum(f.stat().st_size for f in trail_files)
    began = time.perf_counter()
    report = validate(
        Objects(str(bucket)), keys, start, start + timedelta(days=1), "anycompany-log-archive"
    )
    seconds = time.perf_counter() - began
    listing = "\n".join(str(f) for f in trail_files).encode()
    began = time.perf_counter()
    # the machine's own tools in one stream: every file's gzip members, gunzipped, hashed
    subprocess.run(
        ["sh", "-c", "xargs cat | gunzip -c | sha256sum > /dev/null"], input=listing, check=True
    )
    baseline = time.perf_counter() - began
    print(f"trail validate — {machine()}")
    summary = report.summary()
    print(f"  {len(trail_files):,} files ({size / 1e6:,.1f} MB compressed): {summary[-2]}")
    print(f"  {summary[-1]}")
    rate, base_rate = size / 1e6 / seconds, size / 1e6 / baseline
    print(f"  vigil trail validate      {seconds:6.2f} s   {rate:8.1f} MB/s (compressed)")
    print(f"  gunzip -c | sha256sum     {baseline:6.2f} s   {base_rate:8.1f} MB/s (one stream)")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
