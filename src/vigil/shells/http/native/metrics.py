"""Metrics in the native API: the metrics (ListMetrics), alarms with their state and history,
setting an alarm's state, and the dashboards."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from vigil.api import metrics as metrics_api
from vigil.shells.http.native.deps import Reader, SettingsDep, Writer, audit, guarded, plain

router = APIRouter()


class AlarmState(BaseModel):
    state: str
    reason: str


@router.get("/metrics", summary="Metrics (ListMetrics)")
def metrics(who: Reader, settings: SettingsDep, namespace: str | None = None,
            name: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"metrics": [{"namespace": m.namespace, "name": m.name,
                         "dimensions": dict(m.dimensions)}
                        for m in metrics_api.list_metrics(settings, namespace, name)]}  # fmt: skip


@router.get("/alarms", summary="Alarms with their state (DescribeAlarms)")
def alarms(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"alarms": [a.describe() for a in metrics_api.alarms(settings)]}


@router.get("/alarms/{name}/history", summary="An alarm's history")
def alarm_history(name: str, who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"history": [h.describe() for h in metrics_api.alarm_history(settings, name)]}


@router.post("/alarms/{name}/state", summary="Set an alarm's state until its next evaluation")
def alarm_state(name: str, body: AlarmState, who: Writer, settings: SettingsDep,
                request: Request) -> dict[str, Any]:  # fmt: skip
    guarded(lambda: metrics_api.set_alarm_state(settings, name, body.state, body.reason))
    audit(request, who, "alarms.set-state", name, body.model_dump())
    return {"name": name, "state": body.state}


@router.get("/dashboards", summary="Dashboards")
def dashboards(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"dashboards": [plain(d) for d in metrics_api.dashboards(settings)]}
