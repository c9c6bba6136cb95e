"""Targets: where a delivery goes. Each sender returns a short excerpt of the response or
raises `DeliveryFailed` saying whether a retry can help (a 5xx, a timeout, a 429) or not (a 4xx,
a missing command or handler). Secrets come from `env:NAME` or `file:/path`; no sender puts
them in its excerpt or error.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import shlex
import smtplib
import ssl
import stat
import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Final

from vigil.errors import AwsApiError
from vigil.events.netguard import NetworkGuard, Refused

TIMEOUT: Final = 10.0
SECRET_BYTES: Final = 64 << 10
BODY_CHARS: Final = 200  # of an answer's body, kept with the attempt


class DeliveryFailed(AwsApiError):
    """A target that refused or failed; `code` is EventBridge's dead-letter error code (TIMEOUT,
    THROTTLING, NO_RESOURCE, NO_PERMISSIONS, SDK_CLIENT_ERROR …); `http_status` the target's
    HTTP answer, when there was one."""

    def __init__(self, code: str, message: str, *, retriable: bool, status: int | None = None,
                 body: str | None = None) -> None:  # fmt: skip
        super().__init__(code, message)
        self.retriable = retriable
        self.http_status = status
        self.body = body


class Reply(str):
    """A sender's excerpt that also keeps the HTTP status and the body's first bytes."""

    http_status: int | None = None
    body: str | None = None

    @classmethod
    def http(cls, status: int, body: str) -> Reply:
        reply = cls(f"HTTP {status} {body}")
        reply.http_status, reply.body = status, body
        return reply


def secret(value: Any, name: str) -> str:
    """`env:NAME` or `file:/path` (readable by its owner only); anything else is refused, so a
    secret never sits in a rule file."""
    text = str(value or "")
    if text.startswith("env:"):
        found = os.environ.get(text[4:])
        if found is None:
            raise DeliveryFailed(
                "NO_RESOURCE",
                f"{name}: environment variable {text[4:]} is not set",
                retriable=False,
            )
        return found
    if text.startswith("file:"):
        path = Path(text[5:])
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise DeliveryFailed(
                "NO_RESOURCE", f"{name}: cannot read {path}", retriable=False
            ) from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise DeliveryFailed(
                "NO_PERMISSIONS",
                f"{name}: {path} must be readable by its owner only (chmod 600)",
                retriable=False,
            )
        with path.open("rb") as handle:  # a secret is short; a device file is not read on
            return handle.read(SECRET_BYTES).decode(errors="replace").strip()
    raise DeliveryFailed(
        "NO_PERMISSIONS", f"{name}: give env:NAME or file:/path, not the value", retriable=False
    )


def plain(value: Any) -> str:
    """A setting that may be a secret reference or a plain value (URLs that are not secret)."""
    text = str(value or "")
    return secret(text, "setting") if text.startswith(("env:", "file:")) else text


def _post(url: str, body: bytes, headers: dict[str, str], guard: NetworkGuard) -> str:
    """POST through the network guard: every hop (redirects too) to a checked address."""
    import httpx  # the HTTP client loads with the first delivery, not with every command

    from vigil.events.netguard_http import http_client

    try:
        with http_client(guard, TIMEOUT) as client:
            response = client.post(url, content=body, headers=headers)
    except Refused as exc:
        raise DeliveryFailed("NO_PERMISSIONS", str(exc), retriable=False) from exc
    except httpx.TooManyRedirects as exc:
        raise DeliveryFailed("BAD_REQUEST", "the endpoint redirected too often",
                             retriable=False) from exc  # fmt: skip
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # the URL may be a secret
        raise DeliveryFailed("BAD_REQUEST", "not a usable http(s) URL", retriable=False) from exc
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(
            "TIMEOUT", "the endpoint did not answer in time", retriable=True
        ) from exc
    except httpx.HTTPError as exc:
        raise DeliveryFailed(
            "SDK_CLIENT_ERROR", f"cannot reach the endpoint: {type(exc).__name__}", retriable=True
        ) from exc
    status, text = response.status_code, response.text[:BODY_CHARS]
    excerpt = Reply.http(status, text)
    if status == 429:
        raise DeliveryFailed("THROTTLING", excerpt, retriable=True, status=status, body=text)
    if status >= 500:
        raise DeliveryFailed("TARGET_ERROR", excerpt, retriable=True, status=status, body=text)
    if status >= 400:
        code = "NO_PERMISSIONS" if status in (401, 403) else "BAD_REQUEST"
        raise DeliveryFailed(code, excerpt, retriable=False, status=status, body=text)
    return excerpt


def webhook(settings: dict[str, Any], payload: Any, key: str, guard: NetworkGuard) -> str:
    """HTTP POST of the payload as JSON; `secret` signs it (HMAC-SHA256 of the body, header
    `X-Vigil-Signature: sha256=<hex>`); `headers` are added; the idempotency key rides along."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        **{str(k): plain(v) for k, v in (settings.get("headers") or {}).items()},
    }
    if settings.get("secret"):
        digest = hmac.new(secret(settings["secret"], "secret").encode(), body, hashlib.sha256)
        headers["X-Vigil-Signature"] = "sha256=" + digest.hexdigest()
    return _post(plain(settings.get("url")), body, headers, guard)


