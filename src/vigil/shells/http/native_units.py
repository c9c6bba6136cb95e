"""The native API for detection units: a unit as it runs here (settings with their source),
its tuning (admins), and a backtest over stored data that records nothing."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from vigil import api
from vigil.api.access import Need, Principal

if TYPE_CHECKING:
    from vigil.shells.http.native import Kit


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


def router(kit: "Kit") -> APIRouter:
    r = APIRouter()
    s = kit.settings
    Reader = Annotated[Principal, Depends(kit.caller(Need.READ))]
    Admin = Annotated[Principal, Depends(kit.caller(Need.CONFIGURE))]
    g = kit.guarded

    @r.get("/content/{unit}", summary="A unit as it runs here: settings with their source")
    def unit(unit: str, who: Reader) -> dict[str, Any]:
        return asdict(g(lambda: api.tuning.show(s, unit)))

    @r.put("/content/{unit}/tuning", summary="Set a unit's tuning (checked first; admins)")
    def tune(unit: str, body: Tuning, who: Admin, request: Request) -> dict[str, Any]:
        view = g(lambda: api.tuning.set_unit(s, unit, body.entry()))
        kit.audit(who, request, "content.tune", unit, body.entry())
        return asdict(view)

    @r.post("/content/{unit}/backtest", summary="What a unit would raise (records nothing)")
    def backtest(unit: str, body: BacktestRequest, who: Reader) -> dict[str, Any]:
        first, last = g(lambda: api.clock.time_range(body.since, body.until, ("since", "until")))
        entry = body.tuning.entry() if body.tuning is not None else None
        since, until = api.clock.from_ms(first), api.clock.from_ms(last)
        return asdict(g(lambda: api.tuning.backtest(s, unit, since, until, None, body.top, entry)))

    return r
