"""Content in the native API: the detection units and their state, a unit as it runs here
(settings with their source), its tuning (admins), and a backtest over stored data that
records nothing."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from vigil.api import clock
from vigil.api import content as content_api
from vigil.api import tuning as tuning_api
from vigil.shells.http.native.deps import Configurer, Reader, SettingsDep, audit, guarded, plain

router = APIRouter()


class Tuning(BaseModel):
    """A unit's entry in tuning.yaml; an empty body removes it."""

    enabled: bool | None = None
    parameters: dict[str, Any] = {}
    exceptions: dict[str, Any] = {}

    def entry(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True)


class BacktestRequest(BaseModel):
    since: str | None = "30d"  # ISO 8601 or an age (30d, 12h)
    until: str | None = None
    tuning: Tuning | None = None  # a candidate entry to try instead of the one in force
    top: int = Field(10, ge=1, le=100)


@router.get("/content", summary="Detection units and their state")
def content(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    found, problems = content_api.units(settings)
    return {"units": [plain(u) for u in found], "problems": problems}


@router.get("/content/{unit}", summary="A unit as it runs here: settings with their source")
def unit(unit: str, who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return asdict(guarded(lambda: tuning_api.show(settings, unit)))


@router.put("/content/{unit}/tuning", summary="Set a unit's tuning (checked first; admins)")
def tune(unit: str, body: Tuning, who: Configurer, settings: SettingsDep,
         request: Request) -> dict[str, Any]:  # fmt: skip
    view = guarded(lambda: tuning_api.set_unit(settings, unit, body.entry()))
    audit(request, who, "content.tune", unit, body.entry())
    return asdict(view)


@router.post("/content/{unit}/backtest", summary="What a unit would raise (records nothing)")
def backtest(
    unit: str, body: BacktestRequest, who: Reader, settings: SettingsDep
) -> dict[str, Any]:
    first, last = guarded(lambda: clock.time_range(body.since, body.until,
                                                       ("since", "until")))  # fmt: skip
    entry = body.tuning.entry() if body.tuning is not None else None
    since, until = clock.from_ms(first), clock.from_ms(last)
    return asdict(guarded(lambda: tuning_api.backtest(settings, unit, since, until, None, body.top,
                                                      entry)))  # fmt: skip
