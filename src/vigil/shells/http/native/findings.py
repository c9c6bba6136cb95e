"""Findings in the native API: list, one, change one or many, the export (ASFF, OCSF,
GuardDuty), and the suppression rules."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from vigil.api import findings
from vigil.errors import VigilError
from vigil.model.finding import Finding, RecordState, Workflow
from vigil.shells.http.native.deps import Reader, SettingsDep, Writer, audit, guarded
from vigil.shells.views.findings import as_dict, related_dict

router = APIRouter()


def _doc(f: Finding) -> dict[str, Any]:
    return as_dict(f, findings.evidence_query(f))


class FindingUpdate(BaseModel):
    workflow: Workflow | None = None
    record_state: RecordState | None = None
    note: str | None = None


class BulkUpdate(FindingUpdate):
    ids: list[str]


class Suppression(BaseModel):
    name: str
    criteria: list[str]  # KEY=VALUE pairs, as `vigil findings suppress`


@router.get("/findings", summary="List findings (filters and paging)")
def list_findings(
    who: Reader, settings: SettingsDep, severity: float | None = None, type: str | None = None,
    workflow: str | None = None, since: str | None = None, archived: bool = False,
    product: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:  # fmt: skip
    found = guarded(lambda: findings.list_findings(settings, severity, type, workflow, since,
                                                       archived, product))  # fmt: skip
    page = found[offset : offset + limit]
    more = offset + limit < len(found)
    return {"findings": [_doc(f) for f in page], "total": len(found),
            "next_offset": offset + limit if more else None}  # fmt: skip


@router.get("/findings/{fid}", summary="One finding, with other products' linked to it")
def get_finding(fid: str, who: Reader, settings: SettingsDep) -> dict[str, Any]:
    f = guarded(lambda: findings.get(settings, fid))
    related = [related_dict(r) for r in findings.related(settings, f.id)]
    return {**_doc(f), "related": related}


@router.patch("/findings/{fid}", summary="Change a finding's workflow or record state")
def update_finding(fid: str, body: FindingUpdate, who: Writer, settings: SettingsDep,
                   request: Request) -> dict[str, Any]:  # fmt: skip
    f = guarded(lambda: findings.update(settings, fid, body.workflow, body.record_state, body.note))
    audit(request, who, "findings.update", fid, body.model_dump(mode="json"))
    return _doc(f)


@router.post("/findings/batch-update", summary="Change many findings at once")
def bulk_update(body: BulkUpdate, who: Writer, settings: SettingsDep,
                request: Request) -> dict[str, Any]:  # fmt: skip
    done, failed = [], []
    for fid in body.ids:
        try:
            findings.update(settings, fid, body.workflow, body.record_state, body.note)
            done.append(fid)
        except VigilError as exc:
            failed.append({"id": fid, "message": exc.message})
    audit(request, who, "findings.batch-update", f"{len(done)} findings",
          {**body.model_dump(mode="json", exclude={"ids"}), "ids": done})  # fmt: skip
    return {"processed": done, "unprocessed": failed}


@router.get("/findings-export", summary="Every active finding as ASFF, OCSF or GuardDuty JSON")
def export(who: Reader, settings: SettingsDep, format: str = "asff",
           archived: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"findings": guarded(lambda: findings.export(settings, format, archived))}


@router.get("/suppressions", summary="Suppression rules")
def suppressions(who: Reader, settings: SettingsDep) -> dict[str, Any]:
    return {"rules": findings.suppressions(settings)}


@router.post("/suppressions", summary="Suppress findings like these (archives the matches)")
def suppress(
    body: Suppression, who: Writer, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    archived = guarded(lambda: findings.suppress(settings, body.name, body.criteria))
    audit(request, who, "findings.suppress", body.name, body.model_dump())
    return {"name": body.name, "archived": archived}


@router.delete("/suppressions/{name}", summary="Delete a suppression rule")
def unsuppress(name: str, who: Writer, settings: SettingsDep, request: Request) -> dict[str, Any]:
    criteria = guarded(lambda: findings.delete_suppression(settings, name))
    audit(request, who, "findings.unsuppress", name, {"criteria": criteria})
    return {"name": name, "deleted": True}
