"""Start-up time of the `vigil` command: `--version`, `--help`, a command that touches no lake
(`events test-pattern`), and a `logs` and a `metrics` command over a small home. Each is run as
a user runs it (a new process) several times; the script prints the median, p90 and worst wall
time, and each process's peak memory."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15
VIGIL = shutil.which("vigil") or str(Path(sys.executable).parent / "vigil")
PATTERN = json.dumps({"source": ["aws.ec2"], "detail": {"state": ["stopped"]}})
EVENT = json.dumps({"source": "aws.ec2", "detail": {"state": "stopped"}})
COMMANDS = {
    "vigil --version": ["--version"],
    "vigil --help": ["--help"],
    "vigil events test-pattern": ["events", "test-pattern", "--pattern", PATTERN, "--event", EVENT],
    "vigil logs groups": ["logs", "groups"],
    "vigil metrics list": ["metrics", "list"],
}
TARGETS = {"vigil --version": 0.05, "vigil --help": 0.3, "vigil events test-pattern": 0.5,
           "vigil logs groups": 0.5, "vigil metrics list": 0.5}  # fmt: skip


def measure(args: list[str]) -> tuple[list[float], int]:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        subprocess.run([VIGIL, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return sorted(times), peak_kb


def main() -> None:
    home = tempfile.mkdtemp(prefix="vigil-startup-")
    os.environ["VIGIL_HOME"] = home
    subprocess.run([VIGIL, "logs", "create-group", "startup"], check=True, capture_output=True)
    print(f"{VIGIL}, {RUNS} runs each, home {home}")
    try:
        run_all()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_all() -> None:
    for name, args in COMMANDS.items():
        times, peak_kb = measure(args)
        p90 = times[int(len(times) * 0.9) - 1]
        met = "met" if statistics.median(times) <= TARGETS[name] else "NOT met"
        print(
            f"  {name:<27} median {statistics.median(times):.3f} s  p90 {p90:.3f} s  "
            f"max {times[-1]:.3f} s  peak RSS {peak_kb / 1024:.0f} MiB  "
            f"(target {TARGETS[name]} s: {met})"
        )


if __name__ == "__main__":
    main()
