"""The native JSON API under /api/v1 (Bearer tokens; roles checked per route; every write
audited). Errors are `{"code", "message", "hint"}` with the HTTP status that fits."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from vigil import api
from vigil.api.access import AuthError, Gate, Need, Principal, Role
from vigil.errors import BusyError, ConflictError, VigilError
from vigil.model.finding import RecordState, Workflow
from vigil.shells.http.abandon import unless_abandoned


class Problem(HTTPException):
    def __init__(self, status: int, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(status, {"code": code, "message": message, "hint": hint})


class FindingUpdate(BaseModel):
    workflow: Workflow | None = None
    record_state: RecordState | None = None
    note: str | None = None


class BulkUpdate(FindingUpdate):
    ids: list[str]


class SqlRequest(BaseModel):
    sql: str
    max_rows: int = Field(1000, ge=1, le=2**31)  # and at most the server's query_max_rows


class Kit:
    """What every native route shares: who is calling (Bearer token, role checked), errors as
    `{"code", "message", "hint"}`, and the audit of writes."""

    def __init__(self, settings: api.Settings, gate: Gate, auth: bool) -> None:
        self.settings = settings
        self.gate = gate
        self.auth = auth

    def caller(self, need: Need) -> Callable[[Request], Principal]:
        def check(request: Request) -> Principal:
            header = request.headers.get("authorization", "")
            try:
                if header.startswith("Bearer "):
                    who = self.gate.token(header[7:].strip())
                elif not self.auth:
                    who = Principal("anonymous", Role.ADMIN, "anonymous")
                else:
                    raise AuthError(
                        "missing",
                        "this API needs a token",
                        hint="Authorization: Bearer <vigil tokens create --json>",
                    )
            except AuthError as exc:
                raise Problem(401, "Unauthorized", exc.message, exc.hint) from None
            if not api.access.permits(who.role, need):
                raise Problem(403, "Forbidden", f"{who.user} ({who.role}) may not {need} here",
                              "ask an admin for a role that may")  # fmt: skip
            return who

        return check

    @staticmethod
    def guarded(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ConflictError as exc:
            raise Problem(409, "Conflict", exc.message, exc.hint) from None
        except BusyError as exc:
            raise Problem(429, "TooManyRequests", exc.message, exc.hint) from None
        except VigilError as exc:
            missing = exc.message.lower().startswith(("no ", "unknown ")) or "not exist" in (
                exc.message.lower()
            )
            raise Problem(404 if missing else 400, type(exc).__name__, exc.message,
                          exc.hint) from None  # fmt: skip

    def audit(self, who: Principal, request: Request, action: str, target: str,
              detail: dict[str, Any]) -> None:  # fmt: skip
        source = request.client.host if request.client else ""
        api.access.audit(self.settings, who, action, target=target, source=source,
                         detail=detail)  # fmt: skip


def router(settings: api.Settings, gate: Gate, telemetry: Any, auth: bool) -> APIRouter:
    r = APIRouter()
    kit = Kit(settings, gate, auth)
    caller, guarded, audit = kit.caller, kit.guarded, kit.audit
    Reader = Annotated[Principal, Depends(caller(Need.READ))]
    Writer = Annotated[Principal, Depends(caller(Need.WRITE))]

    @r.get("/findings", summary="List findings (filters and paging)")
    def list_findings(
        who: Reader, severity: float | None = None, type: str | None = None,
        workflow: str | None = None, since: str | None = None, archived: bool = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:  # fmt: skip
        found = guarded(lambda: api.findings.list_findings(settings, severity, type, workflow,
                                                           since, archived))  # fmt: skip
        page = found[offset : offset + limit]
        more = offset + limit < len(found)
        return {"findings": [api.findings.as_dict(f) for f in page], "total": len(found),
                "next_offset": offset + limit if more else None}  # fmt: skip

    @r.get("/findings/{fid}", summary="One finding")
    def get_finding(fid: str, who: Reader) -> dict[str, Any]:
        return dict(api.findings.as_dict(guarded(lambda: api.findings.get(settings, fid))))

    @r.patch("/findings/{fid}", summary="Change a finding's workflow or record state")
    def update_finding(fid: str, body: FindingUpdate, who: Writer,
                       request: Request) -> dict[str, Any]:  # fmt: skip
        f = guarded(lambda: api.findings.update(settings, fid, body.workflow, body.record_state,
                                                body.note))  # fmt: skip
        audit(who, request, "findings.update", fid, body.model_dump(mode="json"))
        return dict(api.findings.as_dict(f))

    @r.post("/findings/batch-update", summary="Change many findings at once")
    def bulk_update(body: BulkUpdate, who: Writer, request: Request) -> dict[str, Any]:
        done, failed = [], []
        for fid in body.ids:
            try:
                api.findings.update(settings, fid, body.workflow, body.record_state, body.note)
                done.append(fid)
            except VigilError as exc:
                failed.append({"id": fid, "message": exc.message})
        audit(who, request, "findings.batch-update", f"{len(done)} findings",
              {**body.model_dump(mode="json", exclude={"ids"}), "ids": done})  # fmt: skip
        return {"processed": done, "unprocessed": failed}

    @r.post("/query", summary="Read-only SQL over the lake (streamed up to max_rows)")
    async def query(body: SqlRequest, who: Reader, request: Request) -> dict[str, Any]:
        answer = await unless_abandoned(
            request,
            lambda cancel: guarded(
                lambda: api.lake.query(settings, body.sql, max_rows=body.max_rows, cancel=cancel)
            ),
        )
        return {"columns": answer.table.column_names, "rows": answer.table.to_pylist(),
                "truncated": answer.truncated}  # fmt: skip

    @r.get("/logs/groups", summary="Log groups")
    def log_groups(who: Reader, prefix: str = "") -> dict[str, Any]:
        from dataclasses import asdict

        return {"groups": [asdict(g) for g in api.logs.groups(settings, prefix)]}

    @r.get("/audit", summary="The audit log (admins)")
    def audit_log(who: Annotated[Principal, Depends(caller(Need.CONFIGURE))],
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
                  user: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {"entries": api.access.audit_log(settings, limit, user)}

    @r.get("/whoami", summary="Who the token belongs to")
    def whoami(who: Reader) -> dict[str, str]:
        return {"user": who.user, "role": str(who.role), "via": who.via}

    from vigil.shells.http import native_ops, native_units

    r.include_router(native_ops.router(kit))
    r.include_router(native_units.router(kit))
    return r
