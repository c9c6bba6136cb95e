"""The ASGI application: health, readiness and metrics (`health`); the native API under /api/v1;
the push endpoints (`ingest`); the console; and the AWS-compatible endpoints on the same port
(whatever is not a native route). Each router reads its context from `app.state`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import Settings, runtime
from vigil.api.access import Gate
from vigil.shells.http import health, ingest, native
from vigil.shells.http.aws.dispatch import AwsEndpoints
from vigil.shells.http.native.deps import Native


@dataclass(frozen=True)
class ServerOptions:
    auth: bool = True  # off only with --insecure-no-auth on loopback
    account: str = "000000000000"
    region: str = "us-east-1"
    metrics_open: bool = False  # /metrics without a token (loopback only, checked at start)


def build_app(settings: Settings, service: runtime.Service, options: ServerOptions) -> FastAPI:
    telemetry = service.telemetry
    gate = Gate(settings)
    aws = AwsEndpoints(settings, gate, auth=options.auth, account=options.account,
                       region=options.region, observe=telemetry.observe_http)  # fmt: skip
    app = FastAPI(title="Vigil", version=_version(), docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")  # fmt: skip

    app.state.health = health.Health(service, gate, options.metrics_open or not options.auth)
    app.include_router(health.router)
    app.state.native = Native(settings, gate, options.auth)  # the native routes' context
    app.include_router(native.router(), prefix="/api/v1")
    app.state.pushes = ingest.Pushes(settings, gate, telemetry, options.auth)
    app.include_router(ingest.router)

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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cloudvigil")
    except PackageNotFoundError:
        return "0"
