"""Push endpoints: `POST /ingest/eventbridge`, the target of an EventBridge API destination
(its connection's API-key header carries a Vigil token: `Authorization: Bearer …`, `x-api-key`
or `x-vigil-token`), and `POST /ingest/firehose`, Amazon Data Firehose's HTTP endpoint
delivery (its access key is a Vigil token; its request id is remembered, so a retry is
acknowledged without taking the records twice)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vigil.api import Settings, access, sources
from vigil.api.access import AuthError, Gate, Need
from vigil.errors import VigilError
from vigil.shells.http.limits import INFLATED_KEY

log = logging.getLogger("vigil.serve")
KEY_HEADERS = ("x-api-key", "x-vigil-token", "x-amz-firehose-access-key")


def _token(request: Request) -> str:
    bearer = request.headers.get("authorization", "")
    if bearer.startswith("Bearer "):
        return bearer[7:].strip()
    for name in KEY_HEADERS:
        if request.headers.get(name):
            return request.headers[name].strip()
    raise AuthError("missing", "no token: send it as Authorization: Bearer, x-api-key or the "
                    "Firehose access key")  # fmt: skip


async def _body(request: Request) -> bytes:
    """The body as sent, or inflated (within its cap) when Firehose or a client gzips it."""
    inflated = request.scope.get(INFLATED_KEY)
    return inflated if isinstance(inflated, bytes) else await request.body()


def _check(gate: Gate, request: Request, auth: bool) -> None:
    if not auth:
        return
    who = gate.token(_token(request))
    if not access.permits(who.role, Need.WRITE):
        raise AuthError("forbidden", f"{who.user} ({who.role}) may not push data")


@dataclass(frozen=True)
class Pushes:
    """What the push endpoints share, kept in `app.state.pushes`: where the data lives, the
    token gate, the telemetry, and whether tokens are needed at all."""

    settings: Settings
    gate: Gate
    telemetry: Any
    auth: bool


def _pushes(request: Request) -> Pushes:
    return cast(Pushes, request.app.state.pushes)


router = APIRouter(include_in_schema=True, tags=["ingest"])


@router.post("/ingest/eventbridge", summary="Events from an EventBridge API destination")
async def eventbridge(request: Request) -> JSONResponse:
    ctx = _pushes(request)
    body = await _body(request)
    began = time.perf_counter()
    try:
        await run_in_threadpool(_check, ctx.gate, request, ctx.auth)
        done = await run_in_threadpool(sources.accept_eventbridge, ctx.settings, body)
        code, reply = 200, asdict(done)
    except AuthError as exc:
        code = 403 if exc.kind == "forbidden" else 401
        reply = {"code": exc.kind, "message": exc.message}
    except VigilError as exc:
        code, reply = 400, {"code": "bad_request", "message": exc.message, "hint": exc.hint}
    ctx.telemetry.observe_http("ingest", "eventbridge", code, time.perf_counter() - began)
    return JSONResponse(reply, status_code=code)


@router.post("/ingest/firehose", summary="Amazon Data Firehose HTTP endpoint delivery")
async def firehose(request: Request) -> JSONResponse:
    ctx = _pushes(request)
    body = await _body(request)
    began = time.perf_counter()
    rid = request.headers.get("x-amz-firehose-request-id", "")
    stamp = int(time.time() * 1000)
    try:
        if not rid:
            raise VigilError("the X-Amz-Firehose-Request-Id header is missing")
        await run_in_threadpool(_check, ctx.gate, request, ctx.auth)
        await run_in_threadpool(sources.accept_firehose, ctx.settings, body, rid)
        code, reply = 200, {"requestId": rid, "timestamp": stamp}
    except AuthError as exc:
        code = 403 if exc.kind == "forbidden" else 401
        reply = {"requestId": rid, "timestamp": stamp, "errorMessage": exc.message}
    except VigilError as exc:
        code = 400
        reply = {"requestId": rid, "timestamp": stamp, "errorMessage": exc.message}
    ctx.telemetry.observe_http("ingest", "firehose", code, time.perf_counter() - began)
    return JSONResponse(reply, status_code=code)
