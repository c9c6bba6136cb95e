"""Bytes as delivered → bytes to parse: gzip (multi-member, truncated) and format sniffing."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final, Literal

from isal import igzip

from vigil.inputs import is_binary

GZIP_MAGIC: Final = b"\x1f\x8b"
PARQUET_MAGIC: Final = b"PAR1"

Sniffed = Literal["json", "text", "parquet", "binary", "empty"]


@dataclass(frozen=True)
class Payload:
    data: bytes
    problem: str | None = None  # set when only part of the object could be read


def inflate(raw: bytes) -> Payload:
    """Decompress gzip if it is gzip. A truncated or corrupt stream keeps what came before."""
    if not raw.startswith(GZIP_MAGIC):
        return Payload(raw)
    try:
        data: bytes = igzip.decompress(raw)  # type: ignore[no-untyped-call]
        return Payload(data)
    except Exception:  # OSError, EOFError, BadGzipFile, and isal's own IsalError
        return _partial(raw)


def _partial(raw: bytes) -> Payload:
    out: list[bytes] = []
    rest = raw
    while rest.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=31)
        try:
            out.append(inflater.decompress(rest))
        except zlib.error as exc:
            consumed = len(raw) - len(rest)
            return Payload(b"".join(out), f"corrupt gzip data after byte {consumed}: {exc}")
        if not inflater.eof:
            got = sum(len(part) for part in out)
            return Payload(
                b"".join(out),
                f"truncated gzip: the stream ends early ({len(raw)} bytes read, "
                f"{got} bytes inflated)",
            )
        rest = inflater.unused_data
    return Payload(b"".join(out))


def sniff(data: bytes) -> Sniffed:
    head = data[:64].lstrip()
    if not head:
        return "empty"
    if data.startswith(PARQUET_MAGIC):
        return "parquet"
    if head[:1] in (b"{", b"["):
        return "json"
    if is_binary(data):
        return "binary"
    # CloudWatch Logs export lines start with a timestamp; look at what follows it.
    if head[:4].isdigit() and b"T" in head[:11] and head.find(b"Z ") > 0:
        after = head[head.find(b"Z ") + 2 :].lstrip()
        return "json" if after[:1] == b"{" else "text"
    return "text"
