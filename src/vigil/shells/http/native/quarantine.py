"""The quarantine in the native API: what ingest could not take, with the reason."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Any

from fastapi import APIRouter

from vigil.api import quarantine as quarantine_api
from vigil.shells.http.native.deps import Reader, SettingsDep, plain

router = APIRouter()


@router.get("/quarantine", summary="What ingest could not take")
def quarantine(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"entries": [plain(e) for e in quarantine_api.entries(settings)]}
