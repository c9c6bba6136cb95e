"""The server's own endpoints: `/healthz` (the process answers), `/readyz` (its background work
has started and is not stopping) and `/metrics` (Prometheus, for an admin's or a `metrics`
role's token; open only when `metrics_open` is set on loopback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vigil.api import access, runtime
from vigil.api.access import AuthError, Gate, Need


@dataclass(frozen=True)
class Health:
    """What these endpoints read, kept in `app.state.health`."""

    service: runtime.Service
    gate: Gate
    metrics_open: bool  # no token needed (loopback only, or authentication off)


def _health(request: Request) -> Health:
    return cast(Health, request.app.state.health)


router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    service = _health(request).service
    if service.ready.is_set() and not service.stop_event.is_set():
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "starting"}, status_code=503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    health = _health(request)
    refused = None if health.metrics_open else _scraper(health.gate, request)
    if refused is not None:
        return refused
    return PlainTextResponse(
        health.service.telemetry.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


def _scraper(gate: Gate, request: Request) -> Response | None:
    """None when the caller's token may read /metrics (an admin's or a `metrics` role's);
    otherwise the refusal."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return PlainTextResponse("/metrics needs a token: Authorization: Bearer <token of an "
                                 "admin or of a user with the metrics role>\n", 401,
                                 headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    try:
        who = gate.token(header[7:].strip())
    except AuthError as exc:
        return PlainTextResponse(f"{exc.message}\n", 401, headers={"WWW-Authenticate": "Bearer"})
    if not access.permits(who.role, Need.SCRAPE):
        return PlainTextResponse(f"{who.user} ({who.role}) may not read /metrics\n", 403)
    return None
