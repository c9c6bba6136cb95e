"""AWS log types told apart by their content. The ones Vigil reads (Route 53 Resolver query
logs, S3 server access logs, GuardDuty and Security Hub findings) are routed to their parser;
the ones it does not read yet are quarantined for what they are ("… is not supported yet")
rather than as broken CloudTrail or flow logs.

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


@dataclass(frozen=True)
class KnownType:
    name: str  # "… is not supported yet"
    hint: str
    kind: str | None = None  # the `--type` Vigil reads it as; None: not read yet


_LATER: Final = "it stays in quarantine; vigil quarantine retry reads it once Vigil does"
RESOLVER: Final = KnownType("Route 53 Resolver query logging", _LATER, "dns")
WAF: Final = KnownType("AWS WAF logging", _LATER)
ALB: Final = KnownType("Application Load Balancer access logging", _LATER)
NLB: Final = KnownType("Network Load Balancer access logging", _LATER)
ELB: Final = KnownType("Elastic Load Balancing access logging", _LATER)
S3_ACCESS: Final = KnownType("S3 server access logging", _LATER, "s3access")
GUARDDUTY: Final = KnownType("GuardDuty findings", _LATER, "guardduty")
SECURITY_HUB: Final = KnownType("Security Hub findings (ASFF)", _LATER, "securityhub")

# Key layouts AWS delivers the types Vigil does not read yet under (supporting evidence only;
# the layouts of the types it reads are in vigil.sources.keys).
_KEY_HINTS: Final[tuple[tuple[re.Pattern[str], KnownType], ...]] = (
    (re.compile(r"/WAFLogs/|(?:^|/)aws-waf-logs-"), WAF),
    (re.compile(r"/elasticloadbalancing/.*_app\.[^/]*$"), ALB),
    (re.compile(r"/elasticloadbalancing/.*_net\.[^/]*$"), NLB),
    (re.compile(r"/elasticloadbalancing/"), ELB),
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
            return _findings_document(head)
        return _json_type(doc) if isinstance(doc, dict) else None
    if first.startswith("["):
        return _findings_document(head)
    return _text_type(first.split(" "))


def _findings_document(head: str | bytes) -> tuple[KnownType, str] | None:
    """A whole JSON document of findings (pretty-printed, or a list): told by its keys."""
    text = head if isinstance(head, str) else head.decode("utf-8", "replace")
    if re.search(r'"SchemaVersion"\s*:', text) and re.search(r'"ProductArn"\s*:', text):
        return SECURITY_HUB, "findings with SchemaVersion and ProductArn (ASFF)"
    if re.search(r'"serviceName"\s*:\s*"guardduty"', text) and '"schemaVersion"' in text:
        return GUARDDUTY, "findings with schemaVersion and service.serviceName guardduty"
    return None


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
    if doc.get("source") == "aws.securityhub" and isinstance(doc.get("detail"), dict):
        return SECURITY_HUB, "a Security Hub Findings event"
    if "SchemaVersion" in doc and "ProductArn" in doc:
        return SECURITY_HUB, "a finding with SchemaVersion and ProductArn (ASFF)"
    if isinstance(doc.get("Findings"), list) or isinstance(doc.get("findings"), list):
        return _findings_document(json.dumps(doc)[:_FIRST_LINE_MAX])
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
