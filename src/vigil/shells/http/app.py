"""The ASGI application: health, readiness and metrics; the native API under /api/v1; and the
AWS-compatible endpoints on the same port (whatever is not a native route)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vigil.api import Settings, access, serve
from vigil.api.access import AuthError, Gate, Need
from vigil.shells.http import ingest, native
from vigil.shells.http.aws.dispatch import AwsEndpoints
from vigil.shells.http.native.deps import Native


@dataclass(frozen=True)
class ServerOptions:
    auth: bool = True  # off only with --insecure-no-auth on loopback
    account: str = "000000000000"
    region: str = "us-east-1"
    metrics_open: bool = False  # /metrics without a token (loopback only, checked at start)


def build_app(settings: Settings, service: serve.Service, options: ServerOptions) -> FastAPI:
    telemetry = service.telemetry
    gate = Gate(settings)
    aws = AwsEndpoints(settings, gate, auth=options.auth, account=options.account,
                       region=options.region, observe=telemetry.observe_http)  # fmt: skip
    app = FastAPI(title="Vigil", version=_version(), docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")  # fmt: skip

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        if service.ready.is_set() and not service.stop_event.is_set():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "starting"}, status_code=503)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        refused = None if options.metrics_open or not options.auth else _scraper(gate, request)
        if refused is not None:
            return refused
        return PlainTextResponse(
            telemetry.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    app.state.native = Native(settings, gate, options.auth)  # the native routes' context
    app.include_router(native.router(), prefix="/api/v1")
    app.include_router(ingest.router(settings, gate, telemetry, options.auth))

    async def aws_entry(request: Request) -> Response:
        return await aws(request)

    from vigil.shells import web

    web.install(app, settings, gate, options.auth, aws_entry)  # GET / and /findings: pages

    from vigil.shells.http.aws.securityhub_routes import paths

    # Security Hub's REST paths, every one (an operation Vigil does not serve is answered in
    # Security Hub's error shape); the console's pages above come first
    for path in ("/", "/service/{service}/operation/{operation}", *paths()):
        app.add_api_route(path, aws_entry, methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                          include_in_schema=False)  # fmt: skip
    return app


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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cloudvigil")
    except PackageNotFoundError:
        return "0"
