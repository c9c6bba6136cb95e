"""The native JSON API under /api/v1: Bearer tokens, roles checked per route, every write
audited, errors as `{"code", "message", "hint"}`. One module per noun, each with one router;
their shared context is `deps`. The app keeps a `deps.Native` in `app.state.native`."""

from fastapi import APIRouter

from vigil.shells.http.native import (
    access,
    content,
    events,
    findings,
    lake,
    logs,
    metrics,
    playbooks,
    posture,
    quarantine,
    sources,
    trail,
)

# Where paths overlap, the first router (and, within one, the first route) that matches wins.
NOUNS = (findings, lake, logs, access, metrics, events, posture, trail, playbooks, content,
         sources, quarantine)  # fmt: skip


def router() -> APIRouter:
    """Every noun's routes, in the order above."""
    native = APIRouter()
    for noun in NOUNS:
        native.include_router(noun.router)
    return native
