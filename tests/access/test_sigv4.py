"""SigV4 as the server checks it, against requests signed by botocore's own signer (header and
presigned): a good signature passes; a wrong secret, a changed body, header or path, an unknown
key, a request outside ±15 minutes and an expired presigned URL are refused with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from vigil.access import AuthError
from vigil.access.sigv4 import Request, pairs_of, verify

KEY, SECRET = "AKIAVIGILTESTKEY0001", "abcdEFGH1234ijklMNOP5678qrstUVWX90yzABCD"


def _received(req: AWSRequest) -> Request:
    """The request as a server sees it: the path as sent, decoded query pairs, lower-cased
    headers (botocore adds Host when it sends; the signature already covered it)."""
    parts = urlsplit(req.url)
    headers: dict[str, list[str]] = {"host": [parts.netloc]}
    for k, v in req.headers.items():
        headers.setdefault(k.lower(), []).append(v if isinstance(v, str) else v.decode())
    body = req.body if isinstance(req.body, bytes) else (req.body or "").encode()
    return Request(req.method, parts.path or "/", pairs_of(parts.query), headers, body)


def _signed(body: bytes = b'{"logGroupName":"app"}', *, secret: str = SECRET,
            path: str = "/", service: str = "logs") -> AWSRequest:  # fmt: skip
    req = AWSRequest("POST", f"http://127.0.0.1:8700{path}", data=body,
                     headers={"X-Amz-Target": "Logs_20140328.CreateLogGroup",
                              "Content-Type": "application/x-amz-json-1.1"})  # fmt: skip
    SigV4Auth(Credentials(KEY, secret), service, "eu-west-1").add_auth(req)
    return req


def _secrets(key_id: str) -> str | None:
    return SECRET if key_id == KEY else None


def test_a_request_signed_by_botocore_passes_with_its_scope() -> None:
    signed = verify(_received(_signed()), _secrets)
    assert (signed.access_key_id, signed.region, signed.service) == (KEY, "eu-west-1", "logs")


def test_paths_are_encoded_twice_as_botocore_does() -> None:
    path = "/service/GraniteServiceVersion20100801/operation/Put%20Metric"
    assert verify(_received(_signed(path=path)), _secrets).service == "logs"


@pytest.mark.parametrize("change", ["secret", "body", "header", "path"])
def test_a_changed_request_is_a_bad_signature(change: str) -> None:
    req = _signed(secret="w" * 40) if change == "secret" else _signed()
    got = _received(req)
    if change == "body":
        got = Request(got.method, got.raw_path, got.query, got.headers, b'{"logGroupName":"x"}')
    elif change == "header":
        got.headers["x-amz-target"] = ["Logs_20140328.DeleteLogGroup"]
    elif change == "path":
        got = Request(got.method, "/other", got.query, got.headers, got.body)
    with pytest.raises(AuthError) as caught:
        verify(got, _secrets)
    assert caught.value.kind == "bad_signature"


def test_an_unknown_key_is_its_own_error() -> None:
    with pytest.raises(AuthError) as caught:
        verify(_received(_signed()), lambda key_id: None)
    assert caught.value.kind == "unknown_key"
    assert "security token included in the request is invalid" in caught.value.message


@pytest.mark.parametrize(("minutes", "ok"), [(14, True), (-14, True), (16, False), (-16, False)])
def test_fifteen_minutes_of_skew_either_way(minutes: int, ok: bool) -> None:
    got = _received(_signed())
    now = datetime.now(UTC) + timedelta(minutes=minutes)
    if ok:
        assert verify(got, _secrets, now).access_key_id == KEY
        return
    with pytest.raises(AuthError) as caught:
        verify(got, _secrets, now)
    assert caught.value.kind == "expired"
    assert caught.value.message.startswith("Signature expired:")


def test_no_signature_at_all_is_missing() -> None:
    got = Request("POST", "/", [], {"host": ["127.0.0.1:8700"]}, b"{}")
    with pytest.raises(AuthError) as caught:
        verify(got, _secrets)
    assert caught.value.kind == "missing"


def test_presigned_urls_pass_until_they_expire() -> None:
    req = AWSRequest("GET", "http://127.0.0.1:8700/?Action=ListMetrics&Version=2010-08-01")
    SigV4QueryAuth(Credentials(KEY, SECRET), "monitoring", "us-east-1", expires=60).add_auth(req)
    got = _received(req)
    assert verify(got, _secrets).service == "monitoring"
    with pytest.raises(AuthError) as caught:
        verify(got, _secrets, datetime.now(UTC) + timedelta(seconds=120))
    assert (caught.value.kind, caught.value.message) == ("expired", "Request has expired")


def test_unsigned_payload_is_taken_when_the_client_says_so() -> None:
    req = AWSRequest("POST", "http://127.0.0.1:8700/", data=b"{}",
                     headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})  # fmt: skip
    SigV4Auth(Credentials(KEY, SECRET), "logs", "us-east-1").add_auth(req)
    got = _received(req)
    assert got.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD"
    assert verify(got, _secrets).access_key_id == KEY
