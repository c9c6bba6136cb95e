"""AWS acting on the customer's behalf is never the actor of a persistence, privilege
escalation or exfiltration finding: every such CloudTrail unit's own positive cases, replayed
with the calls made by an AWS service (userIdentity type AWSService, a source of
*.amazonaws.com) or by a principal through a service (invokedBy, as CloudFormation does for a
stack's owner), raise nothing."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from vigil.detect.harness import run_case
from vigil.detect.units import Case, Unit, load_units

TACTICS = {"persistence", "privilege-escalation", "exfiltration"}
UNITS, _ = load_units()
CHOSEN = [
    (u, c)
    for u in UNITS
    if u.source == "cloudtrail" and TACTICS & set(u.tactics) and u.new_terms is None
    for c in u.cases
    if c.expect
]
SERVICE = "cloudformation.amazonaws.com"


def _records(case: Case, change: Any) -> Case:
    data = copy.deepcopy(case.data)
    for item in data["cloudtrail"]:
        change(item["record"] if isinstance(item, dict) and "record" in item else item)
    return replace(case, data=data, expect=[])


def _as_service(rec: dict[str, Any]) -> None:
    rec["userIdentity"] = {"type": "AWSService", "invokedBy": SERVICE}
    rec["sourceIPAddress"] = SERVICE
    rec["userAgent"] = SERVICE


def _through_service(rec: dict[str, Any]) -> None:
    ident = dict(rec.get("userIdentity") or {"type": "AssumedRole"})
    ident["invokedBy"] = SERVICE
    rec["userIdentity"] = ident
    rec["sourceIPAddress"] = SERVICE
    rec["userAgent"] = SERVICE


def test_the_rule_covers_the_units_it_should() -> None:
    assert len({u.id for u, _ in CHOSEN}) >= 20


@pytest.mark.parametrize("change", [_as_service, _through_service], ids=["AWSService", "invokedBy"])
@pytest.mark.parametrize(("unit", "case"), CHOSEN, ids=[f"{u.id}:{c.name}" for u, c in CHOSEN])
def test_aws_acting_raises_nothing(unit: Unit, case: Case, change: Any) -> None:
    result = run_case(unit, _records(case, change))
    assert result.problem == ""
    assert result.found == [], f"{unit.id} made AWS the actor: {result.found}"
