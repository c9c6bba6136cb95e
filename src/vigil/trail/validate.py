"""`vigil trail validate`: CloudTrail log-file integrity, as `aws cloudtrail validate-logs`.

Digests are taken newest first. Each must sit where it says it was written (else it was moved),
carry a signature that verifies (RSA PKCS#1 v1.5, SHA-256) with the public key its fingerprint
names, and — for all but the newest — hash to what its successor recorded. The newest digest's
signature comes from S3 object metadata (`x-amz-meta-signature`) or, for local copies, a
`<digest>.sig` file; older ones take theirs from their successor (`previousDigestSignature`).
Every log file a digest lists must exist and hash (SHA-256 of the uncompressed content) to its
`hashValue`. A starting digest (no previous) ends a chain legitimately; a pointer to a missing
digest, or a digest no successor points to while the successor does point elsewhere, is a break.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from isal import igzip

from vigil import clock
from vigil.errors import SourceError
from vigil.inputs import expect_mapping, load_json
from vigil.trail.sign import SIDECAR

_STAMP: Final = re.compile(r"_(\d{8}T\d{6}Z)\.json\.gz$")


@dataclass(frozen=True)
class Verdict:
    kind: str  # digest | log
    uri: str
    valid: bool
    reason: str = ""


@dataclass
class Report:
    start: datetime
    end: datetime
    verdicts: list[Verdict] = field(default_factory=list)
    found_from: str | None = None
    found_to: str | None = None
    bytes_read: int = 0
    unvalidated: list[Verdict] = field(default_factory=list)  # neither valid nor invalid

    def count(self, kind: str) -> tuple[int, int]:
        items = [v for v in self.verdicts if v.kind == kind]
        return sum(1 for v in items if v.valid), len(items)

    @property
    def empty(self) -> bool:
        """No digest file in the range: nothing was validated, which is not a success."""
        return not self.verdicts and not self.unvalidated

    @property
    def ok(self) -> bool:
        return not self.empty and all(v.valid for v in self.verdicts)

    def summary(self) -> list[str]:
        lines = [f"Results requested for {_iso(self.start)} to {_iso(self.end)}"]
        if self.found_from:
            lines.append(f"Results found for {self.found_from} to {self.found_to}:")
        for kind, label in (("digest", "digest files"), ("log", "log files")):
            good, total = self.count(kind)
            text = f"{good}/{total} {label} valid"
            if good < total:
                text += f", {total - good}/{total} {label} INVALID"
            lines.append(text)
        for v in self.unvalidated:
            lines.append(f"not validated: {v.uri} ({v.reason})")
        if self.empty:
            lines.append("no digest files in this range: nothing was validated")
        return lines


def _iso(moment: datetime) -> str:
    return clock.iso(moment)


class Objects:
    """Reads a bucket: a local copy (the folder holding AWSLogs/) or s3://bucket/prefix."""

    def __init__(self, source: str, endpoint_url: str | None = None) -> None:
        self.s3 = source.startswith("s3://")
        if self.s3:
            import boto3

            self.bucket, _, self.prefix = source[5:].partition("/")
            self.client = boto3.client("s3", endpoint_url=endpoint_url)
            self.root = Path()
        else:
            path = Path(source).absolute()
            if not path.exists():
                raise SourceError(
                    f"{source}: no such directory", hint="the folder that holds AWSLogs/"
                )
            candidates = [path, *path.parents]
            self.root = next((p for p in candidates if (p / "AWSLogs").is_dir()), path)
            self.bucket = ""
            self.prefix = path.relative_to(self.root).as_posix() if path != self.root else ""

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}" if self.s3 else str(self.root / key)

    def digests(self) -> list[str]:
        if self.s3:
            keys = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                keys += [
                    o["Key"] for o in page.get("Contents", []) if "/CloudTrail-Digest/" in o["Key"]
                ]
            return [k for k in keys if k.endswith(".json.gz")]
        base = self.root / self.prefix if self.prefix else self.root
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*.json.gz")
            if "CloudTrail-Digest" in p.parts
        )

    def read(self, key: str) -> bytes | None:
        if self.s3:
            try:
                return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
            except self.client.exceptions.NoSuchKey:
                return None
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def signature(self, key: str) -> str | None:
        if self.s3:
            try:
                meta = self.client.head_object(Bucket=self.bucket, Key=key).get("Metadata", {})
            except Exception:
                return None
            found = meta.get("signature")
            return str(found) if found else None
        sidecar = Path(str(self.root / key) + SIDECAR)
        return sidecar.read_text().strip() if sidecar.is_file() else None


