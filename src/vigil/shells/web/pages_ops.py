"""Alarms and metrics, dashboards, posture, response (rules, deliveries, the DLQ, playbook runs
with approval) and sources with the quarantine."""

import json
from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from vigil import api
from vigil.api.access import Need, Session
from vigil.api.inputs import loads
from vigil.demo import receiver as demo_receiver
from vigil.errors import VigilError
from vigil.shells.web.kit import Console, done_redirect, first
from vigil.shells.web.markdown import to_html


def router(c: Console) -> APIRouter:
    r = APIRouter()
    s = c.settings
    Reader = Annotated[Session, Depends(c.reader)]
    Writer = Annotated[Session, Depends(c.needs(Need.WRITE))]
    Admin = Annotated[Session, Depends(c.needs(Need.CONFIGURE))]

    @r.get("/alarms", include_in_schema=False)
    def alarms(request: Request, session: Reader) -> Response:
        found = api.metrics.alarms(s)
        history = defaultdict(list)
        for h in api.metrics.alarm_history(s):
            history[h["AlarmName"]].append(h)
        order = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
        found.sort(key=lambda a: (order.get(a["StateValue"], 3), a["AlarmName"]))
        charts = {a["AlarmName"]: _alarm_chart(s, a) for a in found}
        metrics = api.metrics.list_metrics(s)
        chosen = request.query_params.get("metric")
        metric_chart = None
        if chosen:
            ns, _, rest = chosen.partition("|")
            name, _, dims = rest.partition("|")
            pairs = tuple(sorted(loads(dims).items())) if dims else ()
            metric_chart = api.metrics.graph(s, api.metrics.Metric(ns, name, pairs),
                                             request.query_params.get("stat", "Sum"))  # fmt: skip
        return c.page(request, session, "alarms.html", alarms=found, charts=charts,
                      history={k: v[-10:][::-1] for k, v in history.items()},
                      metrics=[(m, _metric_ref(m)) for m in metrics], chosen=chosen,
                      metric_chart=metric_chart,
                      composites=api.metrics.composite_alarms(s))  # fmt: skip

    @r.get("/dashboards", include_in_schema=False)
    def dashboards(request: Request, session: Reader) -> Response:
        return c.page(request, session, "dashboards.html", dashboards=api.metrics.dashboards(s),
                      flash=request.query_params.get("done"))  # fmt: skip

    @r.post("/dashboards", include_in_schema=False)
    async def put_dashboard(request: Request, session: Admin) -> Response:
        fields = await c.form(request, session)
        name, body = first(fields, "name"), (fields.get("body") or [""])[0]
        warnings = api.metrics.put_dashboard(s, name, body)
        c.audit(session, request, "dashboards.put", name, {"bytes": len(body)})
        note = "; ".join(f"{w['DataPath']}: {w['Message']}" for w in warnings)
        where = f"/dashboards/{quote(name)}" + (f"?done={quote(note)}" if note else "")
        return RedirectResponse(where, status_code=303)

    @r.get("/dashboards/{name}", include_in_schema=False)
    def dashboard(name: str, request: Request, session: Reader) -> Response:
        board = api.metrics.dashboard(s, name)
        chosen = _dashboard_range(request.query_params.get("range", ""),
                                  request.query_params.get("period", ""))  # fmt: skip
        view = api.metrics.render_dashboard(s, board.body, *chosen)
        for w in view["widgets"]:
            if w["kind"] == "text":
                w["html"] = to_html(w.get("markdown", ""))
        return c.page(request, session, "dashboard.html", board=board, view=view,
                      body=json.dumps(json.loads(board.body), indent=2), ranges=RANGES,
                      periods=PERIODS, flash=request.query_params.get("done"),
                      chosen_range=request.query_params.get("range", ""),
                      chosen_period=request.query_params.get("period", ""),
                      span=[api.clock.iso_ms(view[k]) for k in ("start", "end")])  # fmt: skip

    @r.get("/posture", include_in_schema=False)
    def posture(request: Request, session: Reader) -> Response:
        try:
            report: dict[str, Any] | None = api.posture.report(s)
        except VigilError:
            report = None
        diff = None
        if report is not None and len(api.posture.history(s)) > 1:
            diff = api.posture.diff(s)
        return c.page(request, session, "posture.html", report=report, diff=diff,
                      matrix=_matrix(report["checks"]) if report else None)  # fmt: skip

    @r.get("/response", include_in_schema=False)
    def response(request: Request, session: Reader) -> Response:
        return c.page(request, session, "response.html", rules=api.events.rules(s),
                      targets=_targets(api.events.rule_documents(s)),
                      deliveries=api.events.deliveries(s, 50),
                      received=demo_receiver.received(s.home),
                      dlq=api.events.dead_letters(s), runs=api.playbooks.runs(s, 50),
                      flash=request.query_params.get("done"))  # fmt: skip

    @r.post("/response/test", include_in_schema=False)
    async def test_event(request: Request, session: Writer) -> Response:
        fields = await c.form(request, session)
        rule, target = first(fields, "rule"), first(fields, "target")
        found = await run_in_threadpool(api.events.send_test_event, s, rule, target,
                                        session.principal.user)  # fmt: skip
        outcome = [_outcome(d) for d in found]
        c.audit(session, request, "response.test-event", f"{rule}/{target}",
                {"deliveries": [d.id for d in found], "results": outcome})  # fmt: skip
        return done_redirect(
            "/response", f"Test event to {rule} / {target}: " + "; ".join(outcome) + "."
        )

    @r.post("/response/redrive", include_in_schema=False)
    async def redrive(request: Request, session: Writer) -> Response:
        fields = await c.form(request, session)
        ids = [int(i) for i in fields.get("ids", []) if i.isdigit()] or None
        count = api.events.redrive(s, ids)
        c.audit(session, request, "dlq.redrive", "dlq", {"ids": ids, "queued": count})
        return done_redirect("/response", f"{count} deliveries queued again.")

    @r.post("/response/runs/{run}/approve", include_in_schema=False)
    async def approve(run: int, request: Request, session: Admin) -> Response:
        await c.form(request, session)
        api.playbooks.approve(s, run, session.principal.user)
        c.audit(session, request, "playbooks.approve", str(run), {})
        return done_redirect("/response", f"Run {run} approved.")

    @r.post("/response/runs/{run}/apply", include_in_schema=False)
    async def apply(run: int, request: Request, session: Writer) -> Response:
        await c.form(request, session)
        done = api.playbooks.apply_approved(s, run, session.principal.user)
        c.audit(session, request, "playbooks.apply", str(run), {"results": done.get("results")})
        return done_redirect("/response", f"Run {run} applied.")

    @r.get("/sources", include_in_schema=False)
    def sources(request: Request, session: Reader) -> Response:
        return c.page(request, session, "sources.html", sources=api.sources.listing(s),
                      quarantine=api.quarantine.entries(s),
                      flash=request.query_params.get("done"))  # fmt: skip

    @r.post("/sources/quarantine/retry", include_in_schema=False)
    async def retry(request: Request, session: Writer) -> Response:
        fields = await c.form(request, session)
        ids = fields.get("ids", [])
        if not ids:
            return done_redirect("/sources", "Nothing was selected.")
        report = api.quarantine.retry(s, ids, api.quarantine.Overrides())
        c.audit(session, request, "quarantine.retry", f"{len(ids)} objects", {"ids": ids})
        results = ", ".join(f"{o.result}" for o in report.objects)
        return done_redirect("/sources", f"Retried {len(ids)}: {results or 'nothing to retry'}.")

    return r


