"""The flow explorer: top talkers, ports and rejected traffic of the VPC flow logs in a window,
narrowed to an account, a VPC, a subnet, an interface or an address."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from vigil.api import clock
from vigil.api import flows as flows_api
from vigil.errors import VigilError
from vigil.shells.web.deps import ConsoleDep, Reader

router = APIRouter()


@router.get("/flows", include_in_schema=False)
def flows(request: Request, c: ConsoleDep, session: Reader) -> Response:
    p = request.query_params
    view = flows_api.FlowView(
        window=p.get("window") or "1h", account=p.get("account") or None,
        vpc=p.get("vpc") or None, subnet=p.get("subnet") or None,
        interface=p.get("interface") or None, address=p.get("address") or None,
    )  # fmt: skip
    error = None
    try:
        report = flows_api.explore(c.settings, view)
    except VigilError as exc:
        report, error = flows_api.FlowReport(), exc.message
    return c.page(request, session, "flows.html", view=view, report=report, error=error,
                  windows=list(flows_api.WINDOWS),
                  start=clock.iso_ms(report.start * 1000) if report.start else None,
                  end=clock.iso_ms(report.end * 1000) if report.end else None)  # fmt: skip
