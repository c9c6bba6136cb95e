"""Benchmark: VPC Flow Logs S3 text (.log.gz) → lake.

Generates default-format flow logs with the demo generator (cached under benchmarks/.cache),
ingests them with `vigil ingest` in a child process (wall time includes start-up), and compares
with a plain-Python parser over a sample. Prints records/s and the ingest's peak RSS.

    python benchmarks/ingest_flowlogs.py [--records 20000000] [--per-day 5000000] [--headerless]

--headerless reads the same records without their header lines, as CloudWatch Logs has them:
each file's layout is then told from a sample of its values before the columnar read.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from common import CACHE, flow_dataset, report, run_child

INTS = {5, 6, 7, 8, 9, 10, 11}  # srcport … end (0-based), plus version


def plain_python(files: list[Path], limit: int) -> tuple[int, float]:
    """What a straightforward parser does: split each line, convert the integer fields."""
    began = time.perf_counter()
    rows = 0
    columns: list[list[object]] = [[] for _ in range(14)]
    for path in files:
        with gzip.open(path, "rt") as handle:
            next(handle)  # header
            for line in handle:
                for i, token in enumerate(line.split()):
                    columns[i].append(
                        None if token == "-" else int(token) if i in INTS or i == 0 else token
                    )
                rows += 1
        if rows >= limit:
            break
    return rows, time.perf_counter() - began


def without_headers(data: Path) -> Path:
    """A copy of the dataset whose files lack their header line (made once, then cached)."""
    out = data.with_name(data.name + "-headerless")
    if (out / ".done").exists():
        return out
    for path in sorted(data.rglob("*.log.gz")):
        body = gzip.decompress(path.read_bytes())
        target = out / path.relative_to(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(body[body.index(b"\n") + 1 :], mtime=0))
    (out / ".done").write_text("")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--per-day", type=int, default=5_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--headerless", action="store_true")
    args = parser.parse_args()
    data, total = flow_dataset(args.records, args.per_day)
    files = sorted(data.rglob("*.log.gz"))  # the plain-Python baseline skips the header
    if args.headerless:
        data = without_headers(data)
    size = sum(f.stat().st_size for f in files)
    with tempfile.TemporaryDirectory(dir=CACHE) as home:
        seconds, peak, out = run_child(
            ["--home", home, "ingest", str(data), "--workers", str(args.workers), "--json"]
        )
    assert out["records"]["flow_logs"] == total, out
    sample, base_seconds = plain_python(files, 1_000_000)
    rate = total / seconds
    report(
        f"flow logs: {total:,} records in {len(files):,} files ({size / 1e6:,.0f} MB gzip)"
        + (", no header lines" if args.headerless else ""),
        [
            (
                "vigil ingest (wall, incl. start-up)",
                rate,
                f"{seconds:.2f} s, peak RSS {peak / 2**20:,.0f} MiB",
            ),
            ("plain Python split + int() (sample)", sample / base_seconds, f"{sample:,} records"),
        ],
    )
    summary = {
        "benchmark": "ingest_flowlogs_headerless" if args.headerless else "ingest_flowlogs",
        "records": total,
        "seconds": round(seconds, 3),
        "records_per_s": round(rate),
        "peak_rss_mib": round(peak / 2**20),
        "baseline_records_per_s": round(sample / base_seconds),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
