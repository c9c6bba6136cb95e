"""Security headers on every response the server sends: the console's pages, its static files,
the native API, the AWS endpoints, health and metrics, errors included. A route that sets one
of these itself (a page's own Content-Security-Policy) keeps its own."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The console's pages: their own scripts and styles only (htmx, uPlot are served from /static).
PAGE_POLICY: Final = ("default-src 'self'; img-src 'self' data:; style-src 'self' "
                      "'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; "
                      "base-uri 'none'")  # fmt: skip
# Anything else (JSON, XML, CBOR, text): nothing in it may load or run anything.
DATA_POLICY: Final = "default-src 'none'; frame-ancestors 'none'; sandbox"
ALWAYS: Final = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
HSTS: Final = "max-age=31536000"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        https = scope.get("scheme") == "https"

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("content-security-policy", PAGE_POLICY if html else DATA_POLICY)
                # static files revalidate (they carry an ETag); nothing else is kept
                headers.setdefault("cache-control", "no-cache" if static else "no-store")
                if https:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, sending)
