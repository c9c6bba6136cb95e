"""Running a playbook: build the plan, record it, and apply it only when asked.

Dry-run is the default: the plan is recorded (and shown) and nothing changes. A rule target
acts only with `apply: true`. Clients come from boto3's standard credential chain; `endpoint_url`
(on the target, or `VIGIL_AWS_ENDPOINT_URL`) points them elsewhere, as the tests do with moto.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.events.rules import Rule, Target
from vigil.events.targets import DeliveryFailed
from vigil.playbooks.accounts import session_for
from vigil.playbooks.plans import PLAYBOOKS, Plan, PlanError
from vigil.state import Store


class Runs(Store):
    def record(self, plan: Plan, event_id: str | None, applied: bool, results: list[Any]) -> int:
        with self.state.transaction() as db:
            cursor = db.execute(
                "INSERT INTO playbook_runs (ts, playbook, event_id, applied, plan, results) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    now_ms(),
                    plan.playbook,
                    event_id,
                    int(applied),
                    json.dumps(asdict(plan)),
                    json.dumps(results, default=str),
                ),
            )
        return int(cursor.lastrowid or 0)

    def all(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.state.db.execute(
            "SELECT id, ts, playbook, event_id, applied, plan, results FROM playbook_runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                "id": r[0],
                "ts": r[1],
                "playbook": r[2],
                "event_id": r[3],
                "applied": bool(r[4]),
                "plan": json.loads(r[5]),
                "results": json.loads(r[6]),
            }
            for r in rows
        ]


def clients(
    region: str | None, endpoint_url: str | None, session: Callable[[], Any] | None = None
) -> Any:
    """boto3 clients made on first use, from `session()` (asked once, when AWS is first
    needed: a dry-run plan that reads nothing never reaches for credentials)."""
    import boto3

    cache: dict[str, Any] = {}
    endpoint = endpoint_url or os.environ.get("VIGIL_AWS_ENDPOINT_URL")
    made: list[Any] = []

    def client(service: str) -> Any:
        if service not in cache:
            if not made:
                made.append(session() if session else boto3)
            cache[service] = made[0].client(
                service, region_name=region or "us-east-1", endpoint_url=endpoint
            )
        return cache[service]

    return client


def _substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    return value


def execute(plan: Plan, client: Any) -> list[dict[str, Any]]:
    names: dict[str, str] = {}
    results = []
    for step in plan.steps:
        params = _substitute(step.params, names)
        response = getattr(client(step.service), step.operation)(**params)
        response.pop("ResponseMetadata", None)
        if step.operation == "create_security_group":
            names[f"<{params['GroupName']}>"] = response["GroupId"]
        results.append({"operation": f"{step.service}:{step.operation}", "response": response})
    return results


def playbook(
    settings: Settings,
    name: str,
    event: dict[str, Any],
    *,
    apply: bool = False,
    endpoint_url: str | None = None,
    options: dict[str, Any] | None = None,
    role: str | None = None,
) -> tuple[Plan, list[dict[str, Any]], int]:
    """Plan (and with `apply`, carry out) a playbook for an event, in the event's account
    (assuming `role` there); the run is recorded."""
    build = PLAYBOOKS.get(name)
    if build is None:
        raise PlanError(f"no playbook {name!r}", hint="playbooks: " + ", ".join(PLAYBOOKS))
    region = str(event.get("region") or "us-east-1")
    client = clients(
        region, endpoint_url, lambda: session_for(event, role, region, endpoint_url)[0]
    )
    extra = {k: v for k, v in (options or {}).items() if k in ("subnet",)}
    plan = build(event, client, **extra)
    results = execute(plan, client) if apply else []
    with Runs(settings) as runs:
        run_id = runs.record(plan, event.get("id"), apply, results)
    return plan, results, run_id


def run_playbook(settings: Settings, rule: Rule, target: Target, payload: Any, key: str) -> str:
    """The `playbook` target: dry-run unless the target says `apply: true`."""
    apply = bool(target.settings.get("apply", False))
    try:
        plan, _, run_id = playbook(
            settings,
            str(target.settings.get("playbook")),
            payload,
            apply=apply,
            endpoint_url=target.settings.get("endpoint_url"),
            options=target.settings,
            role=target.settings.get("role"),
        )
    except PlanError as exc:
        raise DeliveryFailed("NO_RESOURCE", str(exc), retriable=False) from exc
    except Exception as exc:  # botocore errors: throttling and 5xx retry, the rest do not
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        retriable = code in (
            "Throttling",
            "ThrottlingException",
            "RequestLimitExceeded",
            "ServiceUnavailable",
            "InternalError",
            "EndpointConnectionError",
        )
        raise DeliveryFailed(
            "SDK_CLIENT_ERROR", f"{plan_name(target)}: {code}", retriable=retriable
        ) from exc
    mode = "applied" if apply else "planned (dry-run)"
    return f"run {run_id}: {plan.summary}, {len(plan.steps)} step(s) {mode}"


def plan_name(target: Target) -> str:
    return str(target.settings.get("playbook"))
