"""Access in the native API: the audit log (admins) and who a token belongs to."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.

from typing import Annotated, Any

from fastapi import APIRouter, Query

from vigil.api import access
from vigil.shells.http.native.deps import Configurer, Reader, SettingsDep
from vigil.shells.views.access import audit_entry

router = APIRouter()


@router.get("/audit", summary="The audit log (admins)")
def audit_log(who: Configurer, settings: SettingsDep,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
              user: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"entries": [audit_entry(e) for e in access.audit_log(settings, limit, user)]}


@router.get("/whoami", summary="Who the token belongs to")
def whoami(who: Reader) -> dict[str, str]:
    return {"user": who.user, "role": str(who.role), "via": who.via}
