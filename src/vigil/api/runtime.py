"""The server's background work as the service layer composes it (`live.runtime`): the jobs
it runs — the worker with its job and playbook senders, detection over the windows live
batches touched, the alarms, compaction — and their intervals from the server's settings."""

from __future__ import annotations

from vigil.api import detect, lake, metrics, worker
from vigil.config import Settings
from vigil.live.intake import intake
from vigil.live.runtime import Jobs
from vigil.live.runtime import Service as Service
from vigil.live.serve_config import ServeConfig
from vigil.live.telemetry import Telemetry


def service(settings: Settings, telemetry: Telemetry, config: ServeConfig) -> Service:
    """The server's background work, its intervals from `config`."""
    jobs = Jobs(worker=worker.Worker, detect=detect.run, alarms=metrics.evaluate_alarms,
                compact=lake.compact, findings=intake)  # fmt: skip
    return Service(settings, telemetry, jobs, float(str(config["worker_interval"])),
                   float(str(config["detect_interval"])), float(str(config["alarm_interval"])),
                   float(str(config["compact_interval"])))  # fmt: skip
