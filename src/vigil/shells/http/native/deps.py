"""What every native route shares, injected with `Depends`: the `Native` context that the app
keeps in `app.state.native`, the caller by role (`Reader`, `Writer`, `Configurer`), the settings
(`SettingsDep`), errors as `{"code", "message", "hint"}` (`Problem`, `guarded`), the audit of
writes (`audit`) and dataclasses as plain JSON (`plain`)."""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations.

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, HTTPException, Request

from vigil.api import Settings, access
from vigil.api.access import AuthError, Gate, Need, Principal, Role
from vigil.errors import BusyError, ConflictError, VigilError

T = TypeVar("T")


@dataclass(frozen=True)
class Native:
    """The native API's context: where the data lives, the token gate, and whether tokens are
    needed at all (off only with --insecure-no-auth on loopback)."""

    settings: Settings
    gate: Gate
    auth: bool


class Problem(HTTPException):
    def __init__(self, status: int, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(status, {"code": code, "message": message, "hint": hint})


def native(request: Request) -> Native:
    return cast(Native, request.app.state.native)


def settings(request: Request) -> Settings:
    return native(request).settings


def caller(request: Request, need: Need) -> Principal:
    """Who the Bearer token belongs to (an anonymous admin when auth is off), if they may."""
    context = native(request)
    header = request.headers.get("authorization", "")
    try:
        if header.startswith("Bearer "):
            who = context.gate.token(header[7:].strip())
        elif not context.auth:
            who = Principal("anonymous", Role.ADMIN, "anonymous")
        else:
            raise AuthError("missing", "this API needs a token",
                            hint="Authorization: Bearer <vigil tokens create --json>")  # fmt: skip
    except AuthError as exc:
        raise Problem(401, "Unauthorized", exc.message, exc.hint) from None
    if not access.permits(who.role, need):
        raise Problem(403, "Forbidden", f"{who.user} ({who.role}) may not {need} here",
                      "ask an admin for a role that may")  # fmt: skip
    return who


def reader(request: Request) -> Principal:
    return caller(request, Need.READ)


def writer(request: Request) -> Principal:
    return caller(request, Need.WRITE)


def configurer(request: Request) -> Principal:
    return caller(request, Need.CONFIGURE)


SettingsDep = Annotated[Settings, Depends(settings)]
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Configurer = Annotated[Principal, Depends(configurer)]


def guarded(fn: Callable[[], T]) -> T:
    """`fn()`, its Vigil errors as problems: 409, 429, 404 for what is missing, else 400."""
    try:
        return fn()
    except ConflictError as exc:
        raise Problem(409, "Conflict", exc.message, exc.hint) from None
    except BusyError as exc:
        raise Problem(429, "TooManyRequests", exc.message, exc.hint) from None
    except VigilError as exc:
        lowered = exc.message.lower()
        missing = lowered.startswith(("no ", "unknown ")) or "not exist" in lowered
        raise Problem(404 if missing else 400, type(exc).__name__, exc.message,
                      exc.hint) from None  # fmt: skip


def audit(request: Request, who: Principal, action: str, target: str,
          detail: dict[str, Any]) -> None:  # fmt: skip
    """Record a write in the audit log, with the caller's address."""
    source = request.client.host if request.client else ""
    access.audit(native(request).settings, who, action, target=target, source=source,
                     detail=detail)  # fmt: skip


def plain(value: Any) -> Any:
    """A dataclass as a dict (JSON-ready); anything else as it is."""
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value
