"""Tuning a unit without copying it: `<home>/tuning.yaml`.

```yaml
units:
  discovery-iamuser-apienumeration:
    enabled: false
  unauthorizedaccess-iamuser-consoleloginbruteforce:
    parameters: {min_failures: 20}
    exceptions:
      principals: ["arn:aws:iam::111122223333:role/scanner", "arn:aws:iam::*:role/ci-*"]
      addresses: [203.0.113.0/24]
      user_agents: ["*Prowler*"]
      accounts: ["444455556666"]
      tags: {Role: scanner}
```

A principal exception matches the actor (the `userIdentity` ARN, or the role of an
assumed-role session; `*` and `?` as in shell globs); an address is an IP or a CIDR (flow logs:
either end); tags take out records about resources that carry all of them in the newest
posture snapshot (values are globs): flow logs of a tagged instance's interfaces, CloudTrail
calls made with a tagged instance's role or naming only tagged instances and interfaces.
Excepted records make no finding at all. A file that is wrong is one error with
file, line and column, and the last good tuning (kept beside it) stays in force.
"""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from pydantic import Field, field_validator

from vigil.content.kit import ContentError, Strict, read_meta
from vigil.detect.units import Unit

FILE: Final = "tuning.yaml"
KEPT: Final = ".tuning.last-good.yaml"


class Exceptions(Strict):
    principals: list[str] = Field(default_factory=list)
    addresses: list[str] = Field(default_factory=list)
    user_agents: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("addresses")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"{text!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not (str(a).isdigit() and len(str(a)) == 12)]
        if bad:
            raise ValueError(f"{', '.join(map(str, bad))}: an account id has 12 digits")
        return [str(a) for a in value]

    def empty(self) -> bool:
        return not (
            self.principals or self.addresses or self.user_agents or self.accounts or self.tags
        )


class UnitTuning(Strict):
    enabled: bool | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    exceptions: Exceptions = Field(default_factory=Exceptions)


class TuningFile(Strict):
    units: dict[str, UnitTuning] = Field(default_factory=dict)


@dataclass(frozen=True)
class Tuning:
    """The tuning in force, where it came from, and what was wrong with the file if it was."""

    units: dict[str, UnitTuning] = field(default_factory=dict)
    source: str = "none"
    problem: str | None = None  # the file's error (the last good tuning is then in force)


def load(home: Path, path: Path | None = None) -> Tuning:
    """`path` (a candidate file), else `<home>/tuning.yaml`; a file that does not load gives
    the last good one (for `<home>/tuning.yaml`) with the error, or the error alone."""
    chosen = path or home / FILE
    if not chosen.is_file():
        if path is not None:
            raise ContentError("no such file", source=str(path))
        return Tuning()
    try:
        parsed = read_meta(chosen, TuningFile)
    except ContentError as exc:
        if path is not None:
            raise
        kept = home / KEPT
        if kept.is_file():
            try:
                return Tuning(read_meta(kept, TuningFile).units, str(chosen) + " (last good)",
                              str(exc))  # fmt: skip
            except ContentError:
                pass
        return Tuning(problem=str(exc))
    if path is None:
        shutil.copyfile(chosen, home / KEPT)
    return Tuning(parsed.units, str(chosen))


def problems(tuning: Tuning, units: list[Unit]) -> list[str]:
    """Entries naming a unit or a parameter that does not exist."""
    by_id = {u.id: u for u in units}
    found = [tuning.problem] if tuning.problem else []
    for name, entry in tuning.units.items():
        unit = by_id.get(name)
        if unit is None:
            found.append(f"{tuning.source}: units.{name}: no such unit")
            continue
        unknown = sorted(set(entry.parameters) - set(unit.parameters))
        if unknown:
            known = ", ".join(sorted(unit.parameters)) or "none"
            found.append(f"{tuning.source}: units.{name}.parameters: {', '.join(unknown)} is "
                         f"not a parameter of the unit (it has: {known})")  # fmt: skip
    return found


