"""kill -9 in the middle of an ingest leaves no partial or duplicate data; the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vigil.config import Settings
from vigil.demo.generate import generate
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.query.engine import run_query

pytestmark = pytest.mark.slow


def totals(home: Path) -> dict[str, int]:
    sql = ("SELECT (SELECT count(*) FROM flow_logs) AS flows, "
           "(SELECT count(*) FROM cloudtrail) AS events, "
           "(SELECT count(DISTINCT eventid) FROM cloudtrail) AS distinct_events")  # fmt: skip
    return run_query(home / "lake", sql).to_pylist()[0]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo_s3(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("demo")
    gen = generate(root, "small")
    reference = Settings.load(root / "reference")
    ingest(reference, [str(gen.s3_root)], IngestOptions())
    return gen.s3_root, totals(reference.home)


@pytest.mark.parametrize("delay", [0.6, 1.2, 2.0])
def test_kill_9_then_rerun_gives_exactly_the_reference(
    tmp_path: Path, demo_s3: tuple[Path, dict[str, int]], delay: float
) -> None:
    source, reference = demo_s3
    home = tmp_path / "home"
    cmd = [sys.executable, "-m", "vigil", "--home", str(home), "ingest", str(source),
           "--batch-rows", "3000", "--json"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    killed = proc.returncode == -signal.SIGKILL
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    after = totals(home)
    assert after == reference, f"killed={killed}"
    assert after["events"] == after["distinct_events"]
    assert not list((home / "lake").rglob("*.inflight"))
    assert killed or delay >= 2.0, "the ingest finished before it could be killed"


@pytest.mark.parametrize("delay", [0.8, 1.6])
def test_kill_9_during_reprocess_loses_nothing_and_doubles_nothing(
    tmp_path: Path, demo_s3: tuple[Path, dict[str, int]], delay: float
) -> None:
    source, reference = demo_s3
    home = tmp_path / "home"
    ingest(Settings.load(home), [str(source)], IngestOptions())
    cmd = [sys.executable, "-m", "vigil", "--home", str(home), "ingest", str(source),
           "--batch-rows", "3000", "--json"]  # fmt: skip
    proc = subprocess.Popen([*cmd, "--reprocess"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    killed = proc.returncode == -signal.SIGKILL
    # The next writer repairs the interrupted batch: every record once, none missing.
    repaired = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert repaired.returncode == 0, repaired.stderr
    assert totals(home) == reference, f"killed={killed}"
    again = subprocess.run([*cmd, "--reprocess"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert totals(home) == reference
    assert not list((home / "lake").rglob("*.inflight"))
    assert killed, "the reprocess finished before it could be killed"
