"""Playbooks in the native API: the units and their runs, planning (changes nothing),
applying at once (admins), and approving then applying a planned run."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel

from vigil.api import Settings, events
from vigil.api import playbooks as playbooks_api
from vigil.api.access import Principal
from vigil.shells.http.native.deps import (
    Configurer,
    Reader,
    SettingsDep,
    Writer,
    audit,
    guarded,
    plain,
)
from vigil.shells.views.playbooks import recorded_run

router = APIRouter()

RunId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]


class PlaybookBody(BaseModel):
    event: dict[str, Any]
    options: dict[str, Any] = {}
    endpoint_url: str | None = None
    role: str | None = None


@router.get("/playbooks", summary="Playbooks and their recorded runs")
def playbooks(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"playbooks": [plain(u) for u in playbooks_api.units()],
            "runs": [recorded_run(r) for r in playbooks_api.runs(settings)]}  # fmt: skip


@router.post("/playbooks/{name}/plan", summary="Plan a playbook for an event (changes nothing)")
def plan(
    name: str, body: PlaybookBody, who: Writer, settings: SettingsDep, request: Request
) -> Any:
    done = _run(settings, name, body, who, apply=False)
    audit(request, who, "playbooks.plan", name, {"run": done.run})
    return plain(done)


@router.post("/playbooks/{name}/apply", summary="Plan and carry a playbook out at once (admins)")
def apply(name: str, body: PlaybookBody, who: Configurer, settings: SettingsDep,
          request: Request) -> Any:  # fmt: skip
    done = _run(settings, name, body, who, apply=True)
    audit(request, who, "playbooks.apply", name, {"run": done.run})
    return plain(done)


@router.post("/playbooks/runs/{run}/approve", summary="Approve a planned run (admins)")
def approve(run: RunId, who: Configurer, settings: SettingsDep, request: Request) -> Any:
    done = guarded(lambda: playbooks_api.approve(settings, run, who.user))
    audit(request, who, "playbooks.approve", str(run), {"playbook": done.playbook})
    return recorded_run(done)


@router.post("/playbooks/runs/{run}/apply", summary="Carry out an approved run's plan as planned")
def apply_run(run: RunId, who: Writer, settings: SettingsDep, request: Request) -> Any:
    done = guarded(lambda: playbooks_api.apply_approved(settings, run, who.user))
    audit(request, who, "playbooks.apply", str(run),
          {"playbook": done.playbook, "approved_by": done.approved_by})  # fmt: skip
    return recorded_run(done)


def _run(
    settings: Settings, name: str, body: PlaybookBody, who: Principal, apply: bool
) -> playbooks_api.PlaybookRun:
    """Run a playbook for the body's event, its endpoint checked first; planned, or applied."""
    guarded(lambda: events.check_endpoint(settings, body.endpoint_url))
    request = playbooks_api.PlaybookRequest(name, body.event, apply, body.endpoint_url,
                                            body.options, body.role, who.user)  # fmt: skip
    return guarded(lambda: playbooks_api.run(settings, request))
