"""AWS Signature Version 4, checked on the server as AWS checks it.

The caller's signature is recomputed from the request as received: the canonical request
(method, the path encoded once more as every service but S3 does, the sorted and re-encoded
query, the signed headers trimmed, the payload hash), the string to sign over the credential
scope, and the key derived from the secret. Both forms are taken: the `Authorization` header
and a presigned query string (`X-Amz-Signature`). A request more than 15 minutes from the
server's clock, or a presigned one past its `X-Amz-Expires`, is refused; signatures are
compared in constant time; an unknown key is an error of its own (never accepted).
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote, unquote

from vigil.access import AuthError

ALGORITHM: Final = "AWS4-HMAC-SHA256"
UNSIGNED: Final = "UNSIGNED-PAYLOAD"
SKEW: Final = timedelta(minutes=15)
MAX_EXPIRES: Final = 7 * 86_400
_AUTH: Final = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)
_HEX64: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Request:
    """What the signature covers, as the server received it."""

    method: str
    raw_path: str  # percent-encoded, as on the request line
    query: list[tuple[str, str]]  # decoded pairs, in order
    headers: dict[str, list[str]]  # lower-cased names
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Signed:
    """A checked signature: the key that made it and its scope."""

    access_key_id: str
    date: str
    region: str
    service: str


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def canonical_path(raw_path: str) -> str:
    path = raw_path or "/"
    normal = posixpath.normpath(path) if path not in ("", "/") else "/"
    if path.endswith("/") and normal != "/":
        normal += "/"
    return quote(normal.replace("//", "/"), safe="/~")


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_request(req: Request, signed: list[str], payload_hash: str,
                      query: list[tuple[str, str]]) -> str:  # fmt: skip
    lines = [req.method.upper(), canonical_path(req.raw_path), canonical_query(query)]
    for name in signed:
        values = req.headers.get(name)
        if values is None:
            raise AuthError("bad_signature",
                            f"the signed header {name!r} is not in the request")  # fmt: skip
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    lines += ["", ";".join(signed), payload_hash]
    return "\n".join(lines)


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def is_signed(req: Request) -> bool:
    auth = req.header("authorization") or ""
    return auth.startswith("AWS4-") or any(k == "X-Amz-Signature" for k, _ in req.query)


def verify(req: Request, secret_of: Callable[[str], str | None],
           now: datetime | None = None) -> Signed:  # fmt: skip
    """The signature checked; AuthError says why not (kind: missing, unknown_key,
    bad_signature, expired)."""
    now = now or datetime.now(UTC)
    query = dict(req.query)
    presigned = "X-Amz-Signature" in query
    if presigned:
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise AuthError("bad_signature", "X-Amz-Algorithm must be AWS4-HMAC-SHA256")
        cred, signed_text = query.get("X-Amz-Credential", ""), query.get("X-Amz-SignedHeaders", "")
        signature, amz_date = query["X-Amz-Signature"], query.get("X-Amz-Date", "")
        covered = [(k, v) for k, v in req.query if k != "X-Amz-Signature"]
    else:
        auth = req.header("authorization")
        if not auth:
            raise AuthError("missing", "the request is not signed (no Authorization header)",
                            hint="sign requests with SigV4: an access key from vigil keys "
                            "create")  # fmt: skip
        m = _AUTH.match(auth)
        if m is None:
            raise AuthError(
                "bad_signature",
                "the Authorization header is not a SigV4 one "
                "(AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…)",
            )
        cred, signed_text, signature = m["cred"], m["signed"], m["sig"]
        amz_date = req.header("x-amz-date") or ""
        covered = req.query
    parts = cred.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError("bad_signature", f"the credential {cred!r} is not "
                        "KEY/YYYYMMDD/region/service/aws4_request")  # fmt: skip
    key_id, date, region, service, _ = parts
    when = _parse_date(amz_date)
    if date != amz_date[:8]:
        raise AuthError("bad_signature", f"the credential's date {date} is not the request's "
                        f"{amz_date[:8]}")  # fmt: skip
    _check_time(when, now, query.get("X-Amz-Expires") if presigned else None)
    secret = secret_of(key_id)
    if secret is None:
        raise AuthError("unknown_key", "The security token included in the request is invalid.",
                        hint="vigil keys list shows the keys this server knows")  # fmt: skip
    signed = signed_text.split(";")
    body_hash = hashlib.sha256(req.body).hexdigest()
    claimed = req.header("x-amz-content-sha256")
    if claimed and _HEX64.fullmatch(claimed) and claimed != body_hash:
        raise AuthError("bad_signature", "X-Amz-Content-Sha256 is not the body's SHA-256")
    candidates = [claimed] if claimed else [body_hash, UNSIGNED] if presigned else [body_hash]
    key = signing_key(secret, date, region, service)
    scope = f"{date}/{region}/{service}/aws4_request"
    for payload_hash in candidates:
        text = string_to_sign(amz_date, scope, canonical_request(req, signed, payload_hash,
                                                                  covered))  # fmt: skip
        mine = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(mine, signature.lower()):
            return Signed(key_id, date, region, service)
    raise AuthError("bad_signature", "The request signature we calculated does not match the "
                    "signature you provided. Check your AWS Secret Access Key and signing "
                    "method.")  # fmt: skip


def _parse_date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AuthError("bad_signature", f"X-Amz-Date {text!r} is not YYYYMMDDTHHMMSSZ",
                        hint="send X-Amz-Date (or sign with an AWS SDK)") from None  # fmt: skip


def _check_time(when: datetime, now: datetime, expires: str | None) -> None:
    stamp = "%Y%m%dT%H%M%SZ"
    if expires is not None:
        try:
            seconds = int(expires)
        except ValueError:
            raise AuthError("bad_signature", "X-Amz-Expires must be a number") from None
        if not 1 <= seconds <= MAX_EXPIRES:
            raise AuthError("bad_signature", f"X-Amz-Expires must be 1 to {MAX_EXPIRES}")
        if when - SKEW > now:
            raise AuthError("expired", f"Signature not yet current: {when.strftime(stamp)} "
                            f"is still later than {(now + SKEW).strftime(stamp)}")  # fmt: skip
        if now > when + timedelta(seconds=seconds):
            raise AuthError("expired", "Request has expired")
        return
    if abs(now - when) > SKEW:
        earlier = "earlier" if when < now else "later"
        bound = now - SKEW if when < now else now + SKEW
        sign = "-" if when < now else "+"
        raise AuthError(
            "expired",
            f"Signature expired: {when.strftime(stamp)} is now {earlier} "
            f"than {bound.strftime(stamp)} ({now.strftime(stamp)} {sign} 15 min.)",
        )


def pairs_of(query_string: str) -> list[tuple[str, str]]:
    """A raw query string's pairs, decoded (`+` stays `+`, as SigV4 sees it)."""
    out = []
    for part in query_string.split("&"):
        if part:
            k, _, v = part.partition("=")
            out.append((unquote(k), unquote(v)))
    return out
