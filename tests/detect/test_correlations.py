"""Correlations as the Sigma specification defines them, batch and streaming alike: counts over
sliding windows (a burst across a clock boundary is one burst), temporal and temporal_ordered
sequences, base rules named from other files, and `generate`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from helpers import ct_record, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.detect.runner import detection_connection
from vigil.detect.sigma_rules import load_rule
from vigil.detect.sigma_sql import batch_sql, evidence_sql
from vigil.detect.sql import run_unit
from vigil.detect.streaming import StreamMatcher
from vigil.detect.units import Unit, load_units
from vigil.ingest.pipeline import IngestOptions, ingest

DENIED = """title: Denied call
name: denied_call
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    errorCode|contains: Denied
  condition: sel
---
title: Many denials
correlation:
  type: event_count
  rules: [denied_call]
  group-by: [actor]
  timespan: 5m
  condition: {gte: 5}
level: high
"""
ACCOUNT = "111122223333"


def _unit(text: str, group: tuple[str, ...] = ("actor",)) -> Unit:
    template = load_units(ids=["unauthorizedaccess-iamuser-consoleloginspray"])[0][0]
    logic = load_rule(text, "case.yml")
    return replace(template, id="case", sigma=logic, group_by=group,
                   query=batch_sql(logic, group, "case"), evidence=evidence_sql(logic, group))  # fmt: skip


def _run(home: Settings, tmp_path: Path, unit: Unit, records: list[dict[str, Any]]) -> list[Any]:
    write_gz(trail_key(tmp_path / "src"), trail_file(records))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    con = detection_connection(home.lake_dir, None)
    try:
        start = datetime(2024, 3, 1, tzinfo=UTC)
        return run_unit(con, unit, start, start + timedelta(days=1))
    finally:
        con.close()


def _call(ident: str, at: str, user: str = "mallory", **fields: Any) -> dict[str, Any]:
    return ct_record(eventID=ident, eventTime=f"2024-03-01T{at}Z", userIdentity={
        "type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{user}/session-{ident}",
        "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {
            "type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{user}", "userName": user}}},
        **fields)  # fmt: skip


def test_a_burst_across_a_clock_boundary_is_one_burst(home: Settings, tmp_path: Path) -> None:
    """Five denials in four minutes across 10:00 (a fixed 5-minute block holds two and three),
    by one role whose session name changes with every call; later, a second burst."""
    times = ["09:58:00", "09:59:00", "10:00:30", "10:01:00", "10:02:00"]
    later = ["11:00:00", "11:00:10", "11:00:20", "11:00:30", "11:00:40", "11:00:50"]
    records = [_call(f"d{i}", t, errorCode="AccessDenied") for i, t in enumerate(times + later)]
    records += [_call("x", "10:03:00", user="bob", errorCode="AccessDenied")]  # someone else
    unit = _unit(DENIED)
    found = _run(home, tmp_path, unit, records)
    hits = sorted((h.window_start, h.count, f.key["actor"]) for f, h in found)
    role = f"arn:aws:iam::{ACCOUNT}:role/mallory"
    assert hits == [("2024-03-01T09:58:00Z", 5, role), ("2024-03-01T11:00:00Z", 6, role)]
    assert len({f.id for f, _ in found}) == 1  # one finding for the role, two bursts
    fired = StreamMatcher([unit]).match_records(records)
    assert [i for i, f in enumerate(fired) if f] == [4, 9]  # the fifth of each burst, once


ORDERED = """title: New user
name: new_user
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: iam.amazonaws.com, eventName: CreateUser}
  condition: sel
---
title: Administrator policy
name: admin_policy
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: iam.amazonaws.com
    eventName: AttachUserPolicy
    requestParameters.policyArn: arn:aws:iam::aws:policy/AdministratorAccess
  condition: sel
---
title: Access key
name: access_key
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: iam.amazonaws.com, eventName: CreateAccessKey}
  condition: sel
---
title: A new administrator with a key
correlation:
  type: TYPE
  rules: [new_user, admin_policy, access_key]
  group-by: [actor]
  timespan: 1h
