"""Which sender a target type uses, with what it needs from Vigil (allow-list, context)."""

from __future__ import annotations

import json
from typing import Any

from vigil.config import Settings
from vigil.events import targets as tg
from vigil.events.rules import Rule, Target


def send(settings: Settings, rule: Rule, target: Target, payload: Any, key: str) -> str:
    kind = target.type
    if kind == "webhook":
        return tg.webhook(target.settings, payload, key)
    if kind == "slack":
        return tg.slack(target.settings, payload, key)
    if kind == "pagerduty":
        return tg.pagerduty(target.settings, payload, key)
    if kind == "email":
        return tg.email(target.settings, payload, key)
    if kind == "command":
        from vigil.events.delivery import allowed_commands

        return tg.command(target.settings, payload, key, allowed_commands(settings))
    if kind == "python":
        context = {
            "rule": rule.name,
            "rule_arn": rule.arn,
            "target": target.id,
            "home": str(settings.home),
        }
        return tg.python(target.settings, payload, key, context)
    if kind == "log":
        return _log(settings, target, payload)
    if kind == "job":
        return _job(settings, target)
    if kind == "playbook":
        from vigil.playbooks.run import run_playbook

        return run_playbook(settings, rule, target, payload, key)
    raise tg.DeliveryFailed("NO_RESOURCE", f"target type {kind} is not available", retriable=False)


def _log(settings: Settings, target: Target, payload: Any) -> str:
    """A CloudWatch Logs target: the event as one log event (group and stream created)."""
    from vigil.logs.files import put_events_now

    group = str(target.settings.get("log_group", "/aws/events/vigil"))
    put_events_now(
        settings, group, str(target.settings.get("stream", "events")), [json.dumps(payload)]
    )
    return f"1 event into {group}"


def _job(settings: Settings, target: Target) -> str:
    """Scheduled work: detect, evaluate alarms, ingest a source."""
    from vigil import api

    job = str(target.settings.get("job"))
    if job == "detect":
        report = api.detect(settings)
        return f"{report['units']} units, {report['hits']} hits"
    if job == "alarms":
        from vigil.logs.groups import now_ms
        from vigil.metrics.alarms import AlarmStore
        from vigil.metrics.store import MetricStore

        with AlarmStore(settings) as alarms, MetricStore(settings) as metrics:
            return f"{len(alarms.evaluate(now_ms(), metrics))} alarm(s) changed"
    if job == "ingest":
        options = target.settings
        sources = options.get("sources") or []
        done = api.ingest(
            settings,
            [str(s) for s in ([sources] if isinstance(sources, str) else sources)],
            fmt=options.get("format"),
            endpoint_url=options.get("endpoint_url"),
            account=options.get("account"),
            region=options.get("region"),
        )
        return f"{done.ingested} object(s), {sum(done.records.values())} records"
    if job == "posture":
        from vigil.posture import snapshot as snaps
        from vigil.posture.collect import collect
        from vigil.posture.findings import audit_and_record

        regions = target.settings.get("regions")
        profiles = target.settings.get("profiles") or target.settings.get("profile")
        accounts = target.settings.get("accounts") or ["all"]
        snap = collect(
            list(regions) if regions else None,
            [profiles] if isinstance(profiles, str) else profiles,
            target.settings.get("endpoint_url"),
            role=target.settings.get("role"),
            accounts=[str(a) for a in ([accounts] if isinstance(accounts, str) else accounts)],
        )
        snaps.save(settings, snap)
        counts = audit_and_record(settings, snap)
        return (
            f"snapshot {snap.taken_at}: {counts['recorded']} finding(s) recorded, "
            f"{counts['resolved']} resolved"
        )
    raise tg.DeliveryFailed(
        "NO_RESOURCE", f"unknown job {job!r} (detect, alarms, ingest, posture)", retriable=False
    )
