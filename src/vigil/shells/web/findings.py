"""The findings pages, as Security Hub's and GuardDuty's: the triage table (filters, sorting,
saved filters, 50 a page, threat and control findings apart, bulk workflow changes and
assignment) and one finding (timeline, actor, resource, tags, evidence, raw and exported JSON,
workflow buttons, "suppress findings like this", its history)."""

import json
from dataclasses import replace
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from vigil.api import Settings, access, entity_links, lake
from vigil.api import findings as findings_api
from vigil.errors import VigilError
from vigil.model.finding import RecordState, Workflow
from vigil.shells.http.abandon import unless_abandoned
from vigil.shells.views.findings import as_dict, as_row
from vigil.shells.web.deps import ConsoleDep, Reader, Writer
from vigil.shells.web.kit import client_address, done_redirect, first

PAGE: Final = 50
EVIDENCE_ROWS: Final = 200  # shown on the finding's page; reading stops there
FILTERS: Final = ("kind", "severity", "type", "account", "region", "resource", "product",
                  "workflow", "state", "since", "until", "sort", "order")  # fmt: skip
PRODUCTS: Final = (("", "Any"), ("vigil", "Vigil"), ("guardduty", "GuardDuty"),
                   ("securityhub", "Security Hub"))  # fmt: skip
SEVERITIES: Final = (("", "Any"), ("1", "Low and up"), ("4", "Medium and up"),
                     ("7", "High and up"), ("9", "Critical"))  # fmt: skip
WORKFLOWS: Final = tuple(w.value for w in Workflow)
OPEN: Final = "NEW,NOTIFIED"  # the list's default, as Security Hub's: what still needs work
ANY: Final = "ANY"


def query_of(params: Any) -> findings_api.FindingQuery:
    def text(name: str) -> str | None:
        value = str(params.get(name, "") or "").strip()
        return value or None

    severity = text("severity")
    kind = text("kind") or "all"
    state = text("state") or "ACTIVE"
    return findings_api.FindingQuery(
        kind=kind if kind in ("all", "threat", "control") else "all",  # type: ignore[arg-type]
        severity=float(severity) if severity and _number(severity) else None,
        type=text("type"), account=text("account"), region=text("region"),
        resource=text("resource"), product=text("product"),
        workflow=_workflows(text("workflow")),
        record_state=None if state == "ANY" else state,
        since=text("since"), until=text("until"), sort=text("sort") or "severity",
        descending=(text("order") or "desc") == "desc",
        offset=int(text("offset") or 0) if (text("offset") or "0").isdigit() else 0, limit=PAGE,
    )  # fmt: skip


router = APIRouter()


@router.get("/findings", include_in_schema=False)
def findings(request: Request, c: ConsoleDep, session: Reader) -> Response:
    s = c.settings
    params = request.query_params
    if "workflow" not in params:  # the default is in the URL, so a link says what it shows
        wanted = [*params.multi_items(), ("workflow", OPEN)]  # a flash message kept too
        return RedirectResponse("/findings?" + urlencode(wanted),
                                status_code=303)  # fmt: skip
    q = query_of(params)
    page = findings_api.search(s, q)
    kept = {k: params[k] for k in FILTERS if params.get(k)}
    nxt = None
    if page.next_offset is not None:
        nxt = "/findings?" + urlencode({**kept, "offset": page.next_offset})
    prev = None
    if q.offset > 0:
        prev = "/findings?" + urlencode({**kept, "offset": max(0, q.offset - PAGE)})
    users = [u.name for u in access.users(s)] if c.auth else []
    return c.page(
        request, session, "findings.html", page=page, q=q, params=kept,
        rows=[as_row(f) for f in page.findings], next_link=nxt, prev_link=prev,
        kinds={k: "/findings?" + urlencode({**kept, "kind": k}) for k in
               ("all", "threat", "control")},
        severities=SEVERITIES, products=PRODUCTS, workflows=WORKFLOWS, users=users,
        views=findings_api.saved_views(s, session.principal.user),
        query_string=urlencode(kept), flash=params.get("done"),
        chips=_chips(kept), open_workflows=OPEN,
    )  # fmt: skip


@router.post("/findings/bulk", include_in_schema=False)
async def bulk(request: Request, c: ConsoleDep, session: Writer) -> Response:
    s = c.settings
    fields = await c.form(request, session)
    ids = fields.get("ids", [])
    back = first(fields, "back") or ""
    if first(fields, "scope") == "all":  # every finding the filter matches, all pages
        wanted = parse_qs(urlsplit(back).query)
        q = query_of({k: v[0] for k, v in wanted.items()})
        every = findings_api.search(s, replace(q, offset=0, limit=10**9))
        ids = [f.id for f in every.findings]
    if not ids:
        return done_redirect(back, "Nothing was selected.")
    workflow = _workflow(first(fields, "workflow"))
    note = first(fields, "note") or None
    assignee = first(fields, "assignee")
    done: list[str] = []
    missing: list[str] = []
    if workflow or note:
        done, missing = findings_api.bulk_update(s, ids, workflow, None, note)
    if assignee:
        findings_api.assign(s, ids, None if assignee == "-" else assignee)
        done = done or ids
    detail = {"workflow": workflow.value if workflow else None, "note": note,
              "assignee": assignee or None}  # fmt: skip
    access.audit_many(s, session.principal, "console:findings.update", done,
                          source=client_address(request), detail=detail)  # fmt: skip
    message = f"{len(done)} findings updated"
    if missing:
        message += f"; {len(missing)} not found"
    return done_redirect(back, message + ".")


