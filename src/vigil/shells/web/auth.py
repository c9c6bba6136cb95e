"""Sign-in and sign-out: a form of `username` and `password` checked against the server's
users, five failures a minute per user and address, a session cookie on success."""

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from vigil.api import access
from vigil.api.access import AuthError
from vigil.shells.web.deps import ConsoleDep, Reader
from vigil.shells.web.kit import (
    LOGIN_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Console,
    client_address,
    first,
)

router = APIRouter()


@router.get("/login", include_in_schema=False)
def login_form(request: Request, c: ConsoleDep) -> Response:
    if c.session(request) is not None and c.auth:
        return RedirectResponse(_safe_next(request.query_params.get("next", "/")), 303)
    return _login_page(c, request)


@router.post("/login", include_in_schema=False)
async def login(request: Request, c: ConsoleDep) -> Response:
    fields = await c.form(request, None)
    user, password = first(fields, "username"), (fields.get("password") or [""])[0]
    address = client_address(request)
    wait = c.limiter.wait(user, address)
    if wait > 0:
        _audit_refusal(c, user, address, "throttled")
        return _login_page(c, request, f"Too many failed sign-ins: try again in {wait:.0f} s.",
                           429, user)  # fmt: skip
    try:
        who = c.gate.password(user, password)
    except AuthError:
        c.limiter.failed(user, address)
        _audit_refusal(c, user, address, "refused")
        return _login_page(c, request, "The user name or password is wrong.", 401, user)
    c.limiter.succeeded(user, address)
    sid, _ = c.sessions.start(access.Principal(who.user, who.role, "session"))
    access.audit(c.settings, who, "console:sign-in", source=address)
    target = _safe_next(first(fields, "next", "/"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, c: ConsoleDep, session: Reader) -> Response:
    await c.form(request, session)
    c.sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    c.audit(session, request, "sign-out", session.principal.user, {})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _login_page(c: Console, request: Request, message: str = "", status: int = 200,
                username: str = "") -> Response:  # fmt: skip
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    html = c.env.get_template("login.html").render(
        csrf=token, message=message, username=username,
        next=_safe_next(request.query_params.get("next", "/")),
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=3600)  # fmt: skip
    return response


def _audit_refusal(c: Console, user: str, address: str, result: str) -> None:
    who = access.Principal(user or "?", access.Role.VIEWER, "password")
    access.audit(c.settings, who, "console:sign-in", source=address, result=result)


def _safe_next(target: str) -> str:
    """Only a path of this server (no other host, no scheme): an open redirect otherwise."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
