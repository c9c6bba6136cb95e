"""The VPC Flow Logs field catalogue (spec §1.3) as one data table, and the format grammar."""

from __future__ import annotations

import difflib
import re
from typing import Final

import pyarrow as pa

from vigil.errors import FormatError

I32: Final = pa.int32()
I64: Final = pa.int64()
STR: Final = pa.string()

# (field name as AWS writes it, version that introduced it, Arrow type). Order = AWS's table.
FIELDS: Final[tuple[tuple[str, int, pa.DataType], ...]] = (
    ("version", 2, I32),
    ("account-id", 2, STR),
    ("interface-id", 2, STR),
    ("srcaddr", 2, STR),
    ("dstaddr", 2, STR),
    ("srcport", 2, I32),
    ("dstport", 2, I32),
    ("protocol", 2, I32),
    ("packets", 2, I64),
    ("bytes", 2, I64),
    ("start", 2, I64),
    ("end", 2, I64),
    ("action", 2, STR),
    ("log-status", 2, STR),
    ("vpc-id", 3, STR),
    ("subnet-id", 3, STR),
    ("instance-id", 3, STR),
    ("tcp-flags", 3, I32),
    ("type", 3, STR),
    ("pkt-srcaddr", 3, STR),
    ("pkt-dstaddr", 3, STR),
    ("region", 4, STR),
    ("az-id", 4, STR),
    ("sublocation-type", 4, STR),
    ("sublocation-id", 4, STR),
    ("pkt-src-aws-service", 5, STR),
    ("pkt-dst-aws-service", 5, STR),
    ("flow-direction", 5, STR),
    ("traffic-path", 5, I32),
    ("ecs-cluster-arn", 7, STR),
    ("ecs-cluster-name", 7, STR),
    ("ecs-container-instance-arn", 7, STR),
    ("ecs-container-instance-id", 7, STR),
    ("ecs-container-id", 7, STR),
    ("ecs-second-container-id", 7, STR),
    ("ecs-service-name", 7, STR),
    ("ecs-task-definition-arn", 7, STR),
    ("ecs-task-arn", 7, STR),
    ("ecs-task-id", 7, STR),
    ("reject-reason", 8, STR),
    # Transit Gateway flow logs (version 6): their own fields beside the shared ones above;
    # a TGW format has no `version` field unless asked for
    ("resource-type", 6, STR),
    ("tgw-id", 6, STR),
    ("tgw-attachment-id", 6, STR),
    ("tgw-src-vpc-account-id", 6, STR),
    ("tgw-dst-vpc-account-id", 6, STR),
    ("tgw-src-vpc-id", 6, STR),
    ("tgw-dst-vpc-id", 6, STR),
    ("tgw-src-subnet-id", 6, STR),
    ("tgw-dst-subnet-id", 6, STR),
    ("tgw-src-eni", 6, STR),
    ("tgw-dst-eni", 6, STR),
    ("tgw-src-az-id", 6, STR),
    ("tgw-dst-az-id", 6, STR),
    ("tgw-pair-attachment-id", 6, STR),
    ("packets-lost-no-route", 6, I64),
    ("packets-lost-blackhole", 6, I64),
    ("packets-lost-mtu-exceeded", 6, I64),
    ("packets-lost-ttl-expired", 6, I64),
)

FIELD_TYPES: Final[dict[str, pa.DataType]] = {name: typ for name, _, typ in FIELDS}
FIELD_VERSIONS: Final[dict[str, int]] = {name: ver for name, ver, _ in FIELDS}
DEFAULT_FORMAT: Final[tuple[str, ...]] = tuple(name for name, ver, _ in FIELDS if ver == 2)

_TOKEN = re.compile(r"^\$?\$\{([A-Za-z0-9_-]+)\}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def column_name(field: str) -> str:
    """Athena's column name for a flow-log field: hyphens become underscores."""
    return field.replace("-", "_")


def field_type(field: str) -> pa.DataType:
    """Known fields have their documented type; unknown (newer) fields are kept as text."""
    return FIELD_TYPES.get(field, STR)


def parse_format(fmt: str) -> tuple[str, ...]:
    """Parse a LogFormat string such as '${version} ${account-id} …' into field names.

    `$${x}` (CloudFormation/Terraform escaping) is accepted as `${x}`.
    """
    tokens = fmt.split()
    if not tokens:
        raise FormatError("the flow-log format is empty", hint="give at least one ${field}")
    names = []
    for pos, token in enumerate(tokens, start=1):
        match = _TOKEN.match(token)
        if match is None:
            raise FormatError(
                f"format token {pos} {token!r} is not of the form ${{field-name}}",
                hint="write the format as AWS does: '${version} ${account-id} …'",
            )
        names.append(match.group(1).replace("_", "-"))
    for pos, name in enumerate(names, start=1):
        if name not in FIELD_TYPES:
            close = difflib.get_close_matches(name, FIELD_TYPES, n=1, cutoff=0.6)
            raise FormatError(
                f"format token {pos} ${{{name}}} is not a flow-log field"
                + (f"; did you mean ${{{close[0]}}}?" if close else ""),
                hint="the fields are AWS's: version, account-id, interface-id, srcaddr, … "
                "(see the VPC Flow Logs record fields)",
            )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise FormatError(f"format repeats field(s): {', '.join(duplicated)}")
    return tuple(names)


def header_fields(line: str) -> tuple[str, ...] | None:
    """The field names if `line` is an S3 delivery header line, else None."""
    tokens = line.split()
    if not tokens or not all(_NAME.match(t) for t in tokens):
        return None
    if not any(t in FIELD_TYPES for t in tokens):
        return None
    return tuple(tokens)


def record_version(fields: tuple[str, ...]) -> int:
    """The version AWS writes for a format: the highest version among its known fields."""
    return max((FIELD_VERSIONS.get(f, 2) for f in fields), default=2)


def unknown_fields(fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if f not in FIELD_TYPES]


def lake_schema() -> pa.Schema:
    """Every known field as its Athena column, in AWS's order."""
    return pa.schema([pa.field(column_name(n), t) for n, _, t in FIELDS])
