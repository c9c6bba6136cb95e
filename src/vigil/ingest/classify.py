"""Decide what an object holds (flow logs, CloudTrail, a digest, Route 53 Resolver query logs,
S3 server access logs, GuardDuty or Security Hub findings) and parse it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import pyarrow as pa

from vigil.errors import FormatError
from vigil.formats.cloudtrail import is_digest, is_log_file, parse_cloudtrail
from vigil.formats.common import ParseResult
from vigil.formats.finding_docs import FindingDocs, parse_findings
from vigil.formats.flowlogs import parse_flowlogs, parse_flowlogs_parquet
from vigil.formats.known_types import by_content, by_key, unsupported
from vigil.ingest.options import LogType
from vigil.sources.decode import sniff
from vigil.sources.keys import KeyInfo

LOG_TYPES: Final = ("auto", "flowlogs", "cloudtrail", "dns", "s3access", "guardduty",
                    "securityhub")  # fmt: skip
TABLE_OF: Final = {"flowlogs": "flow_logs", "cloudtrail": "cloudtrail", "dns": "dns_logs",
                   "s3access": "s3_access_logs"}  # fmt: skip
Kind = Literal["flowlogs", "cloudtrail", "digest", "empty", "dns", "s3access", "guardduty",
               "securityhub"]  # fmt: skip


@dataclass(frozen=True)
class Parsed:
    kind: Kind
    result: ParseResult | None = None
    findings: FindingDocs | None = None  # guardduty, securityhub: documents for the hub


def parse_object(
    data: bytes,
    key: KeyInfo,
    log_type: LogType,
    fmt: tuple[str, ...] | None,
    uri: str,
    fast: pa.Table | None = None,
) -> Parsed:
    shape = sniff(data)
    if shape == "empty":
        raise FormatError("the file is empty (no records)", source=uri)
    if shape == "binary":
        raise FormatError(
            "binary content, not a log file",
            source=uri,
            hint="flow logs are text or Parquet, CloudTrail is JSON (gzip is decompressed)",
        )
    if key.kind == "digest" or (shape == "json" and is_digest(data)):
        return Parsed("digest")
    found = by_content(data) if shape != "parquet" else None
    if found is not None and found[0].kind is None:
        raise unsupported(*found, uri)
    kind = log_type
    if log_type == "auto":
        kind = found[0].kind if found is not None else _guess(key, shape)  # type: ignore[assignment]
    known = by_key(uri) if log_type == "auto" else None
    evidence = "nothing in it reads as a type Vigil reads, and AWS delivers it there"
    try:
        parsed = _parse(data, kind, shape, fmt, uri, fast)
    except FormatError:
        if known is None:
            raise
        raise unsupported(known, evidence, uri) from None
    result = parsed.result
    if known is not None and result is not None and result.rejects and not result.table.num_rows:
        raise unsupported(known, evidence, uri)  # every record refused: the key says why
    return parsed


def _parse(
    data: bytes,
    kind: str,
    shape: str,
    fmt: tuple[str, ...] | None,
    uri: str,
    fast: pa.Table | None,
) -> Parsed:
    if kind == "flowlogs":
        if shape == "parquet":
            return Parsed("flowlogs", parse_flowlogs_parquet(data, uri))
        return Parsed("flowlogs", parse_flowlogs(data, fmt, uri))
    if kind == "dns":
        from vigil.formats.route53_resolver import parse_dns

        return Parsed("dns", parse_dns(data, uri))
    if kind == "s3access":
        from vigil.formats.s3_access import parse_s3access

        return Parsed("s3access", parse_s3access(data, uri))
    if kind == "guardduty":
        return Parsed("guardduty", findings=parse_findings(data, uri, "guardduty"))
    if kind == "securityhub":
        return Parsed("securityhub", findings=parse_findings(data, uri, "securityhub"))
    return Parsed("cloudtrail", parse_cloudtrail(data, uri, fast))


def fast_candidate(data: bytes, key: KeyInfo, log_type: LogType) -> bool:
    """A CloudTrail S3 log file that can be read together with others on the fast path."""
    if log_type not in ("auto", "cloudtrail") or key.kind not in (None, "cloudtrail"):
        return False
    return is_log_file(data) and not is_digest(data)


def _guess(key: KeyInfo, shape: str) -> str:
    """The key's layout first (AWSLogs/…/vpcflowlogs|CloudTrail|vpcdnsquerylogs/…), then the
    content."""
    if key.kind in ("dns", "s3access", "guardduty"):
        return key.kind
    if key.kind == "flowlogs" or shape == "parquet":
        return "flowlogs"
    if key.kind in ("cloudtrail", "digest") or shape == "json":
        return "cloudtrail"
    return "flowlogs"
