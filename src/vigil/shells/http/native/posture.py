"""Posture in the native API: the report of the newest (or a named) snapshot, the snapshots'
history, and what changed between two."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Any

from fastapi import APIRouter

from vigil.api import posture as posture_api
from vigil.shells.http.native.deps import Reader, SettingsDep, guarded, plain
from vigil.shells.views import posture as views

router = APIRouter()


@router.get("/posture", summary="The posture report of the newest (or a named) snapshot")
def posture(who: Reader, settings: SettingsDep, snapshot: str | None = None) -> dict[str, Any]:
    return views.report_doc(guarded(lambda: posture_api.report(settings, snapshot)))


@router.get("/posture/history", summary="Posture snapshots and their scores")
def posture_history(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"snapshots": [views.history_doc(h) for h in posture_api.history(settings)]}


@router.get("/posture/diff", summary="What changed between two snapshots")
def posture_diff(who: Reader, settings: SettingsDep, older: str = "previous",
                 newer: str = "latest") -> Any:  # fmt: skip
    return plain(guarded(lambda: posture_api.diff(settings, older, newer)))
