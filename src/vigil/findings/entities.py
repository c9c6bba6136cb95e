"""The entities a finding names, for links and for an entity's list of findings: its actor,
resource, grouping key (addresses, interfaces, sessions) and account; for an imported finding,
the document it came as: ASFF's Resources, Network, Action and ThreatIntelIndicators, or
GuardDuty's resource and service.action. Threat lists a document cites are kept beside."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from vigil.findings.asff_import import original, original_guardduty
from vigil.model.entity import EntityRef, Kind, bucket_of_arn, classify
from vigil.model.finding import Finding

EMBEDDED: Final = re.compile(r"(?<![A-Za-z0-9-])((?:i|eni)-[0-9a-f]{8,17})(?![0-9a-f])")
ROLE_SESSION_OF_INSTANCE: Final = re.compile(
    r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/.+/(i-[0-9a-f]{8,17})$"
)
MAX_DEPTH: Final = 12
ADDRESS_ROLES: Final = (
    ("remote", "Remote address"), ("local", "Local address"), ("source", "Source address"),
    ("destination", "Destination address"), ("srcaddr", "Source address"),
    ("dstaddr", "Destination address"),
)  # fmt: skip
SKIPPED: Final = ("ProductArn", "GeneratorId", "Id", "arn", "id")  # the finding's own ids


@dataclass(frozen=True)
class Named:
    role: str  # how the finding names it: "Actor", "Resource", "Remote address", …
    entity: EntityRef


@dataclass
class _Found:
    items: list[Named] = field(default_factory=list)
    seen: set[tuple[Kind, str]] = field(default_factory=set)
    threats: list[str] = field(default_factory=list)

    def add(self, role: str, ref: EntityRef) -> None:
        if (ref.kind, ref.id) not in self.seen:
            self.seen.add((ref.kind, ref.id))
            self.items.append(Named(role, ref))


@dataclass(frozen=True)
class FindingEntities:
    named: list[Named]
    threats: list[str]  # "list: value" for each threat list the finding's document cites

    def has(self, kind: Kind, ident: str) -> bool:
        return any(n.entity.kind == kind and n.entity.id == ident for n in self.named)


def _role(path: str, kind: Kind) -> str:
    low = ".".join(path.lower().split(".")[-2:])  # the field and its parent ("resource" aside)
    if kind == Kind.ADDRESS:
        return next((role for word, role in ADDRESS_ROLES if word in low), "Address")
    if kind == Kind.PRINCIPAL:
        return "Access key" if "accesskey" in low else "Principal"
    return {Kind.INSTANCE: "Instance or interface", Kind.BUCKET: "Bucket",
            Kind.ACCOUNT: "Account"}[kind]  # fmt: skip


def _value(found: _Found, path: str, text: str, bucket_ok: bool) -> None:
    bucket = bucket_of_arn(text)
    if bucket:
        found.add("Bucket", EntityRef(Kind.BUCKET, bucket))
        return
    kinds = classify(text)
    if len(kinds) == 1 and kinds[0].kind != Kind.BUCKET:
        found.add(_role(path, kinds[0].kind), kinds[0])
        session = ROLE_SESSION_OF_INSTANCE.match(text)
        if session:  # EC2's role credentials: the session is named for its instance
            found.add("Instance (its role's session)", EntityRef(Kind.INSTANCE, session.group(1)))
    elif bucket_ok and any(k.kind == Kind.BUCKET for k in kinds):
        found.add("Bucket", EntityRef(Kind.BUCKET, text))
    elif text.startswith("arn:"):
        for ident in EMBEDDED.findall(text):  # arn:aws:ec2:…:instance/i-…
            found.add("Instance or interface", EntityRef(Kind.INSTANCE, ident))


def _walk(found: _Found, value: Any, path: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        if "threatListName" in value or ("Source" in value and "Type" in value and
                                         "Value" in value):  # fmt: skip
            name = value.get("threatListName") or value.get("Source")
            found.threats.append(f"{name}: {value.get('Value') or path.rsplit('.', 1)[-1]}")
        for key, item in value.items():
            _walk(found, item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for item in value:
            _walk(found, item, path, depth + 1)
    elif isinstance(value, str) and 0 < len(value) <= 2048:
        low = path.lower()
        bucket_ok = "bucket" in low and low.rsplit(".", 1)[-1] in ("name", "id", "bucket",
                                                                   "bucketname")  # fmt: skip
        _value(found, path, value, bucket_ok)
        if "productfields" in low and "threatlistname" in low.replace("/", ""):
            found.threats.append(value)


def entities_of(f: Finding) -> FindingEntities:
    """Every entity the finding names, each once, the actor and resource first."""
    found = _Found()
    if f.actor:
        for ref in classify(f.actor)[:1]:
            if ref.kind != Kind.BUCKET:
                found.add("Actor", ref)
    resource = f.resource_id
    if resource:
        is_bucket = "s3" in f.resource_type.lower() or "bucket" in f.resource_type.lower()
        if f.resource_type == "AwsIamUser" and "/" not in resource and ":" not in resource:
            resource = f"arn:aws:iam::{f.account}:user/{resource}"  # a user named by its name
        _value(found, "resource", resource, is_bucket)
    _walk(found, f.key, "key")
    doc = original(f) or original_guardduty(f)
    if doc is not None:
        _walk(found, {k: v for k, v in doc.items() if k not in SKIPPED}, "doc")
    if f.account:
        found.add("Account", EntityRef(Kind.ACCOUNT, f.account))
    return FindingEntities(found.items, sorted(set(found.threats)))
