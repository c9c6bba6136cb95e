"""The overview: findings by severity over time, open findings by type, alarms in ALARM, ingest
health per source, posture scores, deliveries and the DLQ — each from the service layer."""

import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from vigil.api import Settings, events, findings, metrics, sources
from vigil.api import posture as posture_api
from vigil.errors import VigilError
from vigil.shells.views.findings import as_row
from vigil.shells.views.posture import score_docs
from vigil.shells.views.sources import source_status
from vigil.shells.web.deps import ConsoleDep

LABELS: Final = ("LOW", "MEDIUM", "HIGH", "CRITICAL")  # GuardDuty's bands
OPEN: Final = ("NEW", "NOTIFIED")


WINDOWS: Final = {"24h": 86400, "7d": 7 * 86400, "14d": 14 * 86400, "30d": 30 * 86400,
                  "90d": 90 * 86400}  # fmt: skip
DEFAULT_WINDOW: Final = "14d"
SPOKEN: Final = {"24h": "24 hours", "7d": "7 days", "14d": "14 days", "30d": "30 days",
                 "90d": "90 days"}  # fmt: skip


def chart_window(text: str | None) -> str:
    """The overview chart's window from the URL (`?window=7d`); the last 14 days by default."""
    if not text:
        return DEFAULT_WINDOW
    if text not in WINDOWS:
        raise VigilError(
            f"the chart window {text!r} is not one of {', '.join(WINDOWS)}", hint="/?window=14d"
        )
    return text


def severity_series(rows: list[dict[str, Any]], window: str, now: int) -> dict[str, Any]:
    """Findings first seen in the window that ends now, per hour (a window of a day) or per
    day, one series per severity label, empty buckets included (uPlot's columns); older
    findings are not drawn, so old records do not stretch the axis over years."""
    span = WINDOWS[window]
    step = 3600 if span <= 86400 else 86400
    first = (now - span) - (now - span) % step
    buckets: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        t = _epoch(row["first_seen"])
        if t is not None and now - span <= t <= now:
            buckets[t - t % step][row["severity"]] += 1
    xs = list(range(first, now - now % step + step, step))
    return {"x": xs, "series": [{"label": label.title(), "values": [buckets[x][label] for x in xs]}
                                for label in LABELS]}  # fmt: skip


router = APIRouter()


@router.get("/", include_in_schema=False)
async def overview(request: Request, c: ConsoleDep) -> Response:
    if c.aws is not None and is_aws(request):  # the query protocol also GETs /
        return await c.aws(request)
    session = c.reader(request)  # not a dependency: an AWS call above has no session
    window = chart_window(request.query_params.get("window"))
    data = await run_in_threadpool(overview_data, c.settings, window)
    return c.page(request, session, "overview.html", window=window, windows=list(WINDOWS),
                  window_words=SPOKEN[window], **data)  # fmt: skip


def is_aws(request: Request) -> bool:
    """An AWS call, not a browser: a query-protocol `Action`, a presigned URL, a SigV4
    header, or a JSON protocol's target."""
    headers = request.headers
    return (
        "Action" in request.query_params
        or "X-Amz-Signature" in request.query_params
        or headers.get("authorization", "").startswith("AWS4-")
        or "x-amz-target" in headers
    )


def overview_data(s: Settings, window: str = DEFAULT_WINDOW) -> dict[str, Any]:
    rows = [as_row(f) for f in findings.list_findings(s)]
    open_rows = [r for r in rows if r["workflow"] in OPEN and r["kind"] == "threat"]
    by_type = Counter(r["type"] for r in open_rows).most_common(10)
    threats = [r for r in rows if r["kind"] == "threat"]
    by_severity = Counter(r["severity"] for r in open_rows)
    alarms = [a.describe() for a in metrics.alarms(s)]
    try:
        posture: dict[str, Any] | None = score_docs(posture_api.scores(s))
    except VigilError:
        posture = None
    dlq = events.dead_letters(s)
    deliveries = events.audit(s, 10)
    return {
        "total": len(rows), "open_total": len(open_rows), "by_type": by_type,
        "by_severity": [(label, by_severity.get(label, 0)) for label in reversed(LABELS)],
        "severity_chart": severity_series(threats, window, int(time.time())),
        "newest_threat": max((r["first_seen"] for r in threats), default=None),
        "alarms_in_alarm": [a for a in alarms if a["StateValue"] == "ALARM"],
        "alarm_count": len(alarms),
        "sources": [source_status(x) for x in sources.listing(s)], "posture": posture,
        "dlq": len(dlq), "deliveries": deliveries,
    }  # fmt: skip


def _epoch(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