def _targets(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each rule's targets as the page lists them: id, type, where (a URL that is not a
    secret reference), and whether a test event may go there."""
    out: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        out[str(doc.get("name"))] = [
            {"id": t.get("id"), "type": t.get("type"),
             "url": _shown_url(str(t.get("url", ""))),
             "testable": t.get("type") not in ("job", "playbook")}
            for t in doc.get("targets") or [] if isinstance(t, dict)
        ]  # fmt: skip
    return out


def _shown_url(url: str) -> str:
    """A target's URL without its query (which may carry a token); a secret reference not."""
    return url.partition("?")[0] if url.startswith(("http://", "https://")) else ""


def _outcome(d: Any) -> str:
    if not d.tries:
        return f"queued as delivery {d.id}; the worker has not tried it yet"
    last = d.tries[-1]
    if last.result == "delivered":
        answer = f"HTTP {last.status}" if last.status is not None else (last.excerpt or "ok")
        return f"delivered ({answer})"
    then = "it will be retried" if last.result == "retry" else "it is in the DLQ"
    return f"not delivered ({last.error or last.excerpt}); {then}"


RANGES = {"1h": 3600, "3h": 3 * 3600, "12h": 12 * 3600, "1d": 86400, "3d": 3 * 86400,
          "1w": 7 * 86400, "2w": 14 * 86400}  # fmt: skip
PERIODS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}


def _dashboard_range(chosen: str, period: str) -> tuple[int | None, int | None]:
    """The console's range and period pickers (unknown choices: the dashboard's own)."""
    return RANGES.get(chosen), PERIODS.get(period)


def _alarm_chart(s: api.Settings, a: dict[str, Any]) -> dict[str, Any] | None:
    if not a.get("MetricName"):
        return None
    dims = tuple(sorted((d["Name"], d["Value"]) for d in a.get("Dimensions", [])))
    metric = api.metrics.Metric(a["Namespace"], a["MetricName"], dims)
    stat = a.get("Statistic") or a.get("ExtendedStatistic") or "Sum"
    return api.metrics.graph(s, metric, stat, int(a["Period"]), threshold=a["Threshold"])


def _metric_ref(m: Any) -> str:
    return f"{m.namespace}|{m.name}|{json.dumps(dict(m.dimensions), sort_keys=True)}"


def _matrix(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Failed resources per account (rows) and Region (columns)."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for check in checks:
        for res in check["resources"]:
            cell = cells[(res["account"], res["region"] or "-")]
            cell[0 if res["status"] == "FAILED" else 1] += res["status"] in ("FAILED", "PASSED")
    accounts = sorted({a for a, _ in cells})
    regions = sorted({r for _, r in cells})
    return {"accounts": accounts, "regions": regions, "cells": {f"{a}|{r}": v for (a, r), v in
                                                                cells.items()}}  # fmt: skip
