"""A moto server in this process, on loopback, that notes every request it answers: what a
test or benchmark counts to show which S3 objects a query listed and read."""

from __future__ import annotations

import threading
from typing import Any


class CountingMoto:
    """moto in server mode on loopback, noting (method, "list" | "object", key)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.server: Any = None

    def start(self) -> str:
        """Serve; the endpoint URL."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)

        def counted(environ: dict[str, Any], start_response: Any) -> Any:
            _bucket, _, key = str(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
            method = str(environ["REQUEST_METHOD"])
            self.requests.append((method, "object" if key else "list", key))
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, counted, True, request_handler=MotoRequestHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
