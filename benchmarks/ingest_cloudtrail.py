"""Benchmark: CloudTrail S3 log files (.json.gz) → lake.

Generates an organization trail's files with the demo generator (cached under
benchmarks/.cache), ingests them with `vigil ingest` using one worker (per-core rate) and two,
and compares with the standard library's json plus Arrow's from_pylist.

    python benchmarks/ingest_cloudtrail.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from common import CACHE, report, run_child, trail_dataset

RAW = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")


def plain_python(files: list[Path]) -> tuple[int, float]:
    """json.loads, flatten to Athena-like rows (variable parts back to JSON text), Arrow."""
    began = time.perf_counter()
    rows = 0
    for path in files:
        records = json.loads(gzip.decompress(path.read_bytes()))["Records"]
        flat = []
        for rec in records:
            row = {k.lower(): v for k, v in rec.items() if k not in RAW}
            for key in RAW:
                row[key.lower()] = json.dumps(rec[key]) if rec.get(key) is not None else None
            flat.append(row)
        pa.Table.from_pylist(flat)
        rows += len(records)
    return rows, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    data, total = trail_dataset(args.events)
    files = sorted(p for p in data.rglob("*.json.gz") if "CloudTrail-Digest" not in p.parts)
    size = sum(f.stat().st_size for f in files)
    rows = []
    results = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory(dir=CACHE) as home:
            seconds, peak, out = run_child(
                ["--home", home, "ingest", str(data), "--workers", str(workers), "--json"]
            )
        assert out["records"]["cloudtrail"] == total, out
        results[workers] = total / seconds
        rows.append((f"vigil ingest, {workers} worker(s) (wall)", total / seconds,
                     f"{seconds:.2f} s, peak RSS {peak / 2**20:,.0f} MiB"))  # fmt: skip
    sample, base_seconds = plain_python(files[: max(1, len(files) // 5)])
    rows.append(
        ("stdlib json + Arrow from_pylist (sample)", sample / base_seconds, f"{sample:,} records")
    )
    report(
        f"CloudTrail: {total:,} events in {len(files):,} files ({size / 1e6:,.0f} MB gzip)", rows
    )
    summary = {
        "benchmark": "ingest_cloudtrail",
        "events": total,
        "records_per_s_1_worker": round(results[1]),
        "records_per_s_2_workers": round(results[2]),
        "baseline_records_per_s": round(sample / base_seconds),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
