"""Every request's body is bounded before any route reads it: a size cap per operation (AWS's
documented request sizes, the native API's and the push endpoints' own), checked against
Content-Length and again while the body streams in (nothing is buffered past the cap); a
gzip body inflated only up to its own cap; and JSON nested no deeper than `JSON_DEPTH`,
counted before anything parses it. A refusal is answered in the caller's protocol."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_plus

from vigil.api.inputs import JSON_DEPTH, InputError, TooLarge, inflate_gzip, json_depth
from vigil.errors import VigilError
from vigil.shells.http.aws import AwsApiError
from vigil.shells.http.aws.protocol import CBOR_SERVICES, TARGETS, Call, encode_json, error_body

log = logging.getLogger("vigil.serve")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KiB: Final = 1 << 10
MiB: Final = 1 << 20
INFLATED_KEY: Final = "vigil.inflated"  # the scope key routes read an inflated body from


@dataclass(frozen=True)
class Cap:
    body: int  # bytes as sent
    inflated: int  # bytes once a gzip Content-Encoding is undone


# By operation, from AWS's documented request sizes. The JSON around the events counts in the
# body but not in AWS's own measure, which the handlers check exactly: PutLogEvents 1,048,576
# bytes (each message's UTF-8 bytes + 26), PutEvents 256 KB of entries, BatchImportFindings
# 6 MB (100 findings of at most 240 KB), PutMetricData 1 MB (gzip allowed).
OPERATIONS: Final = {
    "PutLogEvents": Cap(2 * MiB, 4 * MiB),
    "PutEvents": Cap(512 * KiB, 1 * MiB),
    "PutMetricData": Cap(1 * MiB, 4 * MiB),
    "PutDashboard": Cap(2 * MiB, 4 * MiB),
    "BatchImportFindings": Cap(6 * MiB, 12 * MiB),
}
DEFAULT: Final = Cap(1 * MiB, 2 * MiB)  # every other AWS operation, the native API, the console
PATHS: Final = {
    "/ingest/eventbridge": Cap(512 * KiB, 1 * MiB),  # an API destination's one event (256 KB)
    "/ingest/firehose": Cap(96 * MiB, 96 * MiB),  # a 64 MiB buffer, base64 in JSON
    "/findings/import": OPERATIONS["BatchImportFindings"],
}
ENCODINGS: Final = ("", "identity", "gzip", "x-gzip")


class Refusal(VigilError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def cap_for(path: str, headers: dict[str, str]) -> Cap:
    target = headers.get("x-amz-target", "")
    if target:
        return OPERATIONS.get(target.partition(".")[2], DEFAULT)
    if path.startswith("/service/") and "/operation/" in path:
        return OPERATIONS.get(path.rsplit("/", 1)[-1], DEFAULT)
    return PATHS.get(path, DEFAULT)


class BodyLimits:
    """ASGI middleware: the body of every request, bounded, read once and handed on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body: nothing to bound
            return
        cap = cap_for(scope["path"], headers)
        try:
            body = await _read(receive, headers, cap)
            scope[INFLATED_KEY] = _inflated(body, headers, cap)
            _check_depth(scope[INFLATED_KEY], headers)
        except Refusal as refused:
            log.warning("refused %s %s: %s", scope["method"], scope["path"], refused.message)
            await _answer(scope, headers, refused, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive, headers: dict[str, str], cap: Cap) -> bytes:
    declared = headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > cap.body):
        raise _too_large(cap.body, declared)
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refusal(400, "IncompleteBody", "the client went away before its body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap.body:
            raise _too_large(cap.body, f"more than {cap.body}")
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _too_large(cap: int, size: str) -> Refusal:
    message = f"the request body is {size} bytes; this operation takes at most {cap}"
    return Refusal(413, "RequestEntityTooLarge", message)


def _inflated(body: bytes, headers: dict[str, str], cap: Cap) -> bytes:
    encoding = headers.get("content-encoding", "").lower().strip()
    if encoding in ("", "identity"):
        return body
    if encoding not in ENCODINGS:
        raise Refusal(415, "UnsupportedMediaType",
                      f"Content-Encoding {encoding!r} is not taken; send gzip or none")  # fmt: skip
    try:
        return inflate_gzip(body, cap.inflated, "the request body")
    except TooLarge as exc:
        raise Refusal(413, "RequestEntityTooLarge", exc.message) from None
    except InputError as exc:
        raise Refusal(400, "SerializationException", exc.message) from None


def _check_depth(body: bytes, headers: dict[str, str]) -> None:
    ctype = headers.get("content-type", "")
    text: bytes | str = body
    if ctype.startswith("application/x-www-form-urlencoded"):
        text = unquote_plus(body.decode("latin-1"))  # JSON given in a form field
    elif body.lstrip()[:1] not in (b"{", b"["):
        return
    if json_depth(text, JSON_DEPTH) > JSON_DEPTH:
        raise Refusal(400, "SerializationException",
                      f"the body nests more than {JSON_DEPTH} levels deep")  # fmt: skip


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then the client's own messages (a disconnect is still seen)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _answer(scope: Scope, headers: dict[str, str], refused: Refusal, send: Send) -> None:
    body, reply = _shaped(scope["path"], headers, refused)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.items()]
    raw += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": refused.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _shaped(path: str, headers: dict[str, str], refused: Refusal) -> tuple[bytes, dict[str, str]]:
    """The refusal in the shape the caller reads: AWS's per protocol, the native API's
    `{"detail": {code, message, hint}}`, Firehose's `errorMessage`, or plain text."""
    err = AwsApiError(refused.code, refused.message, status=refused.status)
    target = headers.get("x-amz-target", "")
    if target and target.partition(".")[0] in TARGETS:
        service, signing = TARGETS[target.partition(".")[0]]
        call = Call(service, signing, target.partition(".")[2], "json")
        if err.code == "RequestEntityTooLarge" and service != "cloudwatch":
            err.code = "RequestEntityTooLargeException"
        return _aws(call, err)
    if path.startswith("/service/"):
        name = path.split("/")[2]
        if name in CBOR_SERVICES:
            return _aws(Call(*CBOR_SERVICES[name], path.rsplit("/", 1)[-1], "cbor"), err)
    if path.startswith("/findings"):
        return _aws(Call("securityhub", "securityhub", "", "rest-json"), err)
    if path.startswith("/api/"):
        doc = {"detail": {"code": refused.code, "message": refused.message, "hint": None}}
        return encode_json(doc), {"Content-Type": "application/json"}
    if path == "/ingest/firehose":
        doc2 = {"requestId": headers.get("x-amz-firehose-request-id", ""),
                "errorMessage": refused.message}  # fmt: skip
        return encode_json(doc2), {"Content-Type": "application/json"}
    if path.startswith("/ingest/"):
        doc3 = {"code": refused.code, "message": refused.message}
        return encode_json(doc3), {"Content-Type": "application/json"}
    if path == "/" and headers.get("content-type", "").startswith("application/x-www-form"):
        return _aws(Call("cloudwatch", "monitoring", "", "query"), err)  # the query protocol
    return f"{refused.message}\n".encode(), {"Content-Type": "text/plain; charset=utf-8"}


def _aws(call: Call, err: AwsApiError) -> tuple[bytes, dict[str, str]]:
    return error_body(call, call.protocol, err)
