"""The server's background work beside its HTTP shell: the worker (schedules, dispatch,
deliveries) and the live ingest (sources, the spool of pushes, detection on every committed
batch, every unit over the lake on the windows the batches touched, alarms, compaction) on
their own threads, readiness and a clean stop. What it runs — the worker, a detection run,
the alarms, a compaction — is given to it (`Jobs`, composed by the service layer)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from vigil.config import Settings
from vigil.live.memory import for_a_server, release
from vigil.live.runner import LiveIngest
from vigil.live.telemetry import Telemetry
from vigil.state import StateDB

log = logging.getLogger("vigil.serve")
COMPACT_SMALL_BYTES: Final = 64 << 20  # files past this are left as they are
COMPACT_MIN_FILES: Final = 8  # a partition with fewer small files waits


class Worker(Protocol):
    def run(self, stop: threading.Event, on_round: Callable[[int, Any, float], None]) -> Any: ...


@dataclass(frozen=True)
class Jobs:
    """What the server runs, as the service layer composes it."""

    worker: Callable[[Settings, float], Worker]  # the events worker, its senders composed in
    detect: Callable[..., Any]  # every unit over the lake on a window (returns a DetectReport)
    alarms: Callable[[Settings], Any]  # evaluate every alarm
    compact: Callable[..., Any]  # merge small files (returns a CompactReport)
    findings: Callable[[Settings], Any] | None = None  # the hub's intake (a FindingsSink)


class Touched:
    """The time span the committed batches' events fell in since the last detection run, and
    the tables they went to."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.span: tuple[datetime, datetime] | None = None
        self.tables: set[str] = set()

    def add(self, ranges: Mapping[str, tuple[datetime, datetime]]) -> None:
        with self.lock:
            for table, (low, high) in ranges.items():
                if self.span is not None:
                    low, high = min(low, self.span[0]), max(high, self.span[1])
                self.span = (low, high)
                self.tables.add(table)

    def take(self) -> tuple[datetime, datetime, set[str]] | None:
        """The span (its end just past the last event) and tables, and a fresh start."""
        with self.lock:
            span, self.span = self.span, None
            tables, self.tables = self.tables, set()
        if span is None:
            return None
        return span[0], span[1] + timedelta(seconds=1), tables


@dataclass
class Service:
    """The background work of a server: start it, ask whether it is ready, stop it."""

    settings: Settings
    telemetry: Telemetry
    jobs: Jobs
    interval: float = 1.0
    detect_interval: float = 30.0  # every unit over the lake, on the windows batches touched
    alarm_interval: float = 10.0  # alarms evaluated this often (metric filters run on arrival)
    compact_interval: float = 60.0  # small live-commit files merged this often
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        for_a_server()

        self.settings.ensure()

        with StateDB(self.settings.state_db):
            pass  # the schema is brought up to date before anything is served
        worker = self.jobs.worker(self.settings, self.interval)

        def on_round(number: int, done: object, seconds: float) -> None:
            for result in ("delivered", "retried", "dead"):
                count = getattr(done, result, 0)
                if count:
                    self.telemetry.deliveries.labels(result).inc(count)

        def run() -> None:
            try:
                worker.run(self.stop_event, on_round)
            except Exception:
                log.exception("the worker stopped on an error")

        thread = threading.Thread(target=run, name="worker", daemon=True)
        thread.start()
        self.threads.append(thread)
        self._start_live()
        self.ready.set()
        log.info("worker started (every %.1f s)", self.interval)

    def _start_live(self) -> None:
        touched = Touched()

        def on_commit(source: str, done: Any, lag: float | None) -> None:
            self.telemetry.committed(source, done, lag)
            touched.add(done.detection.touched)

        intake = self.jobs.findings(self.settings) if self.jobs.findings else None
        live = LiveIngest(self.settings, on_commit, findings=intake)

        def run_live() -> None:
            try:
                live.run(self.stop_event)
            except Exception:
                log.exception("the live ingest stopped on an error")

        def reconcile() -> None:
            compacted = time.monotonic()
            while not self.stop_event.wait(self.detect_interval):
                if time.monotonic() - compacted >= self.compact_interval:
                    compacted = time.monotonic()
                    self._compact()
                taken = touched.take()
                if taken is None:  # a quiet turn: what the last burst held goes back
                    live.rest()
                    release()
                    continue
                low, high, tables = taken
                began = time.perf_counter()
                try:  # beside commits, not under their lock: the lake's files are immutable
                    report = self.jobs.detect(self.settings, since=low, until=high,
                                              tables=tables, windowed=True)  # fmt: skip
                    log.info("detection over the touched windows %s to %s (%s): %d units, "
                             "%d hits, %.2f s", low.isoformat(), high.isoformat(),
                             ", ".join(sorted(tables)), report.units, report.hits,
                             time.perf_counter() - began)  # fmt: skip
                except Exception:
                    touched.add({t: (low, high) for t in tables})  # again at the next turn
                    log.exception("the detection over the touched windows failed")
                release()

        def alarms() -> None:
            while not self.stop_event.wait(self.alarm_interval):
                try:
                    self.jobs.alarms(self.settings)
                except Exception:
                    log.exception("evaluating the alarms failed; they are evaluated again later")

        for name, target in (("live-ingest", run_live), ("detect", reconcile),
                             ("alarms", alarms)):  # fmt: skip
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def _compact(self) -> None:
        """Live commits write one small file each; merging them keeps queries fast."""

        began = time.perf_counter()
        try:
            report = self.jobs.compact(self.settings, small_bytes=COMPACT_SMALL_BYTES,
                                       min_files=COMPACT_MIN_FILES)  # fmt: skip
        except Exception:
            log.exception("compacting the lake failed; it is tried again later")
            return
        if report.partitions:
            log.info("compacted %d partitions: %d files into %d, %.2f s", report.partitions,
                     report.files_before, report.files_after,
                     time.perf_counter() - began)  # fmt: skip

    def stop(self, timeout: float = 30.0) -> None:
        """Let the round in progress finish, then stop."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)
        log.info("stopped")
