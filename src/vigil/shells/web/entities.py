"""Entity pages (a principal, an instance or interface, an address, a bucket, an account) and
the header's search box: an id goes to its page, several readings to a chooser."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from vigil.api import entities, lake
from vigil.api.access import Session
from vigil.shells.http.abandon import unless_abandoned
from vigil.shells.views.findings import as_row
from vigil.shells.web.deps import ConsoleDep, Reader
from vigil.shells.web.kit import Console


def _offset(text: str | None) -> int:
    return min(int(text), 100_000) if text and text.isdigit() else 0


def _finding_row(named: entities.NamingFinding) -> dict[str, Any]:
    """A finding naming the entity as the page's table shows it: with the entity's role."""
    return {**as_row(named.finding), "role": named.role}


router = APIRouter()


@router.get("/entities", include_in_schema=False)
def search(request: Request, c: ConsoleDep, session: Reader) -> Response:
    text = (request.query_params.get("q") or "").strip()
    found = entities.find(c.settings, text) if text else []
    if len(found) == 1 and found[0].id.lower() == text.lower():
        return RedirectResponse(found[0].href, status_code=303)
    return c.page(request, session, "entity_search.html", q=text, found=found)


@router.get("/entities/{kind}/{ident:path}", include_in_schema=False)
async def entity(
    kind: str, ident: str, request: Request, c: ConsoleDep, session: Reader
) -> Response:
    # on a worker thread; a browser that leaves stops the page's queries
    return await unless_abandoned(
        request, lambda cancel: _page(c, kind, ident, request, session, cancel)
    )


def _page(c: Console, kind: str, ident: str, request: Request, session: Session,
          cancel: lake.Cancel) -> Response:  # fmt: skip
    p = request.query_params
    window = p.get("window") or entities.DEFAULT_WINDOW
    view = entities.page(c.settings, kind, ident, window=window, end=p.get("end") or None,
                             offset=_offset(p.get("offset")),
                             flow_offset=_offset(p.get("flow_offset")),
                             dns_offset=_offset(p.get("dns_offset")),
                             cancel=cancel)  # fmt: skip
    return c.page(request, session, "entity.html", e=view,
                  findings=[_finding_row(n) for n in view.findings],
                  windows=list(entities.WINDOWS), end=p.get("end") or "",
                  offset=_offset(p.get("offset")),
                  flow_offset=_offset(p.get("flow_offset")),
                  dns_offset=_offset(p.get("dns_offset")))  # fmt: skip