level: high
"""


def _steps(*steps: tuple[str, str, str]) -> list[dict[str, Any]]:
    made = {"CreateUser": {"userName": "backup"},
            "AttachUserPolicy": {"userName": "backup",
                                 "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            "CreateAccessKey": {"userName": "backup"}}  # fmt: skip
    return [_call(f"s{i}", at, user, eventSource="iam.amazonaws.com", eventName=name,
                  requestParameters=made[name])
            for i, (name, at, user) in enumerate(steps)]  # fmt: skip


def test_temporal_ordered_links_the_steps_in_one_finding(home: Settings, tmp_path: Path) -> None:
    unit = _unit(ORDERED.replace("TYPE", "temporal_ordered"))
    records = _steps(("CreateUser", "10:00:00", "mallory"),
                     ("AttachUserPolicy", "10:05:00", "mallory"),
                     ("CreateAccessKey", "10:20:00", "mallory"),  # in order, within the hour
                     ("CreateAccessKey", "12:00:00", "eve"),  # eve: out of order ...
                     ("AttachUserPolicy", "12:01:00", "eve"),
                     ("CreateUser", "12:02:00", "eve"),
                     ("CreateUser", "13:00:00", "ops"),  # ops: in order, too slowly
                     ("AttachUserPolicy", "13:30:00", "ops"),
                     ("CreateAccessKey", "14:10:00", "ops"))  # fmt: skip
    found = _run(home, tmp_path, unit, records)
    assert [(f.key["actor"], h.count, h.evidence) for f, h in found] == [
        (f"arn:aws:iam::{ACCOUNT}:role/mallory", 3, ["s0", "s1", "s2"])
    ]
    fired = StreamMatcher([unit]).match_records(records)
    assert [i for i, f in enumerate(fired) if f] == [2]


def test_temporal_in_any_order(home: Settings, tmp_path: Path) -> None:
    unit = _unit(ORDERED.replace("TYPE", "temporal"))
    records = _steps(("CreateAccessKey", "12:00:00", "eve"), ("AttachUserPolicy", "12:01:00", "eve"),
                     ("CreateUser", "12:02:00", "eve"), ("CreateUser", "13:00:00", "ops"))  # fmt: skip
    found = _run(home, tmp_path, unit, records)
    assert [(f.key["actor"], h.window_start) for f, h in found] == [
        (f"arn:aws:iam::{ACCOUNT}:role/eve", "2024-03-01T12:00:00Z")
    ]
    assert [i for i, f in enumerate(StreamMatcher([unit]).match_records(records)) if f] == [2]


def test_a_correlation_names_rules_of_other_units_and_generate_decides_their_findings(
    tmp_path: Path,
) -> None:
    root = tmp_path / "content"
    spray = (Path(__file__).parents[2] / "src/vigil/content/detections"
             / "unauthorizedaccess-iamuser-consoleloginspray" / "detection.yaml").read_text()  # fmt: skip
    base = "\n".join(DENIED.split("---")[0].splitlines()) + "\n"
    corr = DENIED.split("---")[1].replace("rules: [denied_call]", "rules: [denied_call]\n  GEN")
    for name, rule in (("base-denied", base), ("many-denials", corr)):
        folder = root / "detections" / name
        folder.mkdir(parents=True)
        (folder / "rule.yml").write_text(rule)
        (folder / "detection.yaml").write_text(
            spray.replace(
                "type: UnauthorizedAccess:IAMUser/ConsoleLoginPasswordSpray", f"type: Case/{name}"
            )
        )
    for generate, silent in (("generate: false", True), ("generate: true", False)):
        (root / "detections" / "many-denials" / "rule.yml").write_text(
            corr.replace("GEN", generate)
        )
        units, errors = load_units(root)
        assert errors == []
        by_id = {u.id: u for u in units}
        assert by_id["base-denied"].silent is silent
        assert by_id["many-denials"].sigma is not None
        assert by_id["many-denials"].sigma.correlation is not None