def load_keys(
    path: Path | None, region: str | None, endpoint_url: str | None, start: datetime, end: datetime
) -> dict[str, rsa.RSAPublicKey]:
    """Fingerprint → key, from a saved ListPublicKeys response or fetched live."""
    if path is not None:
        doc = expect_mapping(load_json(path), str(path), "a ListPublicKeys response")
    else:
        import boto3

        client = boto3.client(
            "cloudtrail", region_name=region or "us-east-1", endpoint_url=endpoint_url
        )
        doc = client.list_public_keys(StartTime=start, EndTime=end)
    keys = {}
    for item in doc.get("PublicKeyList", []):
        value = item["Value"]
        der = base64.b64decode(value) if isinstance(value, str) else bytes(value)
        key = serialization.load_der_public_key(_spki(der))
        assert isinstance(key, rsa.RSAPublicKey)
        keys[str(item["Fingerprint"])] = key
    return keys


def _spki(pkcs1: bytes) -> bytes:
    """Wrap a PKCS#1 RSAPublicKey in SubjectPublicKeyInfo (rsaEncryption, NULL parameters)."""
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")
    bits = b"\x03" + _length(len(pkcs1) + 1) + b"\x00" + pkcs1
    body = algorithm + bits
    return b"\x30" + _length(len(body)) + body


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def gunzip(data: bytes) -> bytes:
    raw: bytes = igzip.decompress(data)  # type: ignore[no-untyped-call]
    return raw


def _end_of(key: str) -> datetime | None:
    match = _STAMP.search(key)
    return (
        datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if match else None
    )


def validate(
    objects: Objects,
    keys: dict[str, rsa.RSAPublicKey],
    start: datetime,
    end: datetime,
    expected_bucket: str | None = None,
) -> Report:
    report = Report(start, end)
    listed = [(k, _end_of(k)) for k in objects.digests()]
    in_range = sorted(
        ((k, e) for k, e in listed if e is not None and start < e <= end + _HOUR),
        key=lambda item: item[1],
        reverse=True,
    )
    pointed: dict[str, tuple[str, str]] = {}  # digest key → (signature, sha256) its successor holds
    seen: set[str] = set()
    for key, _ in in_range:
        if key in seen:
            continue
        seen.add(key)
        successor = pointed.pop(key, None)
        if successor is None and not objects.s3 and objects.signature(key) is None:
            # a local copy of the newest digest: its signature stayed in S3's metadata. Like
            # the AWS CLI without it, start from the next digest back (its signature is here).
            digest = _read_digest(objects, key, report)
            if digest is not None and _moved(objects, key, digest, expected_bucket):
                report.verdicts.append(Verdict("digest", objects.uri(key), False, MOVED))
            elif digest is not None:
                n = len(digest.get("logFiles") or [])
                why = f"nor its {n} log file(s): {UNSIGNED}"
                report.unvalidated.append(Verdict("digest", objects.uri(key), False, why))
                _follow(digest, pointed)
            continue
        digest = _check_digest(objects, key, successor, keys, expected_bucket, report)
        if digest is None:
            continue
        report.found_to = report.found_to or digest.get("digestEndTime")
        report.found_from = digest.get("digestStartTime")
        _follow(digest, pointed)
        for item in digest.get("logFiles") or []:
            _check_log(objects, item, report)
    # pointers to digests that should be in range but are not there
    for missing in pointed:
        ended = _end_of(missing)
        if ended is not None and ended > start and objects.read(missing) is None:
            report.verdicts.append(Verdict("digest", objects.uri(missing), False, "not found"))
    return report


