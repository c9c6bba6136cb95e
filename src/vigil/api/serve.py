"""The service that `vigil serve` runs beside its HTTP shell: the worker (schedules, dispatch,
deliveries) and the live ingest (sources, the spool of pushes, detection on every committed
batch, every unit over the lake on the windows the batches touched, alarms) on their own
threads, readiness, a clean stop, and the server's telemetry in Prometheus form."""

from __future__ import annotations

import ipaddress
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from vigil.api import detect, lake, metrics
from vigil.api.worker import Worker
from vigil.config import QueryLimits, Settings, memory_bytes, tighten
from vigil.errors import ConfigError
from vigil.events.netguard import serving_on
from vigil.events.policy import check_section
from vigil.inputs import expect_mapping, load_yaml
from vigil.live.memory import for_a_server, release
from vigil.live.runner import LiveIngest
from vigil.state import StateDB

log = logging.getLogger("vigil.serve")
LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
COMPACT_SMALL_BYTES: Final = 64 << 20  # files past this are left as they are
COMPACT_MIN_FILES: Final = 8  # a partition with fewer small files waits


class Telemetry:
    """The metrics `/metrics` shows, in a registry of the server's own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        r = self.registry = CollectorRegistry()
        self.http = Counter("vigil_http_requests", "HTTP requests by API, operation and status",
                            ["api", "operation", "code"], registry=r)  # fmt: skip
        self.http_seconds = Histogram("vigil_http_request_seconds", "Time to answer a request",
                                      ["api"], buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.ingest = Counter("vigil_ingest_records", "Records ingested by table and source",
                              ["table", "source"], registry=r)  # fmt: skip
        self.lag = Gauge("vigil_source_lag_seconds", "How far a source is behind", ["source"],
                         registry=r)  # fmt: skip
        self.detect = Histogram("vigil_detect_seconds", "Time to evaluate a committed batch",
                                buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.alert = Histogram("vigil_alert_latency_seconds",
                               "From a record's arrival to its finding's delivery",
                               buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.deliveries = Counter("vigil_deliveries", "Deliveries to targets by result",
                                  ["result"], registry=r)  # fmt: skip
        self.queue = Gauge("vigil_queue_depth", "Items waiting, by queue", ["queue"], registry=r)
        for name, sql in QUEUES.items():
            self.queue.labels(name).set_function(self._depth(sql))

    def _depth(self, sql: str) -> Callable[[], float]:
        def read() -> float:
            try:
                with sqlite3.connect(f"file:{self.settings.state_db}?mode=ro", uri=True,
                                     timeout=2) as db:  # fmt: skip
                    return float(db.execute(sql).fetchone()[0])
            except sqlite3.Error:
                return 0.0

        return read

    def observe_http(self, api: str, operation: str, code: int, seconds: float) -> None:
        self.http.labels(api, operation, str(code)).inc()
        self.http_seconds.labels(api).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def committed(self, source: str, done: Any, lag: float | None) -> None:
        for table, count in done.report.records.items():
            if count:
                self.ingest.labels(table, source).inc(count)
        if lag is not None:
            self.lag.labels(source).set(max(0.0, lag))
        if done.detection.units:
            self.detect.observe(done.detection.seconds)
        if done.findings_emitted and lag is not None:
            self.alert.observe(max(0.0, lag))


QUEUES: Final = {
    "events": "SELECT count(*) FROM events WHERE dispatched = 0",
    "deliveries": "SELECT count(*) FROM deliveries WHERE status = 'pending'",
    "dlq": "SELECT count(*) FROM deliveries WHERE status = 'dlq'",
}


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
        worker = Worker(self.settings, self.interval)

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

        live = LiveIngest(self.settings, on_commit)

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
                    report = detect.run(self.settings, since=low, until=high, tables=tables,
                                        windowed=True)  # fmt: skip
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
                    metrics.evaluate_alarms(self.settings)
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
            report = lake.compact(self.settings, small_bytes=COMPACT_SMALL_BYTES,
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


ENV_PREFIX: Final = "VIGIL_"


class ServeConfig:
    """`<home>/vigil.yaml`, each key also an environment variable (`VIGIL_PORT`, …), the
    environment winning; checked at start (`vigil serve --check`)."""

    KEYS: Final = {
        "host": (str, "127.0.0.1"), "port": (int, 8700), "account": (str, "000000000000"),
        "region": (str, "us-east-1"), "tls_cert": (str, None), "tls_key": (str, None),
        "insecure_no_auth": (bool, False), "worker_interval": (float, 1.0),
        "detect_interval": (float, 30.0), "alarm_interval": (float, 10.0),
        "compact_interval": (float, 60.0),
        "log_level": (str, "info"),
        "trusted_proxies": (list, []),
        "query_timeout": (float, 30.0), "query_memory_limit": (str, "1GB"),
        "query_max_rows": (int, 10_000), "query_concurrency": (int, 4),
        "query_max_bytes": (str, "64MB"),
        "metrics_open": (bool, False),  # /metrics without a token: loopback only
        "query_threads": (int, max(1, (os.cpu_count() or 2) - 1)),  # one core for requests
    }  # fmt: skip
    SECTIONS: Final = ("sources", "targets")  # checked by their own stages

    def __init__(self, values: dict[str, object], path: str) -> None:
        self.values = values
        self.path = path

    def __getitem__(self, key: str) -> object:
        return self.values[key]

    @classmethod
    def load(cls, settings: Settings, overrides: dict[str, object] | None = None) -> ServeConfig:

        path = settings.home / "vigil.yaml"
        doc: dict[str, object] = {}
        if path.is_file():
            doc = dict(expect_mapping(load_yaml(path), str(path), "the server's settings"))
        unknown = sorted(set(doc) - set(cls.KEYS) - set(cls.SECTIONS))
        if unknown:
            raise ConfigError(f"{path}: {', '.join(unknown)} is not a setting",
                              hint="settings: " + ", ".join(cls.KEYS))  # fmt: skip
        values: dict[str, object] = {}
        for key, (kind, default) in cls.KEYS.items():
            raw = os.environ.get(ENV_PREFIX + key.upper(), doc.get(key, default))
            if overrides and overrides.get(key) is not None:
                raw = overrides[key]
            values[key] = _typed(kind, raw, key, str(path))
        if (values["tls_cert"] and not values["tls_key"]) or (values["tls_key"] and not \
                values["tls_cert"]):  # fmt: skip
            raise ConfigError("TLS needs both tls_cert and tls_key",
                              hint="--tls-cert FILE --tls-key FILE")  # fmt: skip
        if values["insecure_no_auth"] and values["host"] not in ("127.0.0.1", "::1", "localhost"):
            raise ConfigError("insecure_no_auth is only allowed on loopback",
                              hint="listen on 127.0.0.1, or keep authentication on")  # fmt: skip
        if values["metrics_open"] and values["host"] not in ("127.0.0.1", "::1", "localhost"):
            raise ConfigError("metrics_open is only allowed on loopback",
                              hint="give a scraper a token: vigil users create prom --role "
                                   "metrics; vigil tokens create --user prom")  # fmt: skip
        port = values["port"]
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"port {port} is not 0-65535")

        check_section(doc.get("targets"), str(path))
        values["trusted_proxies"] = _networks(values["trusted_proxies"], str(path))
        _limits(values, str(path))
        return cls(values, str(path))

    def query_limits(self) -> QueryLimits:
        """The limits every query a client sends runs under."""
        return QueryLimits(
            seconds=float(str(self["query_timeout"])), memory=str(self["query_memory_limit"]),
            max_rows=int(str(self["query_max_rows"])),
            concurrency=int(str(self["query_concurrency"])),
            max_bytes=memory_bytes(str(self["query_max_bytes"])),
            threads=int(str(self["query_threads"])),
        )  # fmt: skip


def for_serving(settings: Settings, config: ServeConfig) -> Settings:
    """The settings a server runs with: its limits on clients' queries, and its port made
    known to the target guard (no target may deliver to the server itself)."""

    changed = tighten(settings.home)
    if changed:
        log.info("made %d files and folders in %s readable by their owner only", changed,
                 settings.home)  # fmt: skip
    if int(str(config["port"])):
        serving_on([int(str(config["port"]))])
    return replace(settings, limits=config.query_limits())


def _networks(raw: object, where: str) -> list[str]:
    """`trusted_proxies`: addresses or CIDR networks (a list, or commas in the environment)."""

    items = raw if isinstance(raw, list) else [p for p in str(raw or "").split(",")]
    out = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(f"{where}: trusted_proxies: {item!r} is not an address or network",
                              hint="e.g. [10.0.0.5, 10.1.0.0/24]") from None  # fmt: skip
    return out


def _limits(values: dict[str, object], where: str) -> None:
    for key in ("query_timeout", "query_max_rows", "query_concurrency", "query_threads"):
        if not float(str(values[key])) > 0:
            raise ConfigError(f"{where}: {key} must be above 0")
    for key in ("query_memory_limit", "query_max_bytes"):
        try:
            memory_bytes(str(values[key]))
        except ValueError:
            raise ConfigError(f"{where}: {key} = {values[key]!r} is not a size",
                              hint="e.g. 64MB, 512MB, 2GB") from None  # fmt: skip


def _typed(kind: type, raw: object, key: str, where: str) -> object:
    if raw is None:
        return None
    if kind is list:
        return raw
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text in ("1", "true", "yes")
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} = {raw!r} is not a {kind.__name__}",
                          hint=f"or set {ENV_PREFIX}{key.upper()}") from None  # fmt: skip
