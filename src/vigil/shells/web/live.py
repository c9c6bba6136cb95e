"""Live updates as server-sent events (`GET /live`): `finding` when findings change, `alarm`
when an alarm's state changes, `source` when an ingest source moves or fails. Each client's
stream asks the service layer every `interval` seconds; pages refresh the parts that show it."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from vigil.api import Settings, findings, metrics
from vigil.api import sources as sources_api
from vigil.shells.web.deps import ConsoleDep, Reader
from vigil.shells.web.kit import Console

INTERVAL = 2.0


def snapshot(settings: Settings) -> dict[str, Any]:
    count, changed = findings.pulse(settings)
    alarms = {a.alarm.name: a.state for a in metrics.alarms(settings)}
    sources = {s.source.name: [s.position.records, s.position.rejected, s.position.last_error]
               for s in sources_api.listing(settings)}  # fmt: skip
    return {"finding": [count, changed], "alarm": alarms, "source": sources}


def describe(kind: str, before: Any, after: Any) -> str:
    if kind == "finding":
        grown = after[0] - before[0]
        return f"{grown} new findings" if grown > 0 else "findings changed"
    if kind == "alarm":
        moved = [f"{name} → {state}" for name, state in after.items() if before.get(name) != state]
        return "; ".join(moved) or "alarms changed"
    return "ingest sources moved"


router = APIRouter()


@router.get("/live", include_in_schema=False)
async def live(request: Request, c: ConsoleDep, session: Reader) -> Response:
    return StreamingResponse(_stream(c, request), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store",
                                      "X-Accel-Buffering": "no"})  # fmt: skip


async def _stream(c: Console, request: Request) -> AsyncIterator[bytes]:
    last = await run_in_threadpool(snapshot, c.settings)
    yield b"retry: 3000\n\n"
    while not (c.stopping() or await request.is_disconnected()):
        await asyncio.sleep(INTERVAL)
        if c.stopping():  # a server shutting down ends its streams (clients reconnect)
            break
        now = await run_in_threadpool(snapshot, c.settings)
        for kind in ("finding", "alarm", "source"):
            if now[kind] != last[kind]:
                text = describe(kind, last[kind], now[kind])
                data = json.dumps({"text": text, "state": now[kind]})
                yield f"event: {kind}\ndata: {data}\n\n".encode()
        last = now
        yield b": keep-alive\n\n"
