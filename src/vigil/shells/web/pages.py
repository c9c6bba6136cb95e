"""The console's other pages: search, flows, alarms, dashboards, posture, response, sources,
detections, entities."""

from fastapi import APIRouter

from vigil.shells.web import pages_entities, pages_ops, pages_search, pages_units
from vigil.shells.web.kit import Console


def router(c: Console) -> APIRouter:
    r = APIRouter()
    r.include_router(pages_search.router(c))
    r.include_router(pages_ops.router(c))
    r.include_router(pages_units.router(c))
    r.include_router(pages_entities.router(c))
    return r
