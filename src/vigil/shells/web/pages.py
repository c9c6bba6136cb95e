"""The console's other pages: search, flows, alarms, dashboards, posture, response, sources."""

from fastapi import APIRouter

from vigil.shells.web import pages_ops, pages_search
from vigil.shells.web.kit import Console


def router(c: Console) -> APIRouter:
    r = APIRouter()
    r.include_router(pages_search.router(c))
    r.include_router(pages_ops.router(c))
    return r
