"""Flow-log layouts a file without a header line may have, and the shape of each field's values.

AWS writes no header line to CloudWatch Logs (and so to its exports and subscriptions), and a
file copied out of a pipeline often loses it. Such a file is read when its values fit exactly one
known layout: AWS's default format, every field up to a version in AWS's order, or a layout
AWS documents in its record examples. `SHAPES` says what each field's values look like.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Final

from vigil.formats.flowlog_fields import DEFAULT_FORMAT, FIELDS
from vigil.formats.timestamps import EARLIEST_S, plausible_seconds

Check = Callable[[str], bool]


def _matches(pattern: str) -> Check:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _one_of(*values: str) -> Check:
    allowed = frozenset(values)
    return lambda value: value in allowed


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()  # str.isdigit alone takes '²' and other scripts


def _integer(low: int, high: int) -> Check:
    def check(value: str) -> bool:
        return _digits(value) and len(value) <= 20 and low <= int(value) <= high

    return check


_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _address(value: str) -> bool:
    if _IPV4.fullmatch(value):
        return True
    if ":" not in value:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def _seconds(value: str) -> bool:
    # a time in seconds has at most 12 digits; longer digit runs are no time (and a few
    # thousand digits would not even convert)
    return _digits(value) and len(value) <= 12 and plausible_seconds(int(value))


def _tcp_flags(value: str) -> bool:
    # Only FIN 1, SYN 2, RST 4 and SYN-ACK 18 are reported, OR-ed over the interval.
    return _digits(value) and len(value) <= 3 and int(value) & ~23 == 0


def _aws_id(prefix: str) -> Check:
    return _matches(prefix + r"-[0-9a-f]{8,17}")


def _arn(resource: str) -> Check:
    return _matches(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:" + resource + r"/\S+")


def _count(value: str) -> bool:
    # A value that reads as a time of this century is taken for one: a record counting 1.1 to
    # 4.1 billion packets or bytes is rare, and a sample where every record does, rarer still.
    if not _digits(value) or len(value) > 19:
        return False
    return not _EPOCH_BAND[0] <= int(value) <= _EPOCH_BAND[1]


def _word(pattern: str) -> Check:
    # Loose names never take the values of the fields whose words are fixed.
    check = _matches(pattern)
    return lambda value: value not in _RESERVED and check(value)


_EPOCH_BAND: Final = (EARLIEST_S, 4_102_444_800)  # 2006 to 2100
_RESERVED: Final = frozenset(
    {"ACCEPT", "REJECT", "OK", "NODATA", "SKIPDATA", "IPv4", "IPv6", "EFA", "ingress", "egress",
     "wavelength", "outpost", "localzone", "unknown"}
)  # fmt: skip
_ACCOUNT: Final = _matches(r"\d{12}|unknown")
_COUNT: Final = _count
_NAME: Final = _word(r"[A-Za-z][A-Za-z0-9_.-]*")
_SERVICE: Final = _word(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_HEX_ID: Final = _matches(r"[0-9a-f]{32}")
_CONTAINER: Final = _matches(r"[0-9a-f]{32}(-[0-9]+)?|[0-9a-f]{64}")
_AZ: Final = _matches(r"[a-z]{2,5}\d-(?:[a-z]+\d+[a-z]?-)?az\d+")

# What each field's values look like (`-`, "no value", fits every field and is not checked).
SHAPES: Final[dict[str, Check]] = {
    "version": _integer(2, 99),
    "account-id": _ACCOUNT,
    "interface-id": _aws_id("eni"),
    "srcaddr": _address,
    "dstaddr": _address,
    "srcport": _integer(0, 65535),
    "dstport": _integer(0, 65535),
    "protocol": _integer(0, 255),
    "packets": _COUNT,
    "bytes": _COUNT,
    "start": _seconds,
    "end": _seconds,
    "action": _one_of("ACCEPT", "REJECT"),
    "log-status": _one_of("OK", "NODATA", "SKIPDATA"),
    "vpc-id": _aws_id("vpc"),
    "subnet-id": _aws_id("subnet"),
    "instance-id": _aws_id("i"),
    "tcp-flags": _tcp_flags,
    "type": _one_of("IPv4", "IPv6", "EFA"),
    "pkt-srcaddr": _address,
    "pkt-dstaddr": _address,
    "region": _matches(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d"),
    "az-id": _AZ,
    "sublocation-type": _one_of("wavelength", "outpost", "localzone"),
    "sublocation-id": _word(r"[a-z][a-z0-9]*-[a-z0-9-]+"),
    "pkt-src-aws-service": _SERVICE,
    "pkt-dst-aws-service": _SERVICE,
    "flow-direction": _one_of("ingress", "egress"),
    "traffic-path": _integer(1, 15),
    "ecs-cluster-arn": _arn("cluster"),
    "ecs-cluster-name": _NAME,
    "ecs-container-instance-arn": _arn("container-instance"),
    "ecs-container-instance-id": _HEX_ID,
    "ecs-container-id": _CONTAINER,
    "ecs-second-container-id": _CONTAINER,
    "ecs-service-name": _NAME,
    "ecs-task-definition-arn": _arn("task-definition"),
    "ecs-task-arn": _arn("task"),
    "ecs-task-id": _HEX_ID,
    "reject-reason": _SERVICE,
    "resource-type": _one_of("TransitGateway", "TransitGatewayAttachment"),
    "tgw-id": _aws_id("tgw"),
    "tgw-attachment-id": _aws_id("tgw-attach"),
    "tgw-src-vpc-account-id": _ACCOUNT,
    "tgw-dst-vpc-account-id": _ACCOUNT,
    "tgw-src-vpc-id": _aws_id("vpc"),
    "tgw-dst-vpc-id": _aws_id("vpc"),
    "tgw-src-subnet-id": _aws_id("subnet"),
    "tgw-dst-subnet-id": _aws_id("subnet"),
    "tgw-src-eni": _aws_id("eni"),
    "tgw-dst-eni": _aws_id("eni"),
    "tgw-src-az-id": _AZ,
    "tgw-dst-az-id": _AZ,
    "tgw-pair-attachment-id": _aws_id("tgw-attach"),
    "packets-lost-no-route": _COUNT,
    "packets-lost-blackhole": _COUNT,
    "packets-lost-mtu-exceeded": _COUNT,
    "packets-lost-ttl-expired": _COUNT,
}

# Fields whose values say what they are (a loose-shaped name or count alone proves nothing): a
# layout inferred from AWS's order must rest on at least two of them.
TELLING: Final = frozenset(
    {"account-id", "interface-id", "srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr", "start",
     "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id", "flow-direction"}
)  # fmt: skip

# The fields of VPC flow logs in AWS's order (Transit Gateway flow logs have their own).
VPC_FIELDS: Final = tuple(name for name, version, _ in FIELDS if version != 6)


def _up_to(version: int) -> tuple[str, ...]:
    return tuple(name for name, v, _ in FIELDS if v <= version and v != 6)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Known layouts, by the name a message gives them. The default cannot be changed; "all fields"
# is how people ask for everything; the others are the custom formats of AWS's record examples.
LAYOUTS: Final[dict[str, tuple[str, ...]]] = {
    "the default format (version 2)": DEFAULT_FORMAT,
    "every field to version 3": _up_to(3),
    "every field to version 4": _up_to(4),
    "every field to version 5": _up_to(5),
    "every field to version 7": _up_to(7),
    "every field to version 8": _up_to(8),
    "AWS's TCP-flag example": _words(
        "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr "
        "srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action "
        "tcp-flags log-status"
    ),
    "AWS's NAT gateway example": _words(
        "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"
    ),
    "AWS's transit gateway example": _words(
        "version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport "
        "dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status"
    ),
    "AWS's traffic-path example": _words(
        "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id "
        "vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id "
        "action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service "
        "traffic-path flow-direction log-status"
    ),
    "the service and flow-direction layout (version 5)": _words(
        "version interface-id srcaddr dstaddr srcport dstport protocol tcp-flags pkt-srcaddr "
        "pkt-dstaddr flow-direction traffic-path pkt-dst-aws-service action log-status"
    ),
    "the Transit Gateway default format": _words(
        "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
        "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id "
        "tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id "
        "tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
        "log-status type packets-lost-no-route packets-lost-blackhole "
        "packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction "
        "pkt-src-aws-service pkt-dst-aws-service"
    ),
}


def as_format(fields: tuple[str, ...]) -> str:
    """Fields as a LogFormat string, as `--format` takes it."""
    return " ".join("${" + f + "}" for f in fields)
