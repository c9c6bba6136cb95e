"""New terms: a combination seen for the first time in its history window, measured back from
each record, never before the account's data covers the window; the same answers over the lake
(SQL) and batch by batch against the bounded state a server keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import ct_record, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.detect.new_terms import State, batch_rows_sql, hit_row, seed_sql
from vigil.detect.runner import detection_connection
from vigil.detect.sql import run_unit
from vigil.detect.templates import render
from vigil.detect.units import Unit, UnitError, load_unit
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.state import StateDB

ACCOUNT = "111122223333"
RULE = """title: IAM write
name: iam_write
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: iam.amazonaws.com, readOnly: 'false'}
  failed:
    errorCode|exists: true
  condition: sel and not failed
"""
META = """title: A principal made an IAM change it had not made in three days
type: Persistence:IAMUser/NewIamChange
severity: 4.0
description: x
tactics: [persistence]
source: cloudtrail
logic: new_terms
new_terms: {fields: [actor, eventName], history_days: 3}
cases:
  - name: a new change
    input: {cloudtrail: [{eventVersion: "1.08", eventTime: "2024-03-01T10:00:00Z", eventSource: iam.amazonaws.com, eventName: CreateRole, awsRegion: us-east-1, eventID: a, readOnly: false, recipientAccountId: "111122223333", userIdentity: {type: IAMUser, arn: "arn:aws:iam::111122223333:user/bob"}}]}
    expect: [{eventname: CreateRole}]
  - name: nothing
    input: {cloudtrail: [{eventVersion: "1.08", eventTime: "2024-03-01T10:00:00Z", eventSource: s3.amazonaws.com, eventName: ListBuckets, awsRegion: us-east-1, eventID: b, readOnly: true, recipientAccountId: "111122223333", userIdentity: {type: IAMUser, arn: "arn:aws:iam::111122223333:user/bob"}}]}
    expect: []
"""


@pytest.fixture
def unit(tmp_path: Path) -> Unit:
    folder = tmp_path / "content" / "detections" / "new-iam-change"
    folder.mkdir(parents=True)
    (folder / "rule.yml").write_text(RULE)
    (folder / "detection.yaml").write_text(META)
    return load_unit(folder)


def _role(name: str, session: str) -> dict[str, Any]:
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}",
            "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {
                "type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "userName": name}}}  # fmt: skip


def _user(name: str) -> dict[str, Any]:
    return {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accountId": ACCOUNT}


def _write(ident: str, day: int, hour: int, who: dict[str, Any], name: str) -> dict[str, Any]:
    return ct_record(eventID=ident, eventSource="iam.amazonaws.com", eventName=name,
                     eventTime=f"2024-03-{day:02d}T{hour:02d}:00:00Z", readOnly=False,
                     userIdentity=who, requestParameters={"roleName": "app"})  # fmt: skip


RECORDS = [
    *[_write(f"ci-{d}", d, 9, _role("ci-deploy", f"run-{d}"), "CreateRole") for d in range(1, 7)],
    _write("bob-early", 2, 10, _user("bob"), "CreateUser"),  # new, but the watch is young
    _write("ops-1", 1, 11, _user("ops"), "PutRolePolicy"),
    _write("ops-2", 5, 23, _user("ops"), "PutRolePolicy"),  # again after 4.5 days: new again
    _write("ci-new", 5, 12, _role("ci-deploy", "run-x"), "DeleteRolePolicy"),  # new for the role
    _write("bob-late", 5, 14, _user("bob"), "AttachRolePolicy"),  # new
    _write("bob-again", 6, 8, _user("bob"), "AttachRolePolicy"),  # seen the day before
    {**_write("denied", 5, 15, _user("eve"), "CreateUser"), "errorCode": "AccessDenied"},
]
FIRED = {"ci-new", "ops-2", "bob-late"}


def test_first_sight_over_the_lake(home: Settings, tmp_path: Path, unit: Unit) -> None:
    write_gz(trail_key(tmp_path / "src"), trail_file(RECORDS))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    con = detection_connection(home.lake_dir, None)
    try:
        found = run_unit(
            con, unit, datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 8, tzinfo=UTC)
        )
    finally:
        con.close()
    assert {h.evidence[0] for _, h in found} == FIRED
    keys = {h.evidence[0]: f.key for f, h in found}
    assert keys["ci-new"] == {
        "actor": f"arn:aws:iam::{ACCOUNT}:role/ci-deploy",
        "eventname": "DeleteRolePolicy",
    }  # the role, not its session
    assert len({f.id for f, _ in found}) == 3


def test_batch_by_batch_against_the_state_finds_the_same(
    home: Settings, tmp_path: Path, unit: Unit
) -> None:
    write_gz(trail_key(tmp_path / "src"), trail_file(RECORDS))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    spec, logic = unit.new_terms, unit.sigma
    assert spec is not None and logic is not None
    con = detection_connection(home.lake_dir, None)
    db = StateDB(home.state_db)
    try:
        state = State(db.db)
        start = datetime(2024, 3, 1, tzinfo=UTC)
        last, _ = seed_sql(logic, spec)
        moments = {"until": start, "until_date": start.date()}
        state.seed(unit.id, con.query(render(last, moments)).to_pylist(), [], spec.keys)
        fired: list[str] = []
        for day in range(7):  # a server committing a day at a time
            low, high = start + timedelta(days=day), start + timedelta(days=day + 1)
            rows = con.query(render(batch_rows_sql(logic, spec),
                                    {"since": low, "until": high, "until_date": high.date()})).to_pylist()  # fmt: skip
            fired += [hit_row(unit.title, spec, r)["evidence"][0]
                      for r in state.observe(unit.id, spec, rows)]  # fmt: skip
            state.forget(unit.id, spec, high)
        held = db.db.execute(
            "SELECT count(*) FROM new_terms WHERE unit = ?", (unit.id,)
        ).fetchone()[0]
    finally:
        db.close()
        con.close()
    assert set(fired) == FIRED
    assert held <= 5  # bounded: combinations older than the window are gone


def test_a_new_terms_unit_needs_its_block_and_known_fields(tmp_path: Path) -> None:
    folder = tmp_path / "detections" / "broken"
    folder.mkdir(parents=True)
    (folder / "rule.yml").write_text(RULE)
    (folder / "detection.yaml").write_text(
        META.replace("new_terms: {fields: [actor, eventName], history_days: 3}\n", "")
    )
    with pytest.raises(UnitError, match="new_terms block"):
        load_unit(folder)
    (folder / "detection.yaml").write_text(META.replace("[actor, eventName]", "[actor, nope]"))
    with pytest.raises(UnitError, match="nope"):
        load_unit(folder)
