"""The agent's loop: tail the files, group their records, send them with PutLogEvents (to
Vigil or to AWS: the standard credential chain, `endpoint_url`), retry with backoff, and
checkpoint each file only past what was accepted. A syslog receiver (UDP and TCP) feeds its
own group. Events CloudWatch Logs rejects (too old, too new) are written beside the state
file (`.rejected.jsonl`), not dropped silently."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import socketserver
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

from vigil.agent.config import AgentConfig, FileSpec
from vigil.agent.records import (
    Clock,
    Record,
    batches,
    flush_pending,
    group_lines,
    octet_frames,
    parse_syslog,
)
from vigil.agent.tail import Checkpoints, Tailer, Tracked

log = logging.getLogger("vigil.agent")
RETRYABLE: Final = {"ThrottlingException", "ServiceUnavailableException", "InternalFailure",
                    "ServiceUnavailable", "InternalServerError"}  # fmt: skip
IDLE_POLLS: Final = 2  # a multi-line record with nothing after it for this long is complete


@dataclass
class Totals:
    sent: int = 0
    calls: int = 0
    retries: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)


class Shipper:
    def __init__(self, config: AgentConfig) -> None:
        import boto3

        session = boto3.Session(profile_name=config.profile, region_name=config.region)
        self.logs = session.client("logs", endpoint_url=config.endpoint_url)
        self.ready: set[tuple[str, str]] = set()
        self.rejected_path = config.state_file.with_suffix(".rejected.jsonl")
        self.totals = Totals()

    def _ensure(self, group: str, stream: str, retention: int | None) -> None:
        if (group, stream) in self.ready:
            return
        for call, args in ((self.logs.create_log_group, {"logGroupName": group}),
                           (self.logs.create_log_stream,
                            {"logGroupName": group, "logStreamName": stream})):  # fmt: skip
            with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
                call(**args)
        if retention:
            self.logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
        self.ready.add((group, stream))

    def send(self, group: str, stream: str, events: list[tuple[int, str]],
             retention: int | None, stop: threading.Event) -> bool:  # fmt: skip
        """Every batch accepted (True), or stopped while retrying (False)."""
        from botocore.exceptions import BotoCoreError, ClientError

        for batch in batches(events):
            delay = 0.5
            while True:
                try:
                    self._ensure(group, stream, retention)
                    reply = self.logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t, "message": m} for t, m in batch])  # fmt: skip
                    self.totals.calls += 1
                    self.totals.sent += len(batch)
                    self._rejected(group, stream, batch, reply.get("rejectedLogEventsInfo"))
                    break
                except ClientError as exc:
                    code = exc.response["Error"]["Code"]
                    if code == "ResourceNotFoundException":
                        self.ready.discard((group, stream))
                    elif code not in RETRYABLE:
                        self.totals.errors.append(f"{group}/{stream}: {code}: {exc}")
                        self._rejected(group, stream, batch, {"error": code})
                        break
                except BotoCoreError as exc:  # the endpoint is down: keep trying
                    log.warning("%s/%s: %s; retrying in %.1f s", group, stream, exc, delay)
                self.totals.retries += 1
                if stop.wait(delay * (0.5 + random.random())):
                    return False
                delay = min(delay * 2, 30.0)
        return True

    def _rejected(self, group: str, stream: str, batch: list[tuple[int, str]],
                  info: dict[str, Any] | None) -> None:  # fmt: skip
        if not info:
            return
        if "error" in info:
            bad = batch
        else:
            low = max(info.get("tooOldLogEventEndIndex", 0), info.get("expiredLogEventEndIndex", 0))
            high = info.get("tooNewLogEventStartIndex", len(batch))
            bad = batch[:low] + batch[high:]
        if not bad:
            return
        self.totals.rejected += len(bad)
        with open(self.rejected_path, "a") as out:
            for ts, message in bad:
                out.write(json.dumps({"group": group, "stream": stream, "timestamp": ts,
                                      "message": message, **info}) + "\n")  # fmt: skip


@dataclass
class _Queued:
    spec: FileSpec
    tracked: Tracked
    records: list[Record] = field(default_factory=list)


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.checkpoints = Checkpoints(config.state_file)
        self.tailers = [(spec, Tailer(spec.file_path, self.checkpoints),
                         Clock(spec.timestamp_format, spec.json))
                        for spec in config.files]  # fmt: skip
        self.shipper = Shipper(config)
        self.syslog: list[tuple[int, str]] = []
        self.syslog_lock = threading.Lock()
        self.servers: list[socketserver.BaseServer] = []

    def run(self, stop: threading.Event, once: bool = False) -> Totals:
        if self.config.syslog is not None:
            self._start_syslog()
        queued: dict[str, _Queued] = {}
        last_flush = time.monotonic()
        try:
            while True:
                self._collect(queued)
                due = time.monotonic() - last_flush >= self.config.flush_interval
                if due or once or stop.is_set():
                    if not self._flush(queued, stop):
                        break
                    last_flush = time.monotonic()
                if once or stop.is_set():
                    break
                stop.wait(self.config.poll_interval)
        finally:
            for server in self.servers:
                server.shutdown()
                server.server_close()
        return self.shipper.totals

    def _collect(self, queued: dict[str, _Queued]) -> None:
        for spec, tailer, _ in self.tailers:
            for tracked, lines in tailer.poll():
                q = queued.setdefault(tracked.key, _Queued(spec, tracked))
                q.tracked = tracked
                q.records += group_lines(lines, spec.multi_line_start, tracked.pending)
                if tracked.pending and tracked.idle_polls >= IDLE_POLLS:
                    q.records += flush_pending(tracked.pending)

    def _flush(self, queued: dict[str, _Queued], stop: threading.Event) -> bool:
        now = int(time.time() * 1000)
        clocks = {id(spec): clock for spec, _, clock in self.tailers}
        by_stream: dict[tuple[str, str, int | None], list[_Queued]] = defaultdict(list)
        for q in queued.values():
            if q.records:
                by_stream[(q.spec.log_group, q.spec.log_stream, q.spec.retention_days)].append(q)
        for (group, stream, retention), items in by_stream.items():
            events = [(clocks[id(q.spec)].time_of(r.message, now), r.message)
                      for q in items for r in q.records]  # fmt: skip
            if not self.shipper.send(group, stream, events, retention, stop):
                return False
            for q in items:
                q.tracked.sent = q.records[-1].end
                q.records.clear()
            self.checkpoints.save([q.tracked for q in items])
        with self.syslog_lock:
            messages, self.syslog = self.syslog, []
        spec = self.config.syslog
        if messages and spec is not None:
            return self.shipper.send(spec.log_group, spec.log_stream, messages, None, stop)
        return True

    # -- syslog ---------------------------------------------------------------------------------
    def take(self, line: str) -> None:
        if line.strip():
            msg = parse_syslog(line, int(time.time() * 1000))
            with self.syslog_lock:
                self.syslog.append((msg.timestamp_ms, msg.message))

    def _start_syslog(self) -> None:
        spec = self.config.syslog
        assert spec is not None
        agent = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = self.request[0]
                for line in data.decode(errors="replace").splitlines():
                    agent.take(line)

        class Tcp(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                buffer = bytearray()
                while chunk := self.request.recv(65536):
                    buffer += chunk
                    for line in octet_frames(buffer):
                        agent.take(line)

        class ThreadingTcp(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        if spec.udp:
            self.servers.append(socketserver.ThreadingUDPServer((spec.host, spec.udp), Udp))
        if spec.tcp:
            self.servers.append(ThreadingTcp((spec.host, spec.tcp), Tcp))
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        log.info("syslog on %s (udp %s, tcp %s) → %s", spec.host, spec.udp, spec.tcp,
                 spec.log_group)  # fmt: skip
