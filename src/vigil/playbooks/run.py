"""Running a playbook: build the plan, record it, and apply it only when asked.

Dry-run is the default: the plan is recorded (and shown) and nothing changes. A rule target
acts only with `apply: true`. A recorded plan can be approved by an admin and then applied as
planned (`approve`, `apply_approved`): the four-eyes path for remediation. Clients come from
boto3's standard credential chain; `endpoint_url` (on the target, or `VIGIL_AWS_ENDPOINT_URL`)
points them elsewhere, as the tests do with moto.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.errors import ConflictError
from vigil.events.rules import Rule, Target
from vigil.events.targets import DeliveryFailed
from vigil.playbooks.accounts import session_for
from vigil.playbooks.plans import PLAYBOOKS, Plan, PlanError, Step
from vigil.state import Store

_COLUMNS: Final = (
    "id, ts, playbook, event_id, applied, plan, results, approved_by, approved_ms, "
    "applied_by, applied_ms"
)


@dataclass(frozen=True)
class RecordedRun:
    """A playbook run as recorded: its plan (the document recorded), the results, and who
    approved and applied it, when."""

    id: int
    ts: int
    playbook: str
    event_id: str | None
    applied: bool
    plan: dict[str, Any]
    results: list[Any]
    approved_by: str | None
    approved_ms: int | None
    applied_by: str | None
    applied_ms: int | None

    def planned(self) -> Plan:
        doc = self.plan
        return Plan(doc["playbook"], doc["summary"], [Step(**step) for step in doc["steps"]])


class Runs(Store):
    def record(self, plan: Plan, event_id: str | None, applied: bool, results: list[Any],
               request: dict[str, Any] | None = None, by: str | None = None) -> int:  # fmt: skip
        with self.state.transaction() as db:
            cursor = db.execute(
                "INSERT INTO playbook_runs (ts, playbook, event_id, applied, plan, results, "
                "request, applied_by, applied_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now_ms(), plan.playbook, event_id, int(applied), json.dumps(asdict(plan)),
                 json.dumps(results, default=str), json.dumps(request or {}, default=str),
                 by if applied else None, now_ms() if applied else None),
            )  # fmt: skip
        return int(cursor.lastrowid or 0)

    def all(self, limit: int = 50) -> list[RecordedRun]:
        rows = self.state.db.execute(
            f"SELECT {_COLUMNS} FROM playbook_runs ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_run(r) for r in rows]

    def get(self, run_id: int) -> tuple[RecordedRun, dict[str, Any]]:
        """The run and the request it was planned from."""
        row = self.state.db.execute(
            f"SELECT {_COLUMNS}, request FROM playbook_runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise PlanError(f"no playbook run {run_id}", hint="vigil playbooks runs")
        return _run(row), json.loads(row[-1] or "{}")

    def approve(self, run_id: int, by: str) -> RecordedRun:
        run, _ = self.get(run_id)
        if run.applied:
            raise ConflictError(f"playbook run {run_id} is applied already")
        if run.approved_by is None:
            with self.state.transaction() as db:
                db.execute("UPDATE playbook_runs SET approved_by = ?, approved_ms = ? WHERE id = ?",
                           (by, now_ms(), run_id))  # fmt: skip
        return self.get(run_id)[0]

    def applied(self, run_id: int, results: list[Any], by: str) -> None:
        with self.state.transaction() as db:
            db.execute("UPDATE playbook_runs SET applied = 1, results = ?, applied_by = ?, "
                       "applied_ms = ? WHERE id = ?",
                       (json.dumps(results, default=str), by, now_ms(), run_id))  # fmt: skip


def _run(r: tuple[Any, ...]) -> RecordedRun:
    return RecordedRun(r[0], r[1], r[2], r[3], bool(r[4]), json.loads(r[5]), json.loads(r[6]),
                       r[7], r[8], r[9], r[10])  # fmt: skip


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
    by: str | None = None,
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
    request = {"event": event, "endpoint_url": endpoint_url, "role": role}
    with Runs(settings) as runs:
        run_id = runs.record(plan, event.get("id"), apply, results, request, by)
    return plan, results, run_id


def approve(settings: Settings, run_id: int, by: str) -> RecordedRun:
    """An admin approves a planned run, so it may be applied (by an analyst, later)."""
    with Runs(settings) as runs:
        return runs.approve(run_id, by)


def apply_approved(settings: Settings, run_id: int, by: str) -> tuple[RecordedRun, list[Any]]:
    """Carry out exactly the plan an admin approved (not a new plan), in the event's account;
    the run records who applied it and the results."""
    with Runs(settings) as runs:
        run, request = runs.get(run_id)
    if run.applied:
        raise ConflictError(f"playbook run {run_id} is applied already",
                            hint=f"applied by {run.applied_by or 'a rule target'}")  # fmt: skip
    if run.approved_by is None:
        raise ConflictError(
            f"playbook run {run_id} is not approved",
            hint=f"an admin approves it: vigil playbooks approve {run_id}",
        )
    plan = run.planned()
    event = request.get("event") or {}
    region = str(event.get("region") or "us-east-1")
    endpoint, role = request.get("endpoint_url"), request.get("role")
    client = clients(region, endpoint, lambda: session_for(event, role, region, endpoint)[0])
    results = execute(plan, client)
    with Runs(settings) as runs:
        runs.applied(run_id, results, by)
        return runs.get(run_id)[0], results


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
            by=f"rule:{rule.name}",
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
