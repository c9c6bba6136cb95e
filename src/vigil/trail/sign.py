"""Writing a signed digest chain the way CloudTrail does (spec §2.6), for the demo and the
tests: AWS signs real trails with its own keys; here a key pair of our own stands in, and its
public half is saved as a ListPublicKeys response.

Each hourly digest lists its log files with the SHA-256 of their uncompressed content, points to
the previous digest (its location, the SHA-256 of its uncompressed content, its signature), and
is signed (RSA PKCS#1 v1.5, SHA-256) over `endTime\\nbucket/key\\nsha256\\nprevious-signature`.
The signature is written beside the digest as `<digest>.sig` (hex), as S3 metadata would hold it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from vigil import clock

SIDECAR = ".sig"


@dataclass
class Signer:
    key: rsa.RSAPrivateKey

    @classmethod
    def new(cls) -> Signer:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def public_der(self) -> bytes:
        """PKCS#1 RSAPublicKey, as ListPublicKeys returns it."""
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )

    @property
    def fingerprint(self) -> str:
        return hashlib.md5(self.public_der, usedforsecurity=False).hexdigest()

    def sign(self, text: bytes) -> str:
        return self.key.sign(text, padding.PKCS1v15(), hashes.SHA256()).hex()

    def public_keys(self, start: datetime, end: datetime) -> dict[str, Any]:
        return {
            "PublicKeyList": [
                {
                    "Value": base64.b64encode(self.public_der).decode(),
                    "ValidityStartTime": start.isoformat(),
                    "ValidityEndTime": end.isoformat(),
                    "Fingerprint": self.fingerprint,
                }
            ]
        }


def _iso(moment: datetime) -> str:
    return clock.iso(moment)


def write_chain(
    root: Path,
    bucket: str,
    hours: list[tuple[datetime, list[Path]]],
    *,
    account: str,
    region: str,
    trail: str,
    home_region: str,
    signer: Signer,
    org: str | None = None,
) -> list[Path]:
    """Digests for consecutive hours (oldest first) over the given log files (paths under
    `root`, which stands for the bucket); returns the digest paths."""
    previous: tuple[str, str, str] | None = None  # key, sha256, signature
    written = []
    for hour, logs in hours:
        end = hour + timedelta(hours=1)
        base = (
            f"AWSLogs/{org + '/' if org else ''}{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}"
        )
        name = f"{account}_CloudTrail-Digest_{region}_{trail}_{home_region}"
        key = f"{base}/{name}_{end:%Y%m%dT%H%M%S}Z.json.gz"
        files = []
        for path in logs:
            raw = gzip.decompress(path.read_bytes())
            files.append(
                {
                    "s3Bucket": bucket,
                    "s3Object": path.relative_to(root).as_posix(),
                    "hashValue": hashlib.sha256(raw).hexdigest(),
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": _iso(end),
                    "oldestEventTime": _iso(hour),
                }
            )
        digest = {
            "awsAccountId": account,
            "digestStartTime": _iso(hour),
            "digestEndTime": _iso(end),
            "digestS3Bucket": bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": signer.fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": _iso(end) if files else None,
            "oldestEventTime": _iso(hour) if files else None,
            "previousDigestS3Bucket": bucket if previous else None,
            "previousDigestS3Object": previous[0] if previous else None,
            "previousDigestHashValue": previous[1] if previous else None,
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": previous[2] if previous else None,
            "logFiles": files,
        }
        raw = json.dumps(digest).encode()
        sha = hashlib.sha256(raw).hexdigest()
        signature = signer.sign(
            f"{digest['digestEndTime']}\n{bucket}/{key}\n{sha}\n"
            f"{previous[2] if previous else 'null'}".encode()
        )
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(raw, mtime=0))
        Path(str(path) + SIDECAR).write_text(signature + "\n")
        written.append(path)
        previous = (key, sha, signature)
    return written