@router.post("/findings/views", include_in_schema=False)
async def save_view(request: Request, c: ConsoleDep, session: Writer) -> Response:
    s = c.settings
    fields = await c.form(request, session)
    name = first(fields, "name")
    query = first(fields, "query")
    findings_api.save_view(s, session.principal.user, name, {"query": query})
    c.audit(session, request, "findings.save-view", name, {"query": query})
    return done_redirect(query, f"Saved the filter {name!r}.")


@router.post("/views/delete", include_in_schema=False)
async def delete_view(request: Request, c: ConsoleDep, session: Writer) -> Response:
    s = c.settings
    fields = await c.form(request, session)
    name, kind = first(fields, "name"), first(fields, "kind") or "findings"
    findings_api.delete_view(s, session.principal.user, name, kind)
    c.audit(session, request, f"{kind}.delete-view", name, {})
    page, noun = ("/search", "query") if kind == "queries" else ("/findings", "filter")
    return done_redirect(page, f"Deleted the saved {noun} {name!r}.")


@router.get("/findings/{fid}", include_in_schema=False)
def finding(fid: str, request: Request, c: ConsoleDep, session: Reader) -> Response:
    s = c.settings
    f = findings_api.get(s, fid)
    doc = as_dict(f, findings_api.evidence_query(f))
    exports = {name: json.dumps(findings_api.FORMATS[name](f), indent=2, default=str)
               for name in ("asff", "ocsf", "guardduty")}  # fmt: skip
    return c.page(
        request, session, "finding.html", f=f, doc=doc, row=as_row(f),
        raw=json.dumps(doc, indent=2, default=str), exports=exports,
        history=findings_api.history(s, f.id), workflows=WORKFLOWS,
        users=[u.name for u in access.users(s)] if c.auth else [],
        like=findings_api.suppression_like(f), flow=findings_api.flow_link(f),
        entities=entity_links.of_finding(s, f),
        remediation=findings_api.remediation(f),
        related=findings_api.related(s, f.id),
        flash=request.query_params.get("done"),
    )  # fmt: skip


@router.get("/findings/{fid}/evidence", include_in_schema=False)
async def evidence(fid: str, request: Request, c: ConsoleDep, session: Reader) -> Response:
    # on a worker thread; a browser that leaves stops the query
    answer, error = await unless_abandoned(
        request, lambda cancel: _evidence(c.settings, fid, cancel)
    )
    table = answer.table if answer is not None else None
    return c.fragment("_evidence.html", columns=table.column_names if table else [],
                      rows=table.to_pylist() if table else [], error=error,
                      more=bool(answer and answer.truncated))  # fmt: skip


@router.post("/findings/{fid}/workflow", include_in_schema=False)
async def set_workflow(fid: str, request: Request, c: ConsoleDep, session: Writer) -> Response:
    s = c.settings
    fields = await c.form(request, session)
    workflow = _workflow(first(fields, "workflow"))
    note = first(fields, "note") or None
    state = first(fields, "record_state")
    record_state = RecordState(state) if state in ("ACTIVE", "ARCHIVED") else None
    f = findings_api.update(s, fid, workflow, record_state, note)
    c.audit(session, request, "findings.update", f.id,
            {"workflow": workflow.value if workflow else None, "note": note,
             "record_state": state or None})  # fmt: skip
    return done_redirect(f"/findings/{f.id}", f"Workflow {f.workflow.value}.")


@router.post("/findings/{fid}/assign", include_in_schema=False)
async def assign(fid: str, request: Request, c: ConsoleDep, session: Writer) -> Response:
    s = c.settings
    fields = await c.form(request, session)
    f = findings_api.get(s, fid)
    user = first(fields, "assignee")
    findings_api.assign(s, [f.id], user or None)
    c.audit(session, request, "findings.assign", f.id, {"assignee": user or None})
    return done_redirect(f"/findings/{f.id}", f"Assigned to {user}." if user else "Unassigned.")


@router.post("/findings/{fid}/suppress", include_in_schema=False)
async def suppress(fid: str, request: Request, c: ConsoleDep, session: Writer) -> Response:
    s = c.settings
    fields = await c.form(request, session)
    f = findings_api.get(s, fid)
    name = first(fields, "name")
    pairs = [p for p in (first(fields, "criteria").splitlines()) if p.strip()]
    archived = findings_api.suppress(s, name, pairs)
    c.audit(session, request, "findings.suppress", name, {"criteria": pairs,
            "from": f.id, "archived": archived})  # fmt: skip
    return done_redirect(f"/findings/{f.id}", f"Suppression rule {name!r}: {archived} archived.")


def _evidence(s: Settings, fid: str, cancel: lake.Cancel) -> tuple[lake.Answer | None, str | None]:
    """The finding's evidence query over the lake, its first rows; or why it failed."""
    sql = findings_api.evidence_query(findings_api.get(s, fid))
    if not sql:
        return None, None
    try:
        return lake.query(s, sql, max_rows=EVIDENCE_ROWS, cancel=cancel, dialect="duckdb"), None
    except VigilError as exc:
        return None, exc.message


def _workflows(text: str | None) -> str | None:
    """The workflow filter: `ANY` (or nothing) is every state; else known states only."""
    if not text or text.upper() == ANY:
        return None
    states = [w for w in text.upper().split(",") if w in WORKFLOWS]
    return ",".join(states) or None


def _chips(kept: dict[str, str]) -> list[tuple[str, str]]:
    """The workflow filter as a chip: its label and the link that clears it (to every state)."""
    value = _workflows(kept.get("workflow"))
    if value is None:
        return []
    label = "open (NEW, NOTIFIED)" if value == OPEN else value.replace(",", ", ")
    cleared = {**kept, "workflow": ANY}
    return [(f"Workflow: {label}", "/findings?" + urlencode(cleared))]


def _workflow(text: str) -> Workflow | None:
    return Workflow(text) if text in WORKFLOWS else None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
