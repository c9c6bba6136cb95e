"""Log search: a Logs Insights editor with the fields of the chosen groups or table, a histogram
of matches, saved queries; filter-pattern mode; live tail."""

from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from vigil.api import Settings, clock, findings, lake, logs
from vigil.api.access import Session
from vigil.errors import VigilError
from vigil.shells.http.abandon import unless_abandoned
from vigil.shells.web.deps import ConsoleDep, Reader, Writer
from vigil.shells.web.kit import Console, done_redirect, first

RANGES: Final = ("15m", "1h", "6h", "1d", "7d", "30d")
TABLES: Final = ("flow_logs", "cloudtrail", "log_events")
SHOWN: Final = 500
DEFAULT_QUERY: Final = "fields @timestamp, @message | sort @timestamp desc | limit 100"

router = APIRouter()


@router.get("/search", include_in_schema=False)
async def search(request: Request, c: ConsoleDep, session: Reader) -> Response:
    # the page's work runs on a worker thread; a browser that leaves stops its query
    return await unless_abandoned(request, lambda cancel: _page(c, request, session, cancel))


@router.get("/search/tail", include_in_schema=False)
def tail(request: Request, c: ConsoleDep, session: Reader) -> Response:
    p = request.query_params
    group = p.get("group", "")
    since = int(p.get("since", "0") or 0)
    query = logs.EventsQuery(pattern=p.get("pattern", ""), start=since, limit=10_000)
    events = logs.filter_events(c.settings, group, query)[-100:]
    return c.fragment("_tail.html", events=list(reversed(events)), group=group)


@router.post("/search/saved", include_in_schema=False)
async def save(request: Request, c: ConsoleDep, session: Writer) -> Response:
    fields = await c.form(request, session)
    name, query = first(fields, "name"), first(fields, "query")
    findings.save_view(c.settings, session.principal.user, name, {"query": query}, "queries")
    c.audit(session, request, "search.save-query", name, {"query": query})
    return done_redirect(f"/search?{query}", f"Saved {name!r}.")


def _page(c: Console, request: Request, session: Session, cancel: lake.Cancel) -> Response:
    s = c.settings
    p = request.query_params
    groups = p.getlist("group")
    table = p.get("table") or None
    mode = "pattern" if p.get("mode") == "pattern" else "insights"
    text = p.get("q", "")
    span = p.get("range") or "30d"
    start_text, end_text = p.get("start") or None, p.get("end") or None
    context: dict[str, Any] = {
        "groups": [g.name for g in logs.groups(s)], "chosen": groups, "table": table,
        "tables": TABLES, "mode": mode, "q": text or (DEFAULT_QUERY if mode == "insights"
                                                    else ""),
        "range": span, "ranges": RANGES, "start": start_text or "", "end": end_text or "",
        "saved": findings.saved_views(s, session.principal.user, "queries"),
        "columns": [], "rows": [], "error": None, "histogram": None, "ran": False,
        "fields": [], "here_query": urlencode(list(p.multi_items())),
        "tail": groups[0] if mode == "pattern" and len(groups) == 1 else None,
        "now_ms": clock.now_ms(),
    }  # fmt: skip
    try:
        if groups or table:
            context["fields"] = logs.fields(s, None if table else groups, table)
        if (groups or table) and "run" in p:
            _run(s, context, mode, text, groups, table, start_text or f"{span}", end_text,
                 cancel)  # fmt: skip
    except VigilError as exc:
        context["error"] = exc.message + (f" ({exc.hint})" if exc.hint else "")
    return c.page(request, session, "search.html", **context, flash=p.get("done"))


def _run(s: Settings, context: dict[str, Any], mode: str, text: str, groups: list[str],
         table: str | None, start_text: str, end_text: str | None,
         cancel: lake.Cancel) -> None:  # fmt: skip
    start, end = clock.time_range(start_text, end_text, ("start", "end"))
    end = end or clock.now_ms()
    start = start if start is not None else end - 3600_000
    context["ran"] = True
    if mode == "pattern":
        events: list[dict[str, Any]] = []
        for group in groups:
            query = logs.EventsQuery(pattern=text, start=start, end=end, limit=SHOWN)
            events += [{"@timestamp": clock.iso_ms(e.timestamp), "@logStream": e.log_stream,
                        "@message": e.message, "_t": e.timestamp}
                       for e in logs.filter_events(s, group, query)]  # fmt: skip
        events.sort(key=lambda e: e["_t"], reverse=True)
        context["columns"] = ["@timestamp", "@logStream", "@message"]
        context["rows"] = events[:SHOWN]
        context["total"] = len(events)
        context["histogram"] = _columns(logs.events_histogram([e["_t"] for e in events],
                                                              start, end))  # fmt: skip
        return
    table_ = logs.insights(s, text, groups=None if table else groups, table=table,
                               start=start, end=end, cancel=cancel)  # fmt: skip
    context["columns"] = table_.column_names
    context["rows"] = table_.slice(0, SHOWN).to_pylist()
    context["total"] = table_.num_rows
    context["histogram"] = _columns(logs.insights_histogram(
        s, text, groups=None if table else groups, table=table, start=start, end=end,
        cancel=cancel))  # fmt: skip


def _columns(histogram: logs.Histogram) -> dict[str, Any]:
    """uPlot's columns for the histogram, and its step for the caption."""
    series = [{"label": "matches", "values": histogram.counts}]
    return {"x": histogram.x, "series": series, "step": histogram.step}
