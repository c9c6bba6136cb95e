"""AWS log types Vigil does not read yet, recognised so that their objects are quarantined for
what they are ("… is not supported yet") rather than as broken CloudTrail or flow logs.

The content decides first (one line is enough: each of these types writes one record a line);
the key's layout (`…/vpcdnsquerylogs/…`, `…/WAFLogs/…`) only backs it up, for objects whose
content cannot be read as anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from vigil.errors import FormatError

_FIRST_LINE_MAX: Final = 1 << 18
_ISO: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?")  # NLB: no Z
_ENDPOINT: Final = re.compile(r"(?:[0-9.]+|\[?[0-9a-fA-F:]+\]?):\d+|-")
_S3_TIME: Final = re.compile(r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}")
_CANONICAL_ID: Final = re.compile(r"[0-9a-f]{64}|-")
_ALB_TYPES: Final = frozenset({"http", "https", "h2", "grpcs", "ws", "wss"})
_S3_LOG_NAME: Final = re.compile(r"(?:^|/)\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")


@dataclass(frozen=True)
class KnownType:
    name: str  # "… is not supported yet"
    hint: str


_LATER: Final = "it stays in quarantine; vigil quarantine retry reads it once Vigil does"
RESOLVER: Final = KnownType("Route 53 Resolver query logging", _LATER)
WAF: Final = KnownType("AWS WAF logging", _LATER)
ALB: Final = KnownType("Application Load Balancer access logging", _LATER)
NLB: Final = KnownType("Network Load Balancer access logging", _LATER)
ELB: Final = KnownType("Elastic Load Balancing access logging", _LATER)
S3_ACCESS: Final = KnownType("S3 server access logging", _LATER)
GUARDDUTY: Final = KnownType(
    "GuardDuty's findings export",
    "Vigil takes GuardDuty findings as EventBridge events (vigil sources add --sqs … or the "
    "push API), not from the S3 export",
)

# Key layouts AWS delivers these types under (supporting evidence only).
_KEY_HINTS: Final[tuple[tuple[re.Pattern[str], KnownType], ...]] = (
    (re.compile(r"/vpcdnsquerylogs/"), RESOLVER),
    (re.compile(r"/WAFLogs/|(?:^|/)aws-waf-logs-"), WAF),
    (re.compile(r"/elasticloadbalancing/.*_app\.[^/]*$"), ALB),
    (re.compile(r"/elasticloadbalancing/.*_net\.[^/]*$"), NLB),
    (re.compile(r"/elasticloadbalancing/"), ELB),
    (re.compile(r"/GuardDuty/"), GUARDDUTY),
    (_S3_LOG_NAME, S3_ACCESS),
)


def by_content(data: bytes) -> tuple[KnownType, str] | None:
    """The known type the first record shows, and what showed it."""
    head = data.lstrip()[:_FIRST_LINE_MAX]
    end = head.find(b"\n")
    first = (head if end < 0 else head[:end]).decode("utf-8", "replace").strip()
    stamp, _, rest = first.partition(" ")
    if _ISO.fullmatch(stamp) and rest.lstrip().startswith("{"):
        first = rest.lstrip()  # a CloudWatch Logs export's line: its timestamp, then the event
    if first.startswith("{"):
        if '"Records"' in first[:200] or '"eventVersion"' in first[:400]:
            return None  # CloudTrail: the common case, decided without parsing
        try:
            doc = json.loads(first)
        except (ValueError, RecursionError):  # not one record a line, or nested too deeply
            return None
        return _json_type(doc) if isinstance(doc, dict) else None
    return _text_type(first.split(" "))


def by_key(uri: str) -> KnownType | None:
    for pattern, known in _KEY_HINTS:
        if pattern.search(uri):
            return known
    return None


def unsupported(known: KnownType, evidence: str, source: str) -> FormatError:
    return FormatError(
        f"{known.name} is not supported yet ({evidence}); {known.hint}",
        source=source,
        hint=known.hint,
    )


def _json_type(doc: dict[str, Any]) -> tuple[KnownType, str] | None:
    if "query_name" in doc and ("query_type" in doc or "srcids" in doc):
        return RESOLVER, "a record with query_name, query_type and srcids"
    if "webaclId" in doc and ("httpRequest" in doc or "terminatingRuleId" in doc):
        return WAF, "a record with webaclId, terminatingRuleId and httpRequest"
    if doc.get("source") == "aws.guardduty" and isinstance(doc.get("detail"), dict):
        doc = doc["detail"]  # a finding as EventBridge carries it
    service = doc.get("service")
    if (
        "schemaVersion" in doc
        and "type" in doc
        and isinstance(service, dict)
        and service.get("serviceName") == "guardduty"
    ):
        return GUARDDUTY, "a finding with schemaVersion, type and service.serviceName guardduty"
    return None


def _text_type(tokens: list[str]) -> tuple[KnownType, str] | None:
    if len(tokens) < 8:
        return None
    if tokens[0] in _ALB_TYPES and _ISO.fullmatch(tokens[1]) and _ENDPOINT.fullmatch(tokens[3]):
        return ALB, f"a {tokens[0]} request line with its load balancer and client:port"
    if tokens[0] == "tls" and re.fullmatch(r"\d+\.\d+", tokens[1]) and _TIME.fullmatch(tokens[2]):
        return NLB, "a tls connection line with its version and time"
    if _CANONICAL_ID.fullmatch(tokens[0]) and _S3_TIME.match(tokens[2]):
        return S3_ACCESS, "a bucket owner's canonical id, the bucket and a [dd/Mon/yyyy:…] time"
    return None
