"""The server's telemetry: the metrics `/metrics` shows (requests, ingest, lag, detection,
alert latency, deliveries, queue depths), in a Prometheus registry of the server's own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from vigil.config import Settings

LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)


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
