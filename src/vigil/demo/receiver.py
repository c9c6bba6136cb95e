"""The demo's own webhook receiver: a small HTTP server on loopback that keeps what it is sent
(in memory, and in `<home>/demo/receiver.jsonl` for the console) and answers 200. `vigil demo`
runs one while it delivers; `vigil serve` on a demo home runs one again and points the demo's
webhook rule at it, so the demo's deliveries succeed instead of retrying into the DLQ."""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from vigil.api import Settings, events
from vigil.errors import VigilError

RULE: Final = "demo-high-findings"  # the demo's webhook rule and its target
TARGET: Final = "soc-webhook"
MAX_BODY: Final = 1 << 20
KEPT: Final = 200  # lines the console reads back


def log_path(home: Path) -> Path:
    return home / "demo" / "receiver.jsonl"


class Receiver:
    """Keeps what it is sent; `home` set, also appends each to the home's receiver log."""

    def __init__(self, home: Path | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.log = log_path(home) if home is not None else None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(size, MAX_BODY))
                outer.keep(body, self.headers.get("Idempotency-Key", ""))
                answer = json.dumps({"received": True, "by": "vigil demo receiver",
                                     "count": len(outer.received)}).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/findings"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def keep(self, body: bytes, key: str) -> None:
        try:
            event: Any = json.loads(body or b"{}")
        except ValueError:
            event = body.decode("utf-8", "replace")
        line = {"time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "key": key,
                "event": event}  # fmt: skip
        with self.lock:
            self.received.append(event)
            if self.log is not None:
                with self.log.open("a") as out:
                    out.write(json.dumps(line) + "\n")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def received(home: Path, limit: int = 20) -> list[dict[str, Any]]:
    """What the demo's receiver got, newest first (nothing when this is not a demo home)."""
    path = log_path(home)
    if not path.is_file():
        return []
    with path.open() as lines:
        tail = deque(lines, maxlen=KEPT)
    out = []
    for line in reversed(tail):
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out[:limit]


def serve_for(settings: Settings) -> Receiver | None:
    """On a demo home (its webhook rule is there), a receiver for the server's lifetime with
    the rule pointed at it; elsewhere nothing."""
    try:
        doc = events.rule_document(settings, RULE).written
    except VigilError:
        return None
    targets = doc.get("targets") or []
    if not any(t.get("id") == TARGET and t.get("type") == "webhook" for t in targets):
        return None
    receiver = Receiver(settings.home)
    for target in targets:
        if target.get("id") == TARGET:
            target["url"] = receiver.url
    try:
        events.put_rule(settings, doc)
    except VigilError:  # the operator changed the rule or closed loopback: leave it be
        receiver.close()
        return None
    return receiver
