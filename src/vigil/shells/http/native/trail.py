"""CloudTrail in the native API: the log-file integrity verdicts."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Annotated, Any

from fastapi import APIRouter, Query

from vigil.api import lake
from vigil.errors import VigilError
from vigil.shells.http.native.deps import Reader, SettingsDep

router = APIRouter()


@router.get("/trail/verdicts", summary="CloudTrail log-file integrity verdicts")
def trail_verdicts(who: Reader, settings: SettingsDep,
                   limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> Any:  # fmt: skip
    sql = f"SELECT * FROM trail_validation ORDER BY validated_at DESC LIMIT {int(limit)}"
    try:
        table = lake.query(settings, sql, dialect="duckdb").table
    except VigilError:
        return {"verdicts": []}  # nothing validated yet
    return {"verdicts": table.to_pylist()}