_HOUR: Final = datetime(2000, 1, 1, 1, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=UTC)
UNSIGNED: Final = (
    "the newest digest's signature is in S3 object metadata only; "
    "save it beside the digest as <digest>.sig to validate it"
)


MOVED: Final = "has been moved from its original location"


def _moved(objects: Objects, key: str, digest: dict[str, Any], expected_bucket: str | None) -> bool:
    bucket = objects.bucket if objects.s3 else expected_bucket
    return digest.get("digestS3Object") != key or bool(
        bucket and digest.get("digestS3Bucket") != bucket
    )


def _follow(digest: dict[str, Any], pointed: dict[str, tuple[str, str]]) -> None:
    """Remember what this digest says of its predecessor (signature, SHA-256)."""
    previous = digest.get("previousDigestS3Object")
    if previous:
        pointed[previous] = (
            str(digest.get("previousDigestSignature")),
            str(digest.get("previousDigestHashValue")),
        )


def _read_digest(objects: Objects, key: str, report: Report) -> dict[str, Any] | None:
    data = objects.read(key)
    if data is None:
        return None
    report.bytes_read += len(data)
    try:
        return dict(json.loads(gunzip(data)))
    except (ValueError, OSError, EOFError, TypeError):
        bad = "not a digest file (not gzip JSON)"
        report.verdicts.append(Verdict("digest", objects.uri(key), False, bad))
        return None


def _check_digest(
    objects: Objects,
    key: str,
    successor: tuple[str, str] | None,
    keys: dict[str, rsa.RSAPublicKey],
    expected_bucket: str | None,
    report: Report,
) -> dict[str, Any] | None:
    uri = objects.uri(key)

    def bad(reason: str) -> None:
        report.verdicts.append(Verdict("digest", uri, False, reason))

    data = objects.read(key)
    if data is None:
        bad("not found")
        return None
    report.bytes_read += len(data)
    try:
        raw = gunzip(data)
        digest: dict[str, Any] = dict(json.loads(raw))
    except (ValueError, OSError, EOFError, TypeError):
        bad("not a digest file (not gzip JSON)")
        return None
    if _moved(objects, key, digest, expected_bucket):
        bad(MOVED)
        return digest
    sha = hashlib.sha256(raw).hexdigest()
    if successor is not None and successor[1] != sha:
        bad("hash value doesn't match the one its successor recorded")
        return digest
    signature = successor[0] if successor is not None else objects.signature(key)
    if not signature:
        bad("no signature (S3 metadata or a .sig file)")
        return digest
    key_obj = keys.get(str(digest.get("digestPublicKeyFingerprint")))
    if key_obj is None:
        bad(f"no public key with fingerprint {digest.get('digestPublicKeyFingerprint')}")
        return digest
    previous = digest.get("previousDigestSignature") or "null"
    where = f"{digest['digestS3Bucket']}/{digest['digestS3Object']}"
    text = f"{digest['digestEndTime']}\n{where}\n{sha}\n{previous}"
    try:
        key_obj.verify(
            binascii.unhexlify(signature), text.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, binascii.Error, ValueError):
        bad("signature verification failed")
        return digest
    report.verdicts.append(Verdict("digest", uri, True))
    return digest


def _check_log(objects: Objects, item: dict[str, Any], report: Report) -> None:
    key = str(item.get("s3Object"))
    uri = objects.uri(key)
    data = objects.read(key)
    if data is None:
        report.verdicts.append(Verdict("log", uri, False, "not found"))
        return
    report.bytes_read += len(data)
    try:
        raw = gunzip(data)
    except (OSError, EOFError, ValueError):
        report.verdicts.append(Verdict("log", uri, False, "not a gzip file"))
        return
    if hashlib.sha256(raw).hexdigest() != item.get("hashValue"):
        report.verdicts.append(Verdict("log", uri, False, "hash value doesn't match"))
        return
    report.verdicts.append(Verdict("log", uri, True))
