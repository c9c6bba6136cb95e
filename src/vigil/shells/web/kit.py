"""What every console page shares: the signed-in user (a session cookie), CSRF and Origin checks
on every POST, the templates, and the audit of changes; `deps` hands them to the routes, with
the role a control needs."""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations.

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from fastapi import HTTPException, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from vigil.api import Settings, access
from vigil.api.access import Gate, Need, Principal, Session, Sessions, SignInLimiter
from vigil.errors import VigilError
from vigil.shells.http.headers import PAGE_POLICY
from vigil.shells.web import filters

HERE: Final = Path(__file__).parent
SESSION_COOKIE: Final = "vigil_session"
LOGIN_COOKIE: Final = "vigil_login"  # the sign-in form's own CSRF token (no session yet)
MAX_FORM: Final = 1 << 20

NAV: Final = (
    ("Overview", "/"), ("Findings", "/findings"), ("Search", "/search"), ("Flows", "/flows"),
    ("Alarms", "/alarms"), ("Dashboards", "/dashboards"), ("Detections", "/detections"),
    ("Posture", "/posture"), ("Response", "/response"), ("Sources", "/sources"),
)  # fmt: skip


class SignIn(VigilError):
    """No valid session: the page sends the browser to /login."""


class Refused(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class Console:
    def __init__(self, settings: Settings, gate: Gate, auth: bool) -> None:
        self.settings = settings
        self.gate = gate
        self.auth = auth
        self.sessions = Sessions(settings)
        self.stopping: Callable[[], bool] = lambda: False  # the server sets its own
        self.aws: Callable[[Request], Awaitable[Response]] | None = None  # GET / of AWS calls
        self.limiter = SignInLimiter()
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(("html",)),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["short"] = lambda text, n=12: str(text)[:n]
        self.env.filters.update(iso=filters.iso, wbr=filters.wbr, markdown=filters.markdown,
                                cell=filters.cell)  # fmt: skip

    # -- who -------------------------------------------------------------------------------
    def session(self, request: Request) -> Session | None:
        sid = request.cookies.get(SESSION_COOKIE, "")
        session = self.sessions.get(sid) if sid else None
        if session is None:
            if not self.auth:  # --insecure-no-auth on loopback: everyone is an admin
                return Session(Principal("anonymous", access.Role.ADMIN, "anonymous"),
                               "no-auth", 0.0, 0.0)  # fmt: skip
            return None
        current = self.gate.current(session.principal)
        if current is None:  # the user was removed
            self.sessions.end(sid)
            return None
        session.principal = current
        return session

    def reader(self, request: Request) -> Session:
        session = self.session(request)
        if session is None:
            raise SignIn("no valid session", hint="sign in at /login")
        return session

    # -- requests --------------------------------------------------------------------------
    @staticmethod
    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if not origin or origin == "null":
            return origin is None  # no header at all: not a browser's cross-site form
        parts = urlsplit(origin)
        return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"

    async def form(self, request: Request, session: Session | None) -> dict[str, list[str]]:
        """The POST's form, after its checks: our Origin, and the session's CSRF token."""
        if not self.same_origin(request):
            raise Refused("the request comes from another site (Origin)")
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_FORM:  # refused before it is read
            raise HTTPException(413, "the form is too large")
        body = await request.body()
        if len(body) > MAX_FORM:
            raise HTTPException(413, "the form is too large")
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        token = (fields.get("csrf_token") or [request.headers.get("x-csrf-token", "")])[0]
        expected = session.csrf if session else request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not token or not secrets.compare_digest(token, expected):
            raise Refused("the form's CSRF token is missing or wrong; reload the page")
        return fields

    def audit(self, session: Session, request: Request, action: str, target: str,
              detail: dict[str, Any]) -> None:  # fmt: skip
        access.audit(self.settings, session.principal, f"console:{action}", target=target,
                         source=client_address(request), detail=detail)  # fmt: skip

    # -- pages -----------------------------------------------------------------------------
    def page(self, request: Request, session: Session, template: str, **context: Any) -> Response:
        role = session.principal.role
        html = self.env.get_template(template).render(
            nav=NAV, here=request.url.path, user=session.principal.user, role=str(role),
            csrf=session.csrf, can_write=access.permits(role, Need.WRITE),
            can_configure=access.permits(role, Need.CONFIGURE), **context,
        )  # fmt: skip
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    def fragment(self, template: str, **context: Any) -> Response:
        return HTMLResponse(self.env.get_template(template).render(**context),
                            headers=SECURITY_HEADERS)  # fmt: skip


SECURITY_HEADERS: Final = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0].strip() if values else default


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def done_redirect(target: str, message: str) -> Response:
    """Back to a page of this console (never elsewhere) with a message for it to show."""
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}{urlencode({'done': message})}", status_code=303)
