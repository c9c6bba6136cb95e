"""Playbook runs from the response page: an admin approves a run's plan, a writer applies an
approved one; each step is audited."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from vigil.api import playbooks
from vigil.shells.web.deps import Configurer, ConsoleDep, Writer
from vigil.shells.web.kit import done_redirect

router = APIRouter()


@router.post("/response/runs/{run}/approve", include_in_schema=False)
async def approve(run: int, request: Request, c: ConsoleDep, session: Configurer) -> Response:
    await c.form(request, session)
    playbooks.approve(c.settings, run, session.principal.user)
    c.audit(session, request, "playbooks.approve", str(run), {})
    return done_redirect("/response", f"Run {run} approved.")


@router.post("/response/runs/{run}/apply", include_in_schema=False)
async def apply(run: int, request: Request, c: ConsoleDep, session: Writer) -> Response:
    await c.form(request, session)
    done = playbooks.apply_approved(c.settings, run, session.principal.user)
    c.audit(session, request, "playbooks.apply", str(run), {"results": done.results})
    return done_redirect("/response", f"Run {run} applied.")
