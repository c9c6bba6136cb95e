"""Benchmark: every built-in CloudTrail detection (SQL, Sigma, correlations, new terms) over a
CloudTrail lake, as `vigil detect` runs it: a whole process on a fresh home over a cached lake
of `--days` days of `--per-day` events (the demo organization's background: reads, S3 data
events, role sessions, denied calls).

Prints units run, wall time, events/s and the process's peak RSS, then (with --per-unit) the
slowest units, each timed alone over the whole range.

    python benchmarks/detect_cloudtrail.py --per-day 1000000 --days 1     # 1M events
    python benchmarks/detect_cloudtrail.py --per-day 1000000 --days 10    # 10M events
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import CACHE, cached, machine, run_child
from vigil.config import Settings
from vigil.ingest.pipeline import IngestOptions, ingest

LAKE_LAYOUT = 3  # bumped when the lake's columns or layout change: the cached lake is rebuilt


def dataset(per_day: int, days: int) -> tuple[Path, int]:
    """`days` days from 2026-11-02, each generated in its own process step (memory stays that
    of one day)."""
    data = CACHE / f"cloudtrail-{per_day}x{days}"
    code = (
        "import random; from datetime import UTC, datetime, timedelta; from pathlib import Path; "
        "from vigil.demo import trail; n = 0\n"
        f"for d in range({days}):\n"
        "    trail.reseed(3 + d); day = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=d)\n"
        f"    ev = trail.background(random.Random(3 + d), day, {per_day})\n"
        f"    trail.write(ev, Path({str(data)!r}), day); n += len(ev); del ev\n"
        f"Path({str(data / '.done')!r}).write_text(str(n))"
    )
    return data, cached(data, f"{days} x {per_day:,} CloudTrail events", code)


def lake(data: Path, name: str) -> Path:
    home = Settings.load(CACHE / f"lake{LAKE_LAYOUT}-{name}")
    if not (home.home / ".ready").exists():
        began = time.perf_counter()
        print(f"ingesting {data} into {home.lake_dir} (once) …", flush=True)
        ingest(home, [str(data)], IngestOptions())
        (home.home / ".ready").write_text("ok")
        print(f"  ingested in {time.perf_counter() - began:.0f} s", flush=True)
    return home.lake_dir


def per_unit(lake_dir: Path, top: int) -> list[tuple[str, float, int]]:
    from vigil.detect.runner import data_range, detection_connection
    from vigil.detect.units import load_units

    units = [u for u in load_units()[0] if u.source == "cloudtrail" and u.enabled]
    con = detection_connection(lake_dir, None)
    out = []
    try:
        low, high = data_range(con, "cloudtrail")
        assert low and high
        from vigil.detect.sql import run_unit

        for unit in units:
            if unit.silent:
                continue
            began = time.perf_counter()
            found = run_unit(con, unit, low, high + timedelta(seconds=1))
            out.append((unit.id, time.perf_counter() - began, len(found)))
    finally:
        con.close()
    return sorted(out, key=lambda r: -r[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-day", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--per-unit", type=int, default=0, help="show the N slowest units")
    args = parser.parse_args()
    data, events = dataset(args.per_day, args.days)
    lake_dir = lake(data, f"trail-{args.per_day}x{args.days}")
    print(f"\nevery CloudTrail detection over {events:,} events ({args.days} day(s)) — "
          f"{machine()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VIGIL_LAKE"] = str(lake_dir)
        seconds, peak, doc = run_child(["--home", str(Path(tmp) / "home"), "detect", "--json"])
    units = int(doc["units"])
    findings = sum(doc["findings"].values())
    print(f"  vigil detect (whole process): {units} units run in {seconds:.1f} s, "
          f"{events / seconds:,.0f} events/s, {findings} finding(s) touched, "
          f"peak RSS {peak / 2**20:,.0f} MiB")  # fmt: skip
    for line in doc.get("errors") or []:
        print(f"  error: {line}")
    if args.per_unit:
        print(f"  the {args.per_unit} slowest units, each alone:")
        for uid, took, hits in per_unit(lake_dir, args.per_unit):
            print(f"    {uid:<62} {took:6.2f} s  {hits} hit(s)")


if __name__ == "__main__":
    main()
