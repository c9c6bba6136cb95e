"""The event bus in the native API: recent events, PutEvents, testing a pattern, the rules and
their targets, delivery attempts, and the dead-letter queue with its redrive."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from vigil.api import events as events_api
from vigil.shells.http.native.deps import (
    Configurer,
    Reader,
    SettingsDep,
    Writer,
    audit,
    guarded,
)
from vigil.shells.views.events import attempt, dead_letter

router = APIRouter()


class PutEvents(BaseModel):
    entries: list[dict[str, Any]]


class PatternTest(BaseModel):
    pattern: Any
    event: dict[str, Any]


class RedriveRequest(BaseModel):
    ids: list[int] | None = None


@router.get("/events", summary="Recent events on the bus")
def events(who: Reader, settings: SettingsDep, source: str | None = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:  # fmt: skip
    return {"events": [e.document for e in events_api.recent(settings, limit, source)]}


@router.post("/events", summary="Put custom events (PutEvents)")
def put_events(
    body: PutEvents, who: Writer, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    done = guarded(lambda: events_api.put_events(settings, body.entries, account="000000000000",
                                                 region="local"))  # fmt: skip
    audit(request, who, "events.put", f"{len(body.entries)} entries", {})
    return {"failed": done.failed, "entries": done.entries}


@router.post("/events/test-pattern", summary="Does a pattern match an event?")
def test_pattern(body: PatternTest, who: Reader) -> dict[str, bool]:
    return {"matches": bool(guarded(lambda: events_api.test_pattern(body.pattern, body.event)))}


@router.get("/rules", summary="Rules and their targets")
def rules(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    listing = events_api.rules(settings)
    return {
        "rules": [d.written for d in events_api.rule_documents(settings)],
        "problems": listing.problems,
    }


@router.put("/rules/{name}", summary="Add or replace a rule (checked first)")
def put_rule(name: str, body: dict[str, Any], who: Configurer, settings: SettingsDep,
             request: Request) -> dict[str, Any]:  # fmt: skip
    rule = guarded(lambda: events_api.put_rule(settings, {**body, "name": name}))
    audit(request, who, "rules.put", name, {"targets": len(rule.targets)})
    return {"name": rule.name, "targets": len(rule.targets)}


@router.delete("/rules/{name}", summary="Delete a rule")
def delete_rule(
    name: str, who: Configurer, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    guarded(lambda: events_api.delete_rule(settings, name))
    audit(request, who, "rules.delete", name, {})
    return {"name": name, "deleted": True}


@router.get("/deliveries", summary="Delivery attempts")
def deliveries(who: Reader, settings: SettingsDep,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 50) -> dict[str, Any]:  # fmt: skip
    return {"attempts": [attempt(a) for a in events_api.audit(settings, limit)]}


@router.get("/dlq", summary="Dead-lettered deliveries")
def dlq(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"dead_letters": [dead_letter(d) for d in events_api.dead_letters(settings)]}


@router.post("/dlq/redrive", summary="Queue dead-lettered deliveries again")
def redrive(body: RedriveRequest, who: Writer, settings: SettingsDep,
            request: Request) -> dict[str, Any]:  # fmt: skip
    count = events_api.redrive(settings, body.ids)
    audit(request, who, "dlq.redrive", f"{count} deliveries", {"ids": body.ids})
    return {"redriven": count}
