"""The demo's automated response: a rule sends high-severity findings to a webhook the demo
runs on loopback, another plans (dry-run) the playbook that re-enables CloudTrail when a
StopLogging call arrives; after detection the worker delivers once and the demo shows what
arrived and the recorded plan."""

from __future__ import annotations

from typing import Any

from vigil.api import worker
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.demo.receiver import RULE, TARGET, Receiver
from vigil.events.delivery import Deliveries, run_round
from vigil.events.rules import save_rule
from vigil.playbooks.run import Runs

HIGH_FINDINGS = {
    "source": ["aws.guardduty"],
    "detail-type": ["GuardDuty Finding"],
    "detail": {"severity": [{"numeric": [">=", 7]}]},
}
STOP_LOGGING = {
    "source": ["aws.cloudtrail"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventName": ["StopLogging"]},
}


def allow_receiver(settings: Settings) -> None:
    """Webhooks may not reach loopback unless the operator allows it in vigil.yaml: the demo,
    as the operator of its own home, allows the one address its receiver listens on."""
    import yaml

    path = settings.home / "vigil.yaml"
    doc = (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
    networks = (
        doc.setdefault("targets", {}).setdefault("webhook", {}).setdefault("allow_networks", [])
    )
    if "127.0.0.1/32" not in networks:
        networks.append("127.0.0.1/32")
        path.write_text(yaml.safe_dump(doc, sort_keys=False))


def install_rules(settings: Settings, receiver: Receiver) -> None:
    allow_receiver(settings)
    save_rule(
        settings,
        {
            "name": RULE,
            "description": "severity 7 and up to the SOC",
            "pattern": HIGH_FINDINGS,
            "targets": [{"id": TARGET, "type": "webhook", "url": receiver.url}],
        },
    )
    save_rule(
        settings,
        {
            "name": "demo-stop-logging",
            "description": "plan StartLogging (dry-run)",
            "pattern": STOP_LOGGING,
            "targets": [
                {
                    "id": "reenable",
                    "type": "playbook",
                    "playbook": "reenable-cloudtrail",
                    "apply": False,
                }
            ],
        },
    )


def deliver(settings: Settings, receiver: Receiver) -> dict[str, Any]:
    with Deliveries(settings, senders=worker.senders()) as queue:
        for _ in range(5):
            done = run_round(settings, now_ms(), queue)
            if not done.queued and not done.retried:
                break
        audit = queue.audit(1000)
    with Runs(settings) as runs:
        plans = runs.all(20)
    received = [
        {
            "finding_type": e.get("detail", {}).get("type"),
            "severity": e.get("detail", {}).get("severity"),
            "event_id": e.get("id"),
        }
        for e in receiver.received
    ]
    return {
        "webhook": receiver.url,
        "received": received,
        "delivered": sum(1 for a in audit if a.result == "delivered"),
        "plans": [
            {
                "playbook": p.playbook,
                "summary": p.plan["summary"],
                "applied": p.applied,
                "steps": p.plan["steps"],
            }
            for p in plans
        ],
    }