def tuned(unit: Unit, tuning: Tuning) -> Unit:
    """The unit as the tuning sets it: enabled or not, its parameters, its exceptions."""
    entry = tuning.units.get(unit.id)
    if entry is None:
        return unit
    known = {k: v for k, v in entry.parameters.items() if k in unit.parameters}
    return replace(
        unit,
        enabled=unit.enabled if entry.enabled is None else entry.enabled,
        parameters={**unit.parameters, **known},
        exceptions=None if entry.exceptions.empty() else entry.exceptions,
        tuned=tuple(sorted(known)) + (("enabled",) if entry.enabled is not None else ()),
    )


def excepted_sql(unit: Unit) -> str | None:
    """A condition true for the records the unit's exceptions take out (None: none)."""
    rules = unit.exceptions
    if rules is None or not isinstance(rules, Exceptions):
        return None
    flows, s3 = unit.source == "flow_logs", unit.source == "s3_requests"
    parts: list[str] = []
    who, agent = (
        ("principal", "requester") if s3 else ("ct_actor(useridentity)", "useridentity.arn")
    )
    if not flows:
        for glob in rules.principals:
            text = _text(glob)
            parts.append(f"{who} GLOB {text} OR coalesce({agent}, '') GLOB {text}")
        parts += [f"lower(coalesce({'user_agent' if s3 else 'useragent'}, '')) "
                  f"GLOB lower({_text(g)})" for g in rules.user_agents]  # fmt: skip
    columns = ("srcaddr", "dstaddr") if flows else ("remote_ip",) if s3 else ("sourceipaddress",)
    for text in rules.addresses:
        net = ipaddress.ip_network(text, strict=False)
        for column in columns:
            if net.version == 4:
                lo, hi = int(net.network_address), int(net.broadcast_address)
                parts.append(f"ipv4_to_int({column}) BETWEEN {lo} AND {hi}")
            else:
                lo6 = f"{int(net.network_address):032x}"
                hi6 = f"{int(net.broadcast_address):032x}"
                parts.append(f"ipv6_key({column}) BETWEEN '{lo6}' AND '{hi6}'")
    if rules.accounts:
        listed = ", ".join(_text(a) for a in rules.accounts)
        column = "account_id" if flows else "account" if s3 else "recipientaccountid"
        parts.append(f"{column} IN ({listed})")
    if rules.tags and not s3:  # S3 requests name buckets and objects, which tags do not reach
        parts.append(_tagged(rules.tags, flows))
    return " OR ".join(f"({p})" for p in parts) if parts else None


# an instance role's session is named by the instance; requests name instances and interfaces
_SESSION_INSTANCE: Final = r"':assumed-role/[^/]+/(i-[0-9a-f]{8,17})$'"
_NAMED: Final = r"'\b(?:i|eni)-[0-9a-f]{8,17}\b'"


def _tagged(tags: dict[str, str], flows: bool) -> str:
    """Records about resources carrying every one of `tags` (table resource_tags)."""
    each = " OR ".join(f"(key = {_text(k)} AND value GLOB {_text(v)})" for k, v in tags.items())
    tagged = (f"(SELECT resource_id FROM resource_tags WHERE {each} "
              f"GROUP BY resource_id HAVING count(DISTINCT key) = {len(tags)})")  # fmt: skip
    if flows:
        return f"interface_id IN {tagged}"
    named = f"regexp_extract_all(coalesce(CAST(requestparameters AS VARCHAR), ''), {_NAMED})"
    return (f"regexp_extract(coalesce(useridentity.arn, ''), {_SESSION_INSTANCE}, 1) IN {tagged} "
            f"OR (len({named}) > 0 AND list_has_all((SELECT list(resource_id) FROM {tagged}), "
            f"{named}))")  # fmt: skip


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
