"""Snapshot and AMI sharing: public only when the group all is added; sharing with an account
outside the organization is its own finding, the organization known from the posture snapshot
or a configured account list."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ct_record, trail_file, trail_key, vigil, write_gz


def share(eid: str, minute: int, user_id: str) -> dict[str, object]:
    return ct_record(
        eventID=eid, eventTime=f"2024-03-01T10:{minute:02d}:00Z", eventSource="ec2.amazonaws.com",
        eventName="ModifySnapshotAttribute", recipientAccountId="111122223333",
        requestParameters={"snapshotId": f"snap-{eid}", "attributeType": "CREATE_VOLUME_PERMISSION",
                           "createVolumePermission": {"add": {"items": [{"userId": user_id}]}}},
        responseElements={"_return": True},
    )  # fmt: skip


def outside(home: Path) -> list[str]:
    assert vigil(home, "detect").returncode == 0
    found = json.loads(vigil(home, "findings", "list", "--type", "*OutsideOrganization",
                             "--json").stdout)  # fmt: skip
    return sorted(f["resource_id"] for f in found)


def test_the_organization_comes_from_posture_and_the_account_list(tmp_path: Path) -> None:
    src = tmp_path / "src"
    records = [share("a", 0, "444455556666"), share("b", 1, "777788889999"),
               share("c", 2, "999900001111")]  # fmt: skip
    write_gz(trail_key(src), trail_file(records))
    home = tmp_path / "home"
    assert vigil(home, "ingest", str(src)).returncode == 0
    assert outside(home) == ["snap-a", "snap-b", "snap-c"]  # nothing says these are ours
    snap = tmp_path / "posture" / "444455556666" / "us-east-1"
    snap.mkdir(parents=True)
    (snap / "cloudtrail-describe-trails.json").write_text('{"trailList": []}')
    listed = tmp_path / "org.txt"
    listed.write_text("777788889999\n")
    home2 = tmp_path / "home2"  # the same, known before the first detection
    for args in (["ingest", str(src)], ["posture", "import", str(tmp_path / "posture")],
                 ["intel", "add", str(listed), "--accounts"]):  # fmt: skip
        assert vigil(home2, *args).returncode == 0
    assert outside(home2) == ["snap-c"]