def slack(settings: dict[str, Any], payload: Any, key: str, guard: NetworkGuard) -> str:
    """A Slack incoming webhook: a readable line (severity, title, resource, link)."""
    detail = payload.get("detail", payload) if isinstance(payload, dict) else {}
    severity = detail.get("severity", "")
    title = (
        detail.get("title")
        or detail.get("type")
        or (payload.get("detail-type") if isinstance(payload, dict) else "")
        or "event"
    )
    resource = (
        json.dumps(detail.get("resource", {}).get("resourceType", ""))
        if isinstance(detail.get("resource"), dict)
        else ""
    )
    link = settings.get("link", "")
    text = (
        f"*[{severity}]* {title}"
        + (f" · {resource}" if resource else "")
        + (f" · <{link}|open>" if link else "")
    )
    body = json.dumps({"text": text}).encode()
    url = secret(settings.get("url"), "url")
    return _post(url, body, {"Content-Type": "application/json"}, guard)


def pagerduty(settings: dict[str, Any], payload: Any, key: str, guard: NetworkGuard) -> str:
    """PagerDuty Events API v2: trigger (or resolve, with `action: resolve`) with a dedup key."""
    detail = payload.get("detail", {}) if isinstance(payload, dict) else {}
    action = settings.get("action", "trigger")
    severity = float(detail.get("severity", 5) or 5)
    level = (
        "critical"
        if severity >= 9
        else "error"
        if severity >= 7
        else "warning"
        if severity >= 4
        else "info"
    )
    body = {
        "routing_key": secret(settings.get("routing_key"), "routing_key"),
        "event_action": action,
        "dedup_key": str(detail.get("id") or key),
    }
    if action == "trigger":
        body["payload"] = {
            "summary": str(detail.get("title") or payload.get("detail-type", "event"))[:1024],
            "source": str(payload.get("source", "vigil")),
            "severity": level,
            "custom_details": detail,
        }
    url = plain(settings.get("url", "https://events.pagerduty.com/v2/enqueue"))
    return _post(url, json.dumps(body).encode(), {"Content-Type": "application/json"}, guard)


