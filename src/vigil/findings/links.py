"""Findings that are about the same thing, told by different products: one on the same
resource, in the same account, reporting the same behaviour. Each finding's (behaviour,
resource name) pairs are stored when it is recorded (`finding_links`, indexed by account,
behaviour and resource), so a finding's related ones are one indexed join, not a scan.

Behaviour: GuardDuty's type names (`ThreatPurpose:ResourceType/ThreatFamily.Mechanism!Artifact`,
which Vigil's detections reuse) compared on purpose, resource type and threat family, so the
detection mechanism and artifact suffixes do not matter (`Trojan:EC2/DNSDataExfiltration` ~
`Trojan:EC2/DNSDataExfiltration!DNS`, `Backdoor:EC2/C&CActivity.B!DNS` ~
`Backdoor:EC2/C&CActivity.B`), case-insensitively. Control findings compare on their Security
Hub control id (`control/CloudTrail.1`); any other type compares as it is.

Resource: every name it goes by: the id as given, and the short id inside an ARN or an ASFF
`AWS::` id (`arn:aws:ec2:…:instance/i-0abc` → `i-0abc`, `arn:aws:s3:::logs` → `logs`,
`arn:aws:iam::…:user/ana` → `ana`, an assumed role's ARN → its role name), plus the names
an importer found in the document (a GuardDuty instance's network interfaces, an access key's
user)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from typing import Final

from vigil.model.finding import Finding, FindingKind, Related

_SUFFIX: Final = re.compile(r"[.!]")


def behaviour(f: Finding) -> str:
    """What a finding reports, normalised for comparing across products."""
    control = f.key.get("SecurityControlId") if isinstance(f.key, dict) else None
    if control:
        return f"control/{control}".lower()
    if f.kind is FindingKind.CONTROL:
        return f"control/{f.type.rsplit('/', 1)[-1]}".lower()
    purpose, _, rest = f.type.partition(":")
    resource, slash, family = rest.partition("/")
    if not (purpose and slash and family):
        return f.type.lower()
    return f"{purpose}:{resource}/{_SUFFIX.split(family, maxsplit=1)[0]}".lower()


def names(resource_id: str) -> set[str]:
    """The names one resource id goes by: itself, and the short id an ARN or `AWS::` id holds."""
    text = resource_id.strip()
    if not text:
        return set()
    out = {text}
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        rest = parts[5] if len(parts) == 6 else ""
        if rest.startswith("assumed-role/"):
            out.add(rest.split("/")[1] if rest.count("/") >= 1 else "")
        elif rest:
            out.add(rest.rsplit("/", 1)[-1])
    elif text.startswith("AWS::"):
        out.add(text.rsplit(":", 1)[-1])
    return out - {""}


def write(db: sqlite3.Connection, f: Finding, more: Iterable[str] = ()) -> None:
    """Store a finding's (behaviour, resource name) pairs, replacing what it had."""
    kind = behaviour(f)
    every = names(f.resource_id).union(*(names(n) for n in more))
    db.execute("DELETE FROM finding_links WHERE finding_id = ?", (f.id,))
    db.executemany(
        "INSERT OR IGNORE INTO finding_links VALUES (?, ?, ?, ?)",
        [(f.id, f.account, kind, name) for name in sorted(every)],
    )


_RELATED: Final = """
SELECT f.id, f.product, f.type, f.severity, f.title FROM findings f
WHERE f.id IN (
    SELECT o.finding_id FROM finding_links m JOIN finding_links o
      ON o.account = m.account AND o.behaviour = m.behaviour AND o.resource = m.resource
    WHERE m.finding_id = ? AND o.finding_id != m.finding_id)
  AND f.product != (SELECT product FROM findings WHERE id = ?)
ORDER BY f.severity DESC, f.id
"""


def related(db: sqlite3.Connection, fid: str) -> list[Related]:
    """The other products' findings linked to this one (both ways: the pairs are symmetric)."""
    rows = db.execute(_RELATED, (fid, fid)).fetchall()
    return [Related(str(r[0]), str(r[1]), str(r[2]), float(r[3]), str(r[4])) for r in rows]
