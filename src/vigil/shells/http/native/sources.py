"""Ingest sources in the native API: the list with cursor, lag, counts and last error, adding
one (admins) and removing one (admins)."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Any

from fastapi import APIRouter, Request

from vigil.api import events
from vigil.api import sources as sources_api
from vigil.shells.http.native.deps import Configurer, Reader, SettingsDep, audit, guarded
from vigil.shells.views.sources import source_status

router = APIRouter()


@router.get("/sources", summary="Ingest sources with cursor, lag, counts and last error")
def sources(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"sources": [source_status(s) for s in sources_api.listing(settings)]}


@router.post("/sources", summary="Add a source (the keys of `vigil sources add`)")
def add_source(body: dict[str, Any], who: Configurer, settings: SettingsDep,
               request: Request) -> dict[str, Any]:  # fmt: skip
    guarded(lambda: events.check_endpoint(settings, body.get("endpoint_url")))
    source = guarded(lambda: sources_api.add(settings, body))
    doc: dict[str, Any] = source.as_dict()
    audit(request, who, "sources.add", source.name, doc)
    return doc


@router.delete("/sources/{name}", summary="Stop following a source")
def remove_source(
    name: str, who: Configurer, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    guarded(lambda: sources_api.remove(settings, name))
    audit(request, who, "sources.remove", name, {})
    return {"name": name, "removed": True}
