"""The lake in the native API: read-only SQL, streamed up to max_rows, given up when the
client goes away."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from vigil.api import lake
from vigil.shells.http.abandon import unless_abandoned
from vigil.shells.http.native.deps import Reader, SettingsDep, guarded

router = APIRouter()


class SqlRequest(BaseModel):
    sql: str
    max_rows: int = Field(1000, ge=1, le=2**31)  # and at most the server's query_max_rows


@router.post("/query", summary="Read-only SQL over the lake (streamed up to max_rows)")
async def query(
    body: SqlRequest, who: Reader, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    answer = await unless_abandoned(
        request,
        lambda cancel: guarded(
            lambda: lake.query(settings, body.sql, max_rows=body.max_rows, cancel=cancel)
        ),
    )
    return {"columns": answer.table.column_names, "rows": answer.table.to_pylist(),
            "truncated": answer.truncated}  # fmt: skip
