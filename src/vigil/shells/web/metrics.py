"""Alarms and metrics (each alarm's state, history and chart against its threshold, any metric
graphed on demand) and dashboards (CloudWatch's JSON body, rendered with range and period
pickers; admins put a dashboard)."""

import json
from collections import defaultdict
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from vigil.api import Settings, clock
from vigil.api import metrics as metrics_api
from vigil.api.inputs import loads
from vigil.shells.web.deps import Configurer, ConsoleDep, Reader
from vigil.shells.web.kit import first
from vigil.shells.web.markdown import to_html

RANGES: Final = {"1h": 3600, "3h": 3 * 3600, "12h": 12 * 3600, "1d": 86400, "3d": 3 * 86400,
                 "1w": 7 * 86400, "2w": 14 * 86400}  # fmt: skip
PERIODS: Final = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}

router = APIRouter()


@router.get("/alarms", include_in_schema=False)
def alarms(request: Request, c: ConsoleDep, session: Reader) -> Response:
    s = c.settings
    found = [a.describe() for a in metrics_api.alarms(s)]
    history = defaultdict(list)
    for h in metrics_api.alarm_history(s):
        history[h.alarm_name].append(h.describe())
    order = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
    found.sort(key=lambda a: (order.get(a["StateValue"], 3), a["AlarmName"]))
    charts = {a["AlarmName"]: _alarm_chart(s, a) for a in found}
    metrics = metrics_api.list_metrics(s)
    chosen = request.query_params.get("metric")
    metric_chart = None
    if chosen:
        ns, _, rest = chosen.partition("|")
        name, _, dims = rest.partition("|")
        pairs = tuple(sorted(loads(dims).items())) if dims else ()
        metric = metrics_api.Metric(ns, name, pairs)
        metric_chart = _graph(metrics_api.graph(s, metric, request.query_params.get("stat", "Sum")))
    return c.page(request, session, "alarms.html", alarms=found, charts=charts,
                  history={k: v[-10:][::-1] for k, v in history.items()},
                  metrics=[(m, _metric_ref(m)) for m in metrics], chosen=chosen,
                  metric_chart=metric_chart,
                  composites=[a.describe() for a in metrics_api.composite_alarms(s)])  # fmt: skip


@router.get("/dashboards", include_in_schema=False)
def dashboards(request: Request, c: ConsoleDep, session: Reader) -> Response:
    return c.page(request, session, "dashboards.html",
                  dashboards=metrics_api.dashboards(c.settings),
                  flash=request.query_params.get("done"))  # fmt: skip


@router.post("/dashboards", include_in_schema=False)
async def put_dashboard(request: Request, c: ConsoleDep, session: Configurer) -> Response:
    fields = await c.form(request, session)
    name, body = first(fields, "name"), (fields.get("body") or [""])[0]
    warnings = metrics_api.put_dashboard(c.settings, name, body)
    c.audit(session, request, "dashboards.put", name, {"bytes": len(body)})
    note = "; ".join(f"{w['DataPath']}: {w['Message']}" for w in warnings)
    where = f"/dashboards/{quote(name)}" + (f"?done={quote(note)}" if note else "")
    return RedirectResponse(where, status_code=303)


@router.get("/dashboards/{name}", include_in_schema=False)
def dashboard(name: str, request: Request, c: ConsoleDep, session: Reader) -> Response:
    s = c.settings
    board = metrics_api.dashboard(s, name)
    chosen = _dashboard_range(request.query_params.get("range", ""),
                              request.query_params.get("period", ""))  # fmt: skip
    view = metrics_api.render_dashboard(s, board.body, *chosen)
    for w in view.widgets:
        if w["kind"] == "text":
            w["html"] = to_html(w.get("markdown", ""))
    return c.page(request, session, "dashboard.html", board=board, view=view,
                  body=json.dumps(json.loads(board.body), indent=2), ranges=RANGES,
                  periods=PERIODS, flash=request.query_params.get("done"),
                  chosen_range=request.query_params.get("range", ""),
                  chosen_period=request.query_params.get("period", ""),
                  span=[clock.iso_ms(view.start), clock.iso_ms(view.end)])  # fmt: skip


def _dashboard_range(chosen: str, period: str) -> tuple[int | None, int | None]:
    """The console's range and period pickers (unknown choices: the dashboard's own)."""
    return RANGES.get(chosen), PERIODS.get(period)


def _alarm_chart(s: Settings, a: dict[str, Any]) -> dict[str, Any] | None:
    if not a.get("MetricName"):
        return None
    dims = tuple(sorted((d["Name"], d["Value"]) for d in a.get("Dimensions", [])))
    metric = metrics_api.Metric(a["Namespace"], a["MetricName"], dims)
    stat = a.get("Statistic") or a.get("ExtendedStatistic") or "Sum"
    return _graph(metrics_api.graph(s, metric, stat, int(a["Period"]), threshold=a["Threshold"]))


def _graph(g: metrics_api.Graph) -> dict[str, Any]:
    """uPlot's columns: x, then each line (a threshold dashed, in its colour)."""
    series = [{"label": line.label, "values": line.values,
               **({"dash": True, "color": line.color} if line.dash else {})}
              for line in g.lines]  # fmt: skip
    return {"x": g.x, "series": series, "start": g.start, "end": g.end}


def _metric_ref(m: Any) -> str:
    return f"{m.namespace}|{m.name}|{json.dumps(dict(m.dimensions), sort_keys=True)}"