def email(settings: dict[str, Any], payload: Any, key: str, guard: NetworkGuard) -> str:
    """SMTP, with STARTTLS (the server's certificate verified against the system's CAs, or
    `ca_file` for a private CA) and login when configured."""
    message = EmailMessage()
    message["From"] = str(settings["from"])
    message["To"] = (
        ", ".join(settings["to"]) if isinstance(settings["to"], list) else str(settings["to"])
    )
    detail = payload.get("detail", {}) if isinstance(payload, dict) else {}
    message["Subject"] = str(settings.get("subject") or detail.get("title") or "Vigil event")
    message["Message-ID"] = f"<{key}@vigil>"
    message.set_content(payload if isinstance(payload, str) else json.dumps(payload, indent=2))
    try:
        with guard.smtp(
            str(settings.get("host", "localhost")), int(settings.get("port", 25)), TIMEOUT
        ) as smtp:
            if settings.get("starttls"):
                ca_file = settings.get("ca_file")
                smtp.starttls(context=ssl.create_default_context(cafile=ca_file))
            if settings.get("username"):
                smtp.login(str(settings["username"]), secret(settings.get("password"), "password"))
            smtp.send_message(message)
    except Refused as exc:
        raise DeliveryFailed("NO_PERMISSIONS", str(exc), retriable=False) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryFailed("NO_PERMISSIONS", "SMTP login refused", retriable=False) from exc
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryFailed(
            "NO_PERMISSIONS",
            f"SMTP STARTTLS: the server's certificate did not verify ({exc.verify_message}); "
            "set ca_file for a private CA",
            retriable=False,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(
            "SDK_CLIENT_ERROR", f"SMTP: {type(exc).__name__}", retriable=True
        ) from exc
    return f"sent to {message['To']}"


def command(settings: dict[str, Any], payload: Any, key: str, allowed: frozenset[str]) -> str:
    """A program from the allow-list (`<home>/commands.allow`, one per line, or vigil.yaml's
    `targets.command.allow`), the payload as JSON on stdin; a timeout and a non-zero exit are
    failures."""
    try:
        argv = (
            settings["command"]
            if isinstance(settings["command"], list)
            else shlex.split(str(settings["command"]))
        )
    except ValueError as exc:
        raise DeliveryFailed("BAD_REQUEST", f"command: {exc}", retriable=False) from exc
    if not argv or argv[0] not in allowed:
        raise DeliveryFailed(
            "NO_PERMISSIONS",
            f"command {argv[0] if argv else ''!r} is not on the allow-list",
            retriable=False,
        )
    try:
        done = subprocess.run(
            argv,
            input=json.dumps(payload).encode(),
            capture_output=True,
            timeout=float(settings.get("timeout", 30)),
            check=False,
            env={**os.environ, "VIGIL_IDEMPOTENCY_KEY": key},
        )
    except subprocess.TimeoutExpired as exc:
        raise DeliveryFailed("TIMEOUT", "the command timed out", retriable=True) from exc
    except OSError as exc:
        raise DeliveryFailed(
            "NO_RESOURCE", f"cannot run {argv[0]}: {exc.strerror}", retriable=False
        ) from exc
    excerpt = done.stdout.decode(errors="replace")[:200]
    if done.returncode != 0:
        raise DeliveryFailed(
            "TARGET_ERROR",
            f"exit {done.returncode}: {done.stderr.decode(errors='replace')[:200]}",
            retriable=True,
        )
    return excerpt


def python(settings: dict[str, Any], payload: Any, key: str, context: dict[str, Any],
           allowed: frozenset[str]) -> str:  # fmt: skip
    """A Lambda-style handler `module:function(event, context)`, only one the operator listed
    in vigil.yaml (`targets.python.allow`): nothing else is imported or called."""
    if str(settings.get("handler")) not in allowed:
        raise DeliveryFailed(
            "NO_PERMISSIONS",
            f"handler {settings.get('handler')!r} is not on vigil.yaml's targets.python.allow",
            retriable=False,
        )
    module_name, _, function_name = str(settings["handler"]).partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as exc:
        raise DeliveryFailed(
            "NO_RESOURCE", f"no handler {settings['handler']}", retriable=False
        ) from exc
    try:
        result = function(payload, {**context, "idempotency_key": key})
    except Exception as exc:  # the handler's own failure: retried, as Lambda errors are
        raise DeliveryFailed(
            "TARGET_ERROR", f"{type(exc).__name__}: {str(exc)[:200]}", retriable=True
        ) from exc
    return json.dumps(result, default=str)[:200]
