"""The worker as the service layer builds it: the events worker (`vigil.events.worker`) with
the target types that need higher stages composed in, a scheduled job (detect, alarms,
ingest, posture) and a playbook. `vigil run` and `vigil serve` start it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vigil.api import detect, lake, metrics, posture
from vigil.config import Settings
from vigil.events import worker as events_worker
from vigil.events.delivery import Deliveries
from vigil.events.rules import Rule, Target
from vigil.events.senders import Sender
from vigil.events.targets import DeliveryFailed
from vigil.events.worker import Round as Round
from vigil.events.worker import Totals as Totals
from vigil.playbooks.run import run_playbook


def senders() -> dict[str, Sender]:
    """The senders of target types above the events stage, by type."""
    return {"job": _job, "playbook": run_playbook}


def one_round(settings: Settings, now: int, store: Deliveries | None = None) -> Round:
    """One pass: schedules, dispatch, due deliveries (jobs and playbooks included), then the
    archives and replays."""
    return events_worker.one_round(settings, now, store, senders())


@dataclass
class Worker(events_worker.Worker):
    """The events worker, its jobs and playbooks included."""

    senders: Mapping[str, Sender] = field(default_factory=senders)


def _job(settings: Settings, rule: Rule, target: Target, payload: Any, key: str) -> str:
    """Scheduled work: detect, evaluate alarms, ingest a source, collect posture."""
    options = target.settings
    job = str(options.get("job"))
    if job == "detect":
        report = detect.run(settings)
        return f"{report.units} units, {report.hits} hits"
    if job == "alarms":
        return f"{len(metrics.evaluate_alarms(settings))} alarm(s) changed"
    if job == "ingest":
        sources = options.get("sources") or []
        done = lake.ingest(
            settings,
            [str(s) for s in ([sources] if isinstance(sources, str) else sources)],
            fmt=options.get("format"),
            endpoint_url=options.get("endpoint_url"),
            account=options.get("account"),
            region=options.get("region"),
        )
        return f"{done.ingested} object(s), {sum(done.records.values())} records"
    if job == "posture":
        regions = options.get("regions")
        profiles = options.get("profiles") or options.get("profile")
        accounts = options.get("accounts") or ["all"]
        snap = posture.collect(
            list(regions) if regions else None,
            [profiles] if isinstance(profiles, str) else profiles,
            options.get("endpoint_url"),
            role=options.get("role"),
            accounts=[str(a) for a in ([accounts] if isinstance(accounts, str) else accounts)],
        )
        counts = posture.keep(settings, snap).recorded
        return (
            f"snapshot {snap.taken_at}: {counts.recorded} finding(s) recorded, "
            f"{counts.resolved} resolved"
        )
    raise DeliveryFailed(
        "NO_RESOURCE", f"unknown job {job!r} (detect, alarms, ingest, posture)", retriable=False
    )
