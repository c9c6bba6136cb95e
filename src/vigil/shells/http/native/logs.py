"""Logs in the native API: log groups, a group's events (a filter pattern) and streams, and
Logs Insights queries over log groups or a lake table."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from vigil.api import clock, logs
from vigil.shells.http.abandon import unless_abandoned
from vigil.shells.http.native.deps import Reader, SettingsDep, guarded, plain

router = APIRouter()


class InsightsRequest(BaseModel):
    query: str
    log_groups: list[str] | None = None
    table: str | None = None
    start: str | None = None  # ISO 8601 or an age (1h, 7d)
    end: str | None = None
    max_rows: int = Field(1000, ge=1, le=2**31)


@router.get("/logs/groups", summary="Log groups")
def log_groups(who: Reader, settings: SettingsDep, prefix: str = "") -> dict[str, Any]:
    return {"groups": [asdict(g) for g in logs.groups(settings, prefix)]}


@router.post("/insights", summary="A Logs Insights query over log groups or a lake table")
async def insights(body: InsightsRequest, who: Reader, settings: SettingsDep,
                   request: Request) -> dict[str, Any]:  # fmt: skip
    first, last = guarded(lambda: clock.time_range(body.start, body.end, ("start", "end")))
    table = await unless_abandoned(request, lambda cancel: guarded(lambda: logs.insights(
        settings, body.query, groups=body.log_groups, table=body.table, start=first, end=last,
        cancel=cancel)))  # fmt: skip
    rows = table.slice(0, body.max_rows).to_pylist()
    return {"columns": table.column_names, "rows": rows,
            "truncated": table.num_rows > body.max_rows}  # fmt: skip


# `{group:path}`: group names hold slashes; events is declared before streams, as it matches first
@router.get("/logs/groups/{group:path}/events", summary="Events of a group (a filter pattern)")
def log_events(group: str, who: Reader, settings: SettingsDep, pattern: str = "",
               start: str | None = None, end: str | None = None,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> Any:  # fmt: skip
    first, last = guarded(lambda: clock.time_range(start, end, ("start", "end")))
    query = logs.EventsQuery(pattern=pattern, start=first, end=last, limit=limit)
    found = guarded(lambda: logs.filter_events(settings, group, query))
    return {"events": [plain(e) for e in found]}


@router.get("/logs/groups/{group:path}/streams", summary="Streams of a group")
def log_streams(group: str, who: Reader, settings: SettingsDep, prefix: str = "") -> dict[str, Any]:
    return {"streams": [plain(x) for x in guarded(lambda: logs.streams(settings, group, prefix))]}
