"""Snapshot and AMI sharing: public only when the group all is added; sharing with an account
outside the organization is its own finding, the organization known from the posture snapshot
or a configured account list."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import ct_record, trail_file, trail_key, vigil, write_gz


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


def test_instance_credentials_from_own_egress_inside_and_outside_aws(tmp_path: Path) -> None:
    """The four cases end to end: the posture snapshot gives the account's NAT gateway and
    instance addresses; AWS's ranges come from `intel aws-ranges update`."""
    session = "arn:aws:sts::111122223333:assumed-role/app-role/i-0a1000000000000a1"

    def call(eid: str, minute: int, ip: str) -> dict[str, object]:
        return ct_record(
            eventID=eid, eventTime=f"2024-03-01T10:{minute:02d}:00Z", sourceIPAddress=ip,
            eventSource="s3.amazonaws.com", eventName="ListBuckets", responseElements=None,
            userIdentity={"type": "AssumedRole", "arn": session, "accountId": "111122223333",
                          "sessionContext": {"ec2RoleDelivery": "2.0", "sessionIssuer": {
                              "type": "Role", "arn": "arn:aws:iam::111122223333:role/app-role"}}},
        )  # fmt: skip

    src = tmp_path / "src"
    write_gz(trail_key(src), trail_file([call("nat", 0, "192.0.2.10"), call("eip", 1, "192.0.2.11"),
                                         call("ec2", 2, "203.0.113.40"), call("far", 3, "198.51.100.99")]))  # fmt: skip
    region = tmp_path / "posture" / "111122223333" / "us-east-1"
    region.mkdir(parents=True)
    (region / "ec2-describe-nat-gateways.json").write_text(json.dumps(
        {"NatGateways": [{"NatGatewayId": "nat-1", "NatGatewayAddresses": [{"PublicIp": "192.0.2.10"}]}]}))  # fmt: skip
    (region / "ec2-describe-instances.json").write_text(json.dumps(
        {"Reservations": [{"Instances": [{"InstanceId": "i-0a1000000000000a1", "PublicIpAddress": "192.0.2.11"}]}]}))  # fmt: skip
    ranges = tmp_path / "ip-ranges.json"
    ranges.write_text(json.dumps({"syncToken": "1709251200", "createDate": "2024-03-01-00-00-00",
        "prefixes": [{"ip_prefix": "203.0.113.0/24", "region": "us-east-1", "service": "EC2",
                      "network_border_group": "us-east-1"}], "ipv6_prefixes": []}))  # fmt: skip
    home = tmp_path / "home"
    for args in (["ingest", str(src)], ["posture", "import", str(tmp_path / "posture")],
                 ["intel", "aws-ranges", "update", str(ranges)], ["detect"]):  # fmt: skip
        done = vigil(home, *args)
        assert done.returncode == 0, (args, done.stderr)
    found = json.loads(vigil(home, "findings", "list", "--type", "*InstanceCredentialExfiltration*",
                             "--json").stdout)  # fmt: skip
    got = sorted((f["type"].rsplit(".", 1)[1], f["key"]["source_ip"]) for f in found)
    assert got == [("InsideAWS", "203.0.113.40"), ("OutsideAWS", "198.51.100.99")]
