"""The server as the service layer composes it: its background work (`live.runtime`) with the
jobs it runs — the worker with its job and playbook senders, detection, the alarms, compaction —
and its settings (`live.serve_config`) and telemetry (`live.telemetry`)."""

from __future__ import annotations

from vigil.api import detect, lake, metrics, worker
from vigil.config import Settings
from vigil.live.runtime import Jobs
from vigil.live.runtime import Service as Service
from vigil.live.serve_config import ServeConfig as ServeConfig
from vigil.live.serve_config import for_serving as for_serving
from vigil.live.telemetry import Telemetry as Telemetry


def service(settings: Settings, telemetry: Telemetry, config: ServeConfig) -> Service:
    """The server's background work, its intervals from `config`."""
    jobs = Jobs(worker=worker.Worker, detect=detect.run, alarms=metrics.evaluate_alarms,
                compact=lake.compact)  # fmt: skip
    return Service(settings, telemetry, jobs, float(str(config["worker_interval"])),
                   float(str(config["detect_interval"])), float(str(config["alarm_interval"])),
                   float(str(config["compact_interval"])))  # fmt: skip
