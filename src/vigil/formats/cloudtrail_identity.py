"""Who acted in a CloudTrail record, in one definition for SQL (engine macros) and Python (the
streaming path): the principal a detection counts, whether AWS itself acted, where from, with
what tool.

* **actor**: the principal. An assumed-role session is its role (the session issuer), not the
  session name a CI run or an instance changes every time; an IAM Identity Center session is
  the user's own session ARN (the role is shared by everyone with the permission set); an AWS
  service is its name (`invokedBy`); otherwise the ARN (IAM users, root, federated users).
* **by_aws**: AWS acting on the customer's behalf: `userIdentity.type` AWSService, an
  `invokedBy` service, a service-linked role, a `*.amazonaws.com` or `AWS Internal` source.
* **agent_family**: the tool family of a user agent (aws-cli, boto3, terraform, console, …).
* **source_prefix**: the /24 (IPv4) or /48 (IPv6) a call came from; a service name as it is.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final

SSO_PREFIX: Final = "AWSReservedSSO_"
SERVICE_ROLE: Final = ":role/aws-service-role/"
# First match wins: (text in the lower-cased user agent, family).
AGENT_FAMILIES: Final = (
    ("terraform", "terraform"), ("pulumi", "pulumi"), ("aws-cdk", "cdk"),
    ("cloudformation", "cloudformation"), ("aws-cli", "aws-cli"), ("botocore", "boto3"),
    ("boto3", "boto3"), ("aws-sdk-go", "aws-sdk-go"), ("aws-sdk-java", "aws-sdk-java"),
    ("aws-sdk-js", "aws-sdk-js"), ("aws-sdk-net", "aws-sdk-dotnet"),
    ("aws-sdk-dotnet", "aws-sdk-dotnet"), ("aws-sdk-ruby", "aws-sdk-ruby"),
    ("aws-sdk-php", "aws-sdk-php"), ("aws-sdk-rust", "aws-sdk-rust"),
    ("aws-sdk-cpp", "aws-sdk-cpp"), ("aws-powershell", "aws-powershell"),
    ("console.amazonaws.com", "console"), ("console.aws.amazon.com", "console"),
    ("signin.amazonaws.com", "console"), ("aws-internal", "aws-internal"),
    ("kali", "kali"), ("parrot", "parrot"), ("pentoo", "pentoo"), ("pacu", "pacu"),
    ("python-requests", "python-requests"), ("curl", "curl"), ("mozilla", "browser"),
)  # fmt: skip


def _get(value: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def actor(ui: Any) -> str | None:
    """The principal of a record's `userIdentity` (the lake's lower-case struct)."""
    kind = _get(ui, "type")
    issuer = _get(ui, "sessioncontext", "sessionissuer", "arn")
    issuer_name = _get(ui, "sessioncontext", "sessionissuer", "username") or ""
    if (
        kind in ("AssumedRole", "FederatedUser")
        and issuer
        and not issuer_name.startswith(SSO_PREFIX)
    ):
        return str(issuer)
    if kind == "AWSService":
        return _first(_get(ui, "invokedby"), _get(ui, "principalid"))
    return _first(*(_get(ui, k) for k in ("arn", "principalid", "invokedby", "accountid")))


def by_aws(ui: Any, source: str | None) -> bool:
    """AWS acting on the customer's behalf."""
    role = str(_get(ui, "sessioncontext", "sessionissuer", "arn") or _get(ui, "arn") or "")
    text = source or ""
    return bool(
        _get(ui, "type") == "AWSService" or _get(ui, "invokedby") is not None
        or text.endswith(".amazonaws.com") or text == "AWS Internal" or SERVICE_ROLE in role
    )  # fmt: skip


def agent_family(agent: str | None) -> str | None:
    if agent is None:
        return None
    text = agent.lower()
    for marker, family in AGENT_FAMILIES:
        if marker in text:
            return family
    head = text.lstrip("[").split("/", 1)[0].split(" ", 1)[0]
    return head or None


def source_prefix(source: str | None) -> str | None:
    if source is None:
        return None
    parts = source.split(".")
    if len(parts) == 4 and all(p.isascii() and p.isdigit() and len(p) <= 3 and int(p) <= 255
                               for p in parts):  # fmt: skip
        return ".".join(parts[:3]) + ".0/24"  # as written, as the SQL macro cuts it
    return ipv6_prefix48(source) if ":" in source else source  # a service's name stays


def ipv6_prefix48(source: str | None) -> str | None:
    """The /48 of an IPv6 address (the text as it is when it is not one)."""
    if source is None:
        return None
    try:
        address = ipaddress.IPv6Address(source.split("%", 1)[0])
    except ValueError:
        return source
    return str(ipaddress.ip_network(f"{address}/48", strict=False))


def _first(*values: Any) -> str | None:
    return next((str(v) for v in values if v is not None), None)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# The same definitions as DuckDB macros (the engine creates them; detections call them).
MACROS: Final = (
    "CREATE OR REPLACE MACRO ct_actor(ui) AS CASE "
    "WHEN ui.type IN ('AssumedRole', 'FederatedUser') "
    "AND ui.sessioncontext.sessionissuer.arn IS NOT NULL "
    f"AND NOT starts_with(coalesce(ui.sessioncontext.sessionissuer.username, ''), "
    f"{_sql_text(SSO_PREFIX)}) THEN ui.sessioncontext.sessionissuer.arn "
    "WHEN ui.type = 'AWSService' THEN coalesce(ui.invokedby, ui.principalid) "
    "ELSE coalesce(ui.arn, ui.principalid, ui.invokedby, ui.accountid) END",
    "CREATE OR REPLACE MACRO ct_by_aws(ui, src) AS coalesce(ui.type = 'AWSService', false) "
    "OR ui.invokedby IS NOT NULL OR ends_with(coalesce(src, ''), '.amazonaws.com') "
    "OR coalesce(src, '') = 'AWS Internal' OR contains(coalesce(ui.sessioncontext."
    f"sessionissuer.arn, ui.arn, ''), {_sql_text(SERVICE_ROLE)})",
    "CREATE OR REPLACE MACRO ct_agent_family(ua) AS CASE "
    + " ".join(
        f"WHEN contains(lower(ua), {_sql_text(m)}) THEN {_sql_text(f)}" for m, f in AGENT_FAMILIES
    )
    + " ELSE nullif(split_part(split_part(ltrim(lower(ua), '['), '/', 1), ' ', 1), '') END",
    "CREATE OR REPLACE MACRO ct_source_prefix(src) AS CASE "
    "WHEN regexp_full_match(coalesce(src, ''), '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') "
    "AND ipv4_to_int(src) IS NOT NULL THEN "
    "array_to_string(string_split(src, '.')[1:3], '.') || '.0/24' "
    "WHEN contains(coalesce(src, ''), ':') THEN ipv6_prefix48(src) ELSE src END",
)
