"""Entities a console user investigates, as GuardDuty and Detective name them: a principal (an
IAM ARN, a role session, an access key id), an instance or network interface, an address, a
bucket, an account. `classify` tells which kinds an id can be, from its shape alone."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import quote


class Kind(StrEnum):
    PRINCIPAL = "principal"
    INSTANCE = "instance"  # an EC2 instance or a network interface
    ADDRESS = "address"
    BUCKET = "bucket"
    ACCOUNT = "account"


@dataclass(frozen=True, order=True)
class EntityRef:
    kind: Kind
    id: str
    label: str = ""  # how a page names it when the id alone says little ("access key")

    @property
    def href(self) -> str:
        """The entity's page: the id is the path, escaped whole (an ARN's `/` and `:` too)."""
        return f"/entities/{self.kind.value}/{quote(self.id, safe='')}"


ACCESS_KEY: Final = re.compile(r"^(AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{12,124}$")
INSTANCE_ID: Final = re.compile(r"^i-[0-9a-f]{8,17}$")
INTERFACE_ID: Final = re.compile(r"^eni-[0-9a-f]{8,17}$")
ACCOUNT_ID: Final = re.compile(r"^\d{12}$")
# S3's rules for new buckets: 3-63 characters of lower-case letters, digits, dots and hyphens,
# starting and ending with a letter or digit, and not an IPv4 address.
BUCKET: Final = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PRINCIPAL_ARN: Final = re.compile(
    r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}|aws):(root|user/|role/|assumed-role/|federated-user/)"
)
DOTTED_QUAD: Final = re.compile(r"^\d+\.\d+\.\d+\.\d+$")  # never a bucket's name
SERVICE_PRINCIPAL: Final = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$")
MAX_ID: Final = 2048


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def canonical_address(text: str) -> str:
    """An address as the logs write it (IPv6 compressed, lower case)."""
    return str(ipaddress.ip_address(text))


def bucket_of_arn(text: str) -> str | None:
    """`arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` → the bucket."""
    match = re.match(r"^arn:aws[a-z-]*:s3:::([^/]+)", text)
    return match.group(1) if match else None


def classify(text: str) -> list[EntityRef]:
    """The entity the id names by its shape, [] when it names none. An instance id could
    also be a bucket's name: it is read as the instance (the bucket's page is its path)."""
    value = text.strip()
    if not value or len(value) > MAX_ID:
        return []
    if is_address(value):
        return [EntityRef(Kind.ADDRESS, canonical_address(value))]
    if ACCOUNT_ID.match(value):
        return [EntityRef(Kind.ACCOUNT, value)]
    if ACCESS_KEY.match(value):
        return [EntityRef(Kind.PRINCIPAL, value, "access key")]
    if PRINCIPAL_ARN.match(value) or SERVICE_PRINCIPAL.match(value):
        return [EntityRef(Kind.PRINCIPAL, value)]
    bucket = bucket_of_arn(value)
    if bucket:
        return [EntityRef(Kind.BUCKET, bucket)]
    if INSTANCE_ID.match(value) or INTERFACE_ID.match(value):  # a bucket so named: its path
        return [EntityRef(Kind.INSTANCE, value)]
    if BUCKET.match(value) and ".." not in value and not DOTTED_QUAD.match(value):
        return [EntityRef(Kind.BUCKET, value)]
    return []


def check(kind: str, text: str) -> EntityRef:
    """An entity page's path, read: the kind must be one we have and the id of its shape;
    a ValueError says why not."""
    try:
        chosen = Kind(kind)
    except ValueError:
        raise ValueError(f"no entity kind {kind!r}: one of "
                         + ", ".join(k.value for k in Kind)) from None  # fmt: skip
    value = text.strip()
    if not value or len(value) > MAX_ID or any(ord(c) < 32 for c in value):
        raise ValueError(f"{text[:80]!r} is not a {chosen.value} id")
    if chosen == Kind.ADDRESS:
        if not is_address(value):
            raise ValueError(f"{value[:80]!r} is not an IPv4 or IPv6 address")
        value = canonical_address(value)
    elif chosen == Kind.ACCOUNT and not ACCOUNT_ID.match(value):
        raise ValueError(f"{value[:80]!r} is not an account id (12 digits)")
    elif chosen == Kind.INSTANCE and not (INSTANCE_ID.match(value) or INTERFACE_ID.match(value)):
        raise ValueError(f"{value[:80]!r} is not an instance id (i-…) or interface id (eni-…)")
    elif chosen == Kind.BUCKET:
        value = bucket_of_arn(value) or value
        if not BUCKET.match(value):
            raise ValueError(f"{value[:80]!r} is not an S3 bucket name")
    label = "access key" if chosen == Kind.PRINCIPAL and ACCESS_KEY.match(value) else ""
    return EntityRef(chosen, value, label)
