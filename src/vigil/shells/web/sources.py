"""Sources: each ingest source with its counts and last error, and the quarantine of objects
that failed, with a retry of the chosen ones."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from vigil.api import quarantine
from vigil.api import sources as sources_api
from vigil.shells.views.sources import source_status
from vigil.shells.web.deps import ConsoleDep, Reader, Writer
from vigil.shells.web.kit import done_redirect

router = APIRouter()


@router.get("/sources", include_in_schema=False)
def sources(request: Request, c: ConsoleDep, session: Reader) -> Response:
    listed = [source_status(s) for s in sources_api.listing(c.settings)]
    return c.page(request, session, "sources.html", sources=listed,
                  quarantine=quarantine.entries(c.settings),
                  flash=request.query_params.get("done"))  # fmt: skip


@router.post("/sources/quarantine/retry", include_in_schema=False)
async def retry(request: Request, c: ConsoleDep, session: Writer) -> Response:
    fields = await c.form(request, session)
    ids = fields.get("ids", [])
    if not ids:
        return done_redirect("/sources", "Nothing was selected.")
    report = quarantine.retry(c.settings, ids, quarantine.Overrides())
    c.audit(session, request, "quarantine.retry", f"{len(ids)} objects", {"ids": ids})
    results = ", ".join(f"{o.result}" for o in report.objects)
    return done_redirect("/sources", f"Retried {len(ids)}: {results or 'nothing to retry'}.")
