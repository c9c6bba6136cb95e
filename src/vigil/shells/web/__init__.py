"""The web console, served by `vigil serve` on its own port: server-rendered pages (Jinja2)
over the service layer, htmx and uPlot vendored under /static, sessions with CSRF tokens."""

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from vigil.api import Settings
from vigil.api.access import Gate
from vigil.errors import BusyError, VigilError
from vigil.shells.web import (
    auth,
    content,
    entities,
    events,
    findings,
    flows,
    live,
    metrics,
    overview,
    playbooks,
    posture,
    search,
    sources,
)
from vigil.shells.web.kit import HERE, Console, Refused, SignIn, to_login

log = logging.getLogger("vigil.web")

# Every page's router, in the order a request's path is matched against them.
NOUNS: Final = (auth, overview, findings, search, flows, metrics, posture, events, playbooks,
                sources, content, entities, live)  # fmt: skip


def install(
    app: FastAPI,
    settings: Settings,
    gate: Gate,
    auth_on: bool,
    aws: Callable[[Request], Awaitable[Response]],
) -> Console:
    """Add the console's routes to the server's app; GET / of an AWS query-protocol call
    (`?Action=`) or a signed request still goes to the AWS endpoints."""
    console = Console(settings, gate, auth_on)
    console.aws = aws  # the overview's route hands AWS query-protocol GETs of / to it
    app.state.console = console

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in NOUNS:
        app.include_router(module.router)

    @app.exception_handler(SignIn)
    async def sign_in(request: Request, exc: SignIn) -> Response:
        if request.method != "GET":
            return PlainTextResponse("sign in first", status_code=403)
        return to_login(request)

    @app.exception_handler(VigilError)
    async def failed(request: Request, exc: VigilError) -> Response:
        missing = exc.message.lower().startswith(("no ", "unknown "))
        html = console.env.get_template("error.html").render(message=exc.message, hint=exc.hint)
        status = 429 if isinstance(exc, BusyError) else 404 if missing else 400
        return HTMLResponse(html, status_code=status)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return PlainTextResponse(f"Forbidden: {exc.detail}", status_code=403)

    @app.exception_handler(Exception)
    async def broken(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        message = "the server could not finish this request; the server log has the details"
        if request.url.path.startswith(("/api/", "/ingest/")):
            return JSONResponse({"code": "ServerError", "message": message,
                                 "hint": "try again; report it if it goes on"}, 500)  # fmt: skip
        html = console.env.get_template("error.html").render(message=message, hint=None)
        return HTMLResponse(html, status_code=500)

    return console
