"""One port for every AWS service: a request is routed by `X-Amz-Target`, then the Smithy RPC
v2 path, then the query protocol's `Action`, then Security Hub's REST paths, as AWS clients
send them; it is authenticated (SigV4), checked against the caller's role, handled on a worker
thread, and answered (or refused) in its protocol's own shape."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import Settings, access
from vigil.api.access import AuthError, Gate, Need, Principal, Role, SignedRequest, pairs_of
from vigil.api.inputs import InputError, inflate_gzip
from vigil.errors import BusyError, VigilError
from vigil.shells.http.aws import AwsApiError, Caller, cloudwatch, events, securityhub, validate
from vigil.shells.http.aws import logs as logs_ops
from vigil.shells.http.aws.protocol import (
    CBOR_SERVICES,
    QUERY_VERSIONS,
    TARGETS,
    Call,
    conform,
    decode_cbor,
    decode_json,
    decode_query,
    encode_cbor,
    encode_json,
    encode_query,
    error_body,
    parse_form,
)  # fmt: skip
from vigil.shells.http.limits import DEFAULT, INFLATED_KEY

log = logging.getLogger("vigil.serve")
_CBOR_PATH: Final = re.compile(r"/service/([^/]+)/operation/([^/]+)")
CONTENT_TYPES: Final = {
    "logs": "application/x-amz-json-1.1", "events": "application/x-amz-json-1.1",
    "cloudwatch": "application/x-amz-json-1.0",
}  # fmt: skip

# Auth errors per protocol family: (code, HTTP status).
_AUTH_JSON: Final = {
    "missing": ("MissingAuthenticationTokenException", 403),
    "unknown_key": ("UnrecognizedClientException", 400),
    "bad_token": ("UnrecognizedClientException", 400),
    "bad_signature": ("InvalidSignatureException", 400),
    "expired": ("InvalidSignatureException", 400),
    "forbidden": ("AccessDeniedException", 400),
}
_AUTH_QUERY: Final = {
    "missing": ("MissingAuthenticationToken", 403), "unknown_key": ("InvalidClientTokenId", 403),
    "bad_token": ("InvalidClientTokenId", 403), "bad_signature": ("SignatureDoesNotMatch", 403),
    "expired": ("RequestExpired", 400), "forbidden": ("AccessDenied", 403),
}  # fmt: skip

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
Observe = Callable[[str, str, int, float], None]


class AwsEndpoints:
    def __init__(self, settings: Settings, gate: Gate, *, auth: bool = True,
                 account: str = "000000000000", region: str = "us-east-1",
                 observe: Observe | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.gate = gate
        self.auth = auth
        self.account = account
        self.region = region
        self.observe = observe
        self.services: dict[str, dict[str, tuple[Need, Handler]]] = {
            "logs": logs_ops.operations(logs_ops.Queries()),
            "events": events.operations(),
            "cloudwatch": cloudwatch.operations(),
            "securityhub": securityhub.operations(),
        }

    def identify(self, request: Request, body: bytes) -> Call | None:
        body = _inflate(request, body)
        hub = securityhub.operation_of(request)
        if hub is not None:
            return Call("securityhub", "securityhub", hub, "rest-json", decode_json(body))
        target = request.headers.get("x-amz-target")
        if target:
            prefix, _, op = target.partition(".")
            if prefix in TARGETS:
                service, signing = TARGETS[prefix]
                return Call(service, signing, op, "json", decode_json(body))
            raise AwsApiError("UnknownOperationException", f"X-Amz-Target {target!r} is not served")
        m = _CBOR_PATH.fullmatch(request.url.path)
        if m and request.method == "POST":
            if m[1] not in CBOR_SERVICES:
                raise AwsApiError("UnknownOperationException", f"service {m[1]!r} is not served")
            service, signing = CBOR_SERVICES[m[1]]
            return Call(service, signing, m[2], "cbor", decode_cbor(body))
        ctype = request.headers.get("content-type", "")
        form = parse_form(body) if ctype.startswith("application/x-www-form-urlencoded") else []
        form += [kv for kv in pairs_of(request.url.query) if not kv[0].startswith("X-Amz-")]
        fields = dict(form)
        if "Action" in fields:
            version = fields.get("Version", "2010-08-01")
            if version not in QUERY_VERSIONS:
                raise AwsApiError("InvalidAction", f"API version {version} is not served")
            service, signing = QUERY_VERSIONS[version]
            call = Call(service, signing, fields["Action"], "query")
            call.params = decode_query(call, form)
            return call
        return None

    async def __call__(self, request: Request) -> Response:
        began = time.perf_counter()
        body = await request.body()
        call: Call | None = None
        protocol = "json"
        try:
            call = self.identify(request, body)
            if call is None:
                raise AwsApiError("UnknownOperationException", "not an AWS API request (no "
                               "X-Amz-Target, Action or RPC v2 path)")  # fmt: skip
            protocol = call.protocol
            ops = self.services.get(call.service, {})
            if call.operation not in ops:
                raise AwsApiError("UnknownOperationException",
                               f"{call.operation} is not an operation Vigil serves for "
                               f"{call.service}", status=400)  # fmt: skip
            needed, handler = ops[call.operation]
            principal, region = await run_in_threadpool(self._authenticate, request, body, call)
            if not access.permits(principal.role, needed):
                raise AuthError(
                    "forbidden",
                    f"User {principal.user} ({principal.role}) is not "
                    f"authorized to perform {call.signing_name}:{call.operation}",
                )
            validate.check(call)
            caller = Caller(principal.user, str(principal.role), _peer(request), self.account,
                            region, principal)  # fmt: skip
            result = await run_in_threadpool(self._run, handler, caller, call, needed)
            response = self._reply(call, result)
        except AuthError as exc:
            table = _AUTH_QUERY if protocol == "query" else _AUTH_JSON
            code, status = table.get(exc.kind, ("AccessDeniedException", 403))
            response = self._error(call, protocol, AwsApiError(code, exc.message, status=status))
        except VigilError as exc:  # AwsApiError (the stages' and this shell's own) included
            response = self._error(call, protocol, _aws_error(exc, call))
        except Exception:
            rid = call.request_id if call else "-"
            log.exception("request %s (%s) failed", rid, call.operation if call else "?")
            response = self._error(call, protocol, AwsApiError(
                "InternalFailure", f"the server could not complete the request; its log has the "
                f"details under request id {rid}", status=500, sender=False))  # fmt: skip
        if self.observe is not None:
            op = call.operation if call else "unknown"
            service = call.signing_name if call else "aws"
            self.observe(service, op, response.status_code, time.perf_counter() - began)
        return response

    def _authenticate(self, request: Request, body: bytes, call: Call) -> tuple[Principal, str]:
        headers: dict[str, list[str]] = {}
        for k, v in request.headers.raw:
            headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
        bearer = request.headers.get("authorization", "")
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        signed = SignedRequest(request.method, raw_path.split("?", 1)[0],
                               pairs_of(request.url.query), headers, body)  # fmt: skip
        if access.is_signed(signed):
            principal, scope = self.gate.sigv4(signed)
            if scope.service != call.signing_name:
                raise AuthError("bad_signature", f"Credential should be scoped to correct "
                                f"service: '{call.signing_name}'.")  # fmt: skip
            return principal, scope.region
        if bearer.startswith("Bearer "):
            return self.gate.token(bearer[7:].strip()), self.region
        if not self.auth:
            return Principal("anonymous", Role.ADMIN, "anonymous"), self.region
        raise AuthError("missing", "Missing Authentication Token")

    def _run(self, handler: Handler, caller: Caller, call: Call, needed: Need) -> dict[str, Any]:
        result = handler(self.settings, caller, call.params)
        if needed is not Need.READ:
            detail = {k: v for k, v in call.params.items() if k not in _BULKY}
            access.audit(self.settings, caller.principal, f"{call.signing_name}:"
                             f"{call.operation}", target=_target(call.params),
                             source=caller.source, detail=detail)  # fmt: skip
        return result

    def _reply(self, call: Call, result: dict[str, Any]) -> Response:
        headers = {"x-amzn-RequestId": call.request_id}
        result = conform(call, result)
        if call.protocol == "query":
            return Response(encode_query(call, result), 200, headers, media_type="text/xml")
        if call.protocol == "cbor":
            headers["smithy-protocol"] = "rpc-v2-cbor"
            return Response(encode_cbor(result), 200, headers, media_type="application/cbor")
        media = CONTENT_TYPES.get(call.service, "application/json")
        return Response(encode_json(result), 200, headers, media_type=media)

    def _error(self, call: Call | None, protocol: str, err: AwsApiError) -> Response:
        body, headers = error_body(call, protocol, err)
        media = headers.pop("Content-Type")
        return Response(body, err.status, headers, media_type=media)


_BULKY: Final = frozenset({"logEvents", "MetricData", "Entries", "Findings", "queryString"})


def _target(params: dict[str, Any]) -> str:
    for key in ("logGroupName", "Name", "AlarmName", "DashboardName", "Rule", "filterName"):
        if params.get(key):
            return str(params[key])
    return ""


def _peer(request: Request) -> str:
    return request.client.host if request.client else ""


def _aws_error(exc: VigilError, call: Call | None) -> AwsApiError:
    """An error as AWS words it: a coded one (an AwsApiError, or a stage's error with a `code`)
    keeps its code, status and fault, its message without a leading code and its hint after
    it; the others become the service's validation error."""
    code = getattr(exc, "code", None)
    message = exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
    if isinstance(exc, BusyError):  # the code SDKs retry with backoff
        return AwsApiError("Throttling" if call and call.service == "cloudwatch"
                        else "ThrottlingException", message)  # fmt: skip
    if isinstance(exc, AwsApiError):
        message = message.removeprefix(f"{code}: ")
        return AwsApiError(exc.code, message, status=exc.status, sender=exc.sender)
    if isinstance(code, str):
        return AwsApiError(code, message.removeprefix(f"{code}: "))
    if call is not None and call.service == "cloudwatch":
        return AwsApiError("InvalidParameterValue", message)
    return AwsApiError("InvalidParameterException" if call and call.service == "logs"
                    else "ValidationException", message)  # fmt: skip


def _inflate(request: Request, body: bytes) -> bytes:
    """A gzip body (PutMetricData's request compression) as its plain bytes, inflated by the
    body limits within their cap; the signature is checked over the body as sent."""
    inflated = request.scope.get(INFLATED_KEY)
    if isinstance(inflated, bytes):
        return inflated
    if "gzip" not in request.headers.get("content-encoding", "").lower():
        return body
    try:
        return inflate_gzip(body, DEFAULT.inflated, "the request body")
    except InputError as exc:
        raise AwsApiError("SerializationException", exc.message) from None
