"""Posture: the latest report's score, its checks with their failed resources, failures per
account and Region, and what changed since the report before."""

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from vigil.api import posture as posture_api
from vigil.errors import VigilError
from vigil.shells.views import posture as views
from vigil.shells.web.deps import ConsoleDep, Reader

router = APIRouter()


@router.get("/posture", include_in_schema=False)
def posture(request: Request, c: ConsoleDep, session: Reader) -> Response:
    s = c.settings
    try:
        report: dict[str, Any] | None = views.report_doc(posture_api.report(s))
    except VigilError:
        report = None
    diff = None
    if report is not None and len(posture_api.history(s)) > 1:
        diff = posture_api.diff(s)
    return c.page(request, session, "posture.html", report=report, diff=diff,
                  matrix=_matrix(report["checks"]) if report else None)  # fmt: skip


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
