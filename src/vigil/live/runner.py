"""The server's live ingest: a thread per polled source (SQS, S3, directory) and one for the
spool of pushed records, each committing what its lane brings and keeping the source's
position, lag and last error. Sources added or removed while the server runs are picked up
within `reload` seconds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.detect.batch import BatchDetector
from vigil.ingest.options import FindingsSink, IngestOptions
from vigil.live import spool
from vigil.live.commit import Committed, commit
from vigil.live.lanes import Batch, DirLane, S3PollLane, SqsLane
from vigil.live.memory import release
from vigil.live.sources import Cursors, Position, Source, all_sources, counted
from vigil.sources.objects import Reader

log = logging.getLogger("vigil.live")
IDLE_SECONDS = 10.0  # no push committed for this long: the burst is over
OnCommit = Callable[[str, "Committed", float | None], None]  # source, what, lag seconds
KIND_OF = {"cloudtrail": "cloudtrail", "flow_logs": "flowlogs", "dns_logs": "dns",
           "s3_access_logs": "s3access"}  # a spooled table's `--type`  # fmt: skip


def options_for(source: Source, table: str | None = None) -> IngestOptions:
    from vigil.ingest.classify import LOG_TYPES

    kind = KIND_OF.get(table or "", source.type)
    fmt = None
    if source.format:
        from vigil.formats.flowlog_fields import parse_format

        fmt = parse_format(source.format)
    assert kind in LOG_TYPES
    return IngestOptions(log_type=kind, fmt=fmt, endpoint_url=source.endpoint_url,  # type: ignore[arg-type]
                         account=source.account, region=source.region, workers=1)  # fmt: skip


@dataclass
class LiveIngest:
    settings: Settings
    on_commit: OnCommit | None = None
    reload: float = 10.0
    threads: dict[str, threading.Thread] = field(default_factory=dict)
    stops: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)  # one commit at a time
    detector: BatchDetector | None = None  # made on first use, kept
    findings: FindingsSink | None = None  # the hub's intake for GuardDuty/Security Hub findings

    def _commit(self, objects: list[Any], options: IngestOptions, reader: Reader) -> Committed:
        if self.detector is None:
            self.detector = BatchDetector(self.settings)
        return commit(self.settings, objects, options, reader, self.detector, self.findings)

    def run(self, stop: threading.Event) -> None:
        """Until `stop`: keep a thread per source and commit the spool as pushes arrive."""
        last_reload = 0.0
        busy, rested = time.monotonic(), True
        while not stop.is_set():
            if time.monotonic() - last_reload > self.reload:
                self._follow(stop)
                last_reload = time.monotonic()
            spool.WAKE.clear()
            try:
                if self.drain():
                    busy, rested = time.monotonic(), False
            except Exception:
                log.exception("committing the spool failed; it stays and is tried again")
            if not rested and time.monotonic() - busy > IDLE_SECONDS:
                self.rest()  # pushes stopped: what the burst held goes back
                release()
                rested = True
            spool.WAKE.wait(1.0)
        for ev in self.stops.values():
            ev.set()
        for thread in self.threads.values():
            thread.join(timeout=30)
        with self.lock:
            if self.detector is not None:
                self.detector.close()

    def rest(self) -> None:
        """A quiet spell: let go of the batch detector (its engine and caches); the next
        commit makes another."""
        with self.lock:
            if self.detector is not None:
                self.detector.close()
                self.detector = None

    def drain(self) -> int:
        """Commit every spooled file (what a crash left behind included)."""
        done = 0
        for table, name in spool.waiting(self.settings):
            objects = spool.pending(self.settings, table, name)
            if not objects:
                continue
            source = next((s for s in all_sources(self.settings) if s.name == name),
                          Source(name, "log_group", name, "auto"))  # fmt: skip
            began = time.time()
            with self.lock:
                result = self._commit(objects, options_for(source, table), Reader())
            spool.remove(objects)
            oldest = min(int(o.uri.rsplit("/", 1)[-1][:20]) for o in objects) / 1e9
            self._account(name, result, Position(), began - oldest)
            done += len(objects)
        return done

    def _follow(self, stop: threading.Event) -> None:
        try:
            wanted = {s.name: s for s in all_sources(self.settings) if s.kind != "log_group"}
        except Exception as exc:
            log.error("the sources cannot be read: %s", exc)
            return
        for name in [n for n in self.threads if n not in wanted]:
            self.stops.pop(name).set()
            self.threads.pop(name)
            log.info("source %s removed: stopped following it", name)
        for name, source in wanted.items():
            if name in self.threads and self.threads[name].is_alive():
                continue
            ev = threading.Event()
            thread = threading.Thread(target=self._follow_one, args=(source, ev, stop),
                                      name=f"source-{name}", daemon=True)  # fmt: skip
            self.stops[name], self.threads[name] = ev, thread
            thread.start()
            log.info("following source %s (%s %s)", name, source.kind, source.target)

    def _follow_one(self, source: Source, mine: threading.Event, stop: threading.Event) -> None:
        lane: Any = None
        while not (mine.is_set() or stop.is_set()):
            with Cursors(self.settings) as cursors:
                position = cursors.get(source.name)
            try:
                if lane is None:
                    lane = {"sqs": SqsLane, "s3": S3PollLane, "dir": DirLane}[source.kind](source)
                self.poll_once(source, lane, position)
            except Exception as exc:
                position.last_error, position.last_error_ms = _one_line(exc), now_ms()
                log.warning("source %s: %s", source.name, position.last_error)
                with Cursors(self.settings) as cursors:
                    cursors.put(source.name, position, now_ms())
                lane = None
            if source.kind != "sqs" and not getattr(lane, "behind", False):
                # SQS long-polls; the others wait their interval unless catching up
                (mine if not stop.is_set() else stop).wait(source.interval)

    def poll_once(self, source: Source, lane: Any, position: Position) -> Committed | None:
        batch: Batch = lane.poll(position)
        result = None
        if batch.objects:
            with self.lock:
                if isinstance(lane, SqsLane):
                    with lane.invisible(batch):
                        result = self._commit(batch.objects, options_for(source),
                                              Reader(source.endpoint_url))  # fmt: skip
                else:
                    result = self._commit(batch.objects, options_for(source),
                                          Reader(source.endpoint_url))  # fmt: skip
        lane.done(batch, position)
        lag = (now_ms() - batch.newest_ms) / 1000 if batch.newest_ms else None
        if lane.problems:
            position.last_error, position.last_error_ms = lane.problems[-1], now_ms()
            lane.problems.clear()
        if result is not None:
            self._account(source.name, result, position, lag)
        else:
            position.last_ok_ms = now_ms()
            with Cursors(self.settings) as cursors:
                cursors.put(source.name, position, now_ms())
        return result

    def _account(self, name: str, result: Committed, position: Position,
                 lag: float | None) -> None:  # fmt: skip
        with Cursors(self.settings) as cursors:
            if not position.cursor:
                position.cursor = cursors.get(name).cursor
            kept = cursors.get(name)
            position.objects = kept.objects + result.report.ingested
            position.records = kept.records + sum(result.report.records.values())
            position.rejected = kept.rejected + result.report.rejected
            position.lag_seconds = lag
            position.last_ok_ms = now_ms()
            position.recent = counted(kept.recent, sum(result.report.records.values()),
                                      position.last_ok_ms)  # fmt: skip
            if position.last_error is None:
                position.last_error, position.last_error_ms = kept.last_error, kept.last_error_ms
            cursors.put(name, position, now_ms())
        if self.on_commit is not None:
            self.on_commit(name, result, lag)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
