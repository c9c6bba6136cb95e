"""Shared helpers for the benchmarks: data cache, timing a child process, printing results."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CACHE = Path(__file__).parent / ".cache"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"
    return f"{system}, Python {platform.python_version()}"


def cached(data: Path, what: str, code: str) -> int:
    """Generate a dataset once (`code` writes `data/.done`, which ingest skips); its size."""
    if not (data / ".done").exists():
        shutil.rmtree(data, ignore_errors=True)
        print(f"generating {what} into {data} (once) …", flush=True)
        run_python(code)
    return int((data / ".done").read_text())


def run_python(code: str) -> None:
    """Run generation in its own process, so this one stays small: a child forked from a
    large parent would report the parent's pages as its own peak RSS."""
    subprocess.run([sys.executable, "-c", code], check=True)


def run_child(args: list[str]) -> tuple[float, int, dict[str, Any]]:
    """Run `python -m vigil …`; return wall seconds, the child's peak RSS (bytes), its JSON."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vigil", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"vigil failed: {done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return seconds, peak, json.loads(done.stdout)


def report(name: str, rows: list[tuple[str, float, str]]) -> None:
    print(f"\n{name} — {machine()}")
    for label, rate, note in rows:
        print(f"  {label:<44} {rate:>12,.0f} records/s   {note}")


def flow_dataset(records: int, per_day: int) -> tuple[Path, int]:
    """Default-format S3 flow-log files from the demo generator (made once, then cached)."""
    data = CACHE / f"flowlogs-{records}-{per_day}"
    code = (
        "from pathlib import Path; from vigil.demo.generate import flow_text_dataset; "
        f"n = flow_text_dataset(Path({str(data)!r}), {records}, {per_day}); "
        f"Path({str(data / '.done')!r}).write_text(str(n))"
    )
    return data, cached(data, f"{records:,} flow records", code)


def trail_dataset(events: int) -> tuple[Path, int]:
    """An organization trail's CloudTrail files from the demo generator (made once)."""
    data = CACHE / f"cloudtrail-{events}"
    code = (
        "import random; from datetime import UTC, datetime; from pathlib import Path; "
        "from vigil.demo import trail; trail.reseed(3); "
        "day = datetime(2026, 11, 2, tzinfo=UTC); "
        f"ev = trail.background(random.Random(3), day, {events}); "
        f"trail.write(ev, Path({str(data)!r}), day); "
        f"Path({str(data / '.done')!r}).write_text(str(len(ev)))"
    )
    return data, cached(data, f"{events:,} CloudTrail events", code)
