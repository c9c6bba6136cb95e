"""Remediation playbooks against moto in server mode on loopback: dry-run records a plan and
changes nothing; apply undoes what the event reports; a rule's playbook target does the same."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from helpers import allow_loopback
from vigil.config import Settings
from vigil.playbooks.plans import PLAYBOOKS, PlanError
from vigil.playbooks.run import Runs, playbook
from vigil.playbooks.units import playbook_units

MOTO_ACCOUNT = "123456789012"  # the account moto's default credentials belong to
UNITS = {u.id: {"title": u.title, "permissions": u.permissions, "case": u.case}
         for u in playbook_units()}  # fmt: skip


@pytest.fixture
def env(aws: str) -> str:
    return aws


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint)


def world(endpoint: str) -> dict[str, str]:
    """Resources for the units' cases, and how to check each playbook's effect."""
    tag = uuid.uuid4().hex[:8]
    s3, trail = client(endpoint, "s3"), client(endpoint, "cloudtrail")
    s3.create_bucket(Bucket=f"trail-bucket-{tag}")
    trail.create_trail(Name=f"org-trail-{tag}", S3BucketName=f"trail-bucket-{tag}")
    iam = client(endpoint, "iam")
    user = f"bob-{tag}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"web-{vpc}", Description="web", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}]}])  # fmt: skip
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[group])["Instances"][0]  # fmt: skip
    return {"trail": f"org-trail-{tag}", "user": user, "key_id": key, "group_id": group, "vpc": vpc,
            "subnet_id": subnet, "instance_id": instance["InstanceId"],
            "eni_id": instance["NetworkInterfaces"][0]["NetworkInterfaceId"]}  # fmt: skip


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in names.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def effect(endpoint: str, name: str, w: dict[str, str]) -> Any:
    """What each playbook changes, read back from AWS."""
    ec2 = client(endpoint, "ec2")
    if name == "reenable-cloudtrail":
        return client(endpoint, "cloudtrail").get_trail_status(Name=w["trail"])["IsLogging"]
    if name == "deactivate-access-key":
        keys = client(endpoint, "iam").list_access_keys(UserName=w["user"])["AccessKeyMetadata"]
        return [k["Status"] for k in keys]
    if name == "revoke-open-ingress":
        [group] = ec2.describe_security_groups(GroupIds=[w["group_id"]])["SecurityGroups"]
        return sorted(r["CidrIp"] for p in group["IpPermissions"] for r in p["IpRanges"])
    if name == "quarantine-instance":
        [res] = ec2.describe_instances(InstanceIds=[w["instance_id"]])["Reservations"]
        return [g["GroupName"] for g in res["Instances"][0]["SecurityGroups"]]
    acl = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [w["subnet_id"]]}]
    )
    return sorted((e["RuleNumber"], e.get("CidrBlock"), e["RuleAction"])
                  for e in acl["NetworkAcls"][0]["Entries"] if not e["Egress"])  # fmt: skip


AFTER = {
    "reenable-cloudtrail": lambda w: True,
    "deactivate-access-key": lambda w: ["Inactive"],
    "revoke-open-ingress": lambda w: ["10.0.0.0/8"],
    "quarantine-instance": lambda w: [f"vigil-quarantine-{w['vpc']}"],
}


def test_every_playbook_has_a_unit() -> None:
    assert set(UNITS) == set(PLAYBOOKS)
    for name, unit in UNITS.items():
        assert unit["title"] and unit["permissions"] and unit["case"]["steps"], name


@pytest.mark.parametrize("name", sorted(PLAYBOOKS))
def test_dry_run_then_apply(home: Settings, env: str, name: str) -> None:
    w = world(env)
    client(env, "cloudtrail").stop_logging(Name=w["trail"])
    case = UNITS[name]["case"]
    event = _fill(case["event"], w)
    options = _fill(case.get("options") or {}, w)
    before = effect(env, name, w)
    plan, results, _ = playbook(home, name, event, endpoint_url=env, options=options)
    assert [f"{s.service}:{s.operation}" for s in plan.steps] == case["steps"]
    assert results == [] and effect(env, name, w) == before  # dry-run changes nothing
    plan, results, _ = playbook(home, name, event, apply=True, endpoint_url=env, options=options)
    assert len(results) == len(plan.steps)
    after = effect(env, name, w)
    if name == "block-address-nacl":
        assert (1, "192.0.2.45/32", "deny") in after and after != before
    else:
        assert after == AFTER[name](w) and after != before
    with Runs(home) as runs:
        recorded = runs.all()
    assert [r.applied for r in recorded] == [True, False]
    assert recorded[1].plan["steps"][0]["operation"] == case["steps"][0].split(":")[1]


def test_events_that_do_not_fit_say_why(home: Settings, env: str) -> None:
    with pytest.raises(PlanError, match="StopLogging"):
        playbook(
            home, "reenable-cloudtrail", {"detail": {"eventName": "CreateUser"}}, endpoint_url=env
        )
    with pytest.raises(PlanError, match=r"nothing to 0\.0\.0\.0/0"):
        playbook(home, "revoke-open-ingress", {"detail": {
            "eventName": "AuthorizeSecurityGroupIngress", "requestParameters": {"groupId": "sg-1",
            "ipPermissions": {"items": [{"ipProtocol": "tcp", "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}}}},
            endpoint_url=env)  # fmt: skip


def test_rule_target_is_dry_run_unless_apply(home: Settings, env: str) -> None:
    from vigil.events.bus import EventStore
    from vigil.events.delivery import Deliveries
    from vigil.events.rules import save_rule

    w = world(env)
    trail = client(env, "cloudtrail")
    trail.stop_logging(Name=w["trail"])
    event = _fill(UNITS["reenable-cloudtrail"]["case"]["event"], w)
    event.update({"id": "evt-stop", "account": MOTO_ACCOUNT, "time": "2026-11-24T11:00:00Z",
                  "resources": [], "version": "0"})  # fmt: skip
    allow_loopback(home.home)  # the operator lets targets reach the AWS endpoint (moto) here
    save_rule(home, {"name": "stop-logging", "pattern": {"detail": {"eventName": ["StopLogging"]}},
                     "targets": [{"id": "plan", "type": "playbook", "playbook": "reenable-cloudtrail",
                                  "endpoint_url": env}]})  # fmt: skip
    from vigil.clock import now_ms

    with EventStore(home) as store:
        store.append(event, now_ms())
    from vigil.api import worker as worker_api

    assert worker_api.one_round(home, now_ms()).delivered == 1
    assert trail.get_trail_status(Name=w["trail"])["IsLogging"] is False
    with Deliveries(home) as queue:
        [audit] = queue.audit()
    assert "planned (dry-run)" in str(audit.excerpt)


@pytest.mark.parametrize(
    ("cidrs", "revoked"),
    [(["208.236.235.254/0", "10.0.0.0/8"], ["208.236.235.254/0"]),
     (["0.0.0.0/0"], ["0.0.0.0/0"]), (["2001:db8::1/0"], ["2001:db8::1/0"])],
)  # fmt: skip
def test_revoke_open_ingress_treats_any_slash_zero_as_the_world(
    cidrs: list[str], revoked: list[str]
) -> None:
    from vigil.playbooks.plans import revoke_open_ingress

    ranges = [{"cidrIpv6" if ":" in c else "cidrIp": c} for c in cidrs]
    v4 = [r for r in ranges if "cidrIp" in r]
    v6 = [r for r in ranges if "cidrIpv6" in r]
    item: dict[str, Any] = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22}
    if v4:
        item["ipRanges"] = {"items": v4}
    if v6:
        item["ipv6Ranges"] = {"items": v6}
    event = {"detail": {"eventName": "AuthorizeSecurityGroupIngress",
                        "requestParameters": {"groupId": "sg-1", "ipPermissions": {"items": [item]}}}}  # fmt: skip
    plan = revoke_open_ingress(event, None)  # type: ignore[arg-type]
    [permission] = plan.steps[0].params["IpPermissions"]
    got = [r.get("CidrIp") or r.get("CidrIpv6") for r in
           permission.get("IpRanges", []) + permission.get("Ipv6Ranges", [])]  # fmt: skip
    assert got == revoked


def test_playbooks_act_in_the_event_account(home: Settings, env: str) -> None:
    """Without a role, an event from another account is refused; with --role the playbook
    assumes arn:aws:iam::<event account>:role/NAME and acts there."""
    member = "111111111111"
    sts = client(env, "sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/vigil-responder",
                            RoleSessionName="setup")["Credentials"]  # fmt: skip
    there = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"], region_name="us-east-1")  # fmt: skip
    tag = uuid.uuid4().hex[:8]
    there.client("s3", endpoint_url=env).create_bucket(Bucket=f"member-trail-{tag}")
    trail = there.client("cloudtrail", endpoint_url=env)
    trail.create_trail(Name=f"member-{tag}", S3BucketName=f"member-trail-{tag}")
    trail.stop_logging(Name=f"member-{tag}")
    event = {"account": member, "region": "us-east-1", "detail": {
        "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
        "recipientAccountId": member, "requestParameters": {"name": f"member-{tag}"}}}  # fmt: skip
    with pytest.raises(PlanError, match=f"the event is from account {member}, but Vigil's "
                                        f"credentials are account {MOTO_ACCOUNT}"):  # fmt: skip
        playbook(home, "reenable-cloudtrail", event, apply=True, endpoint_url=env)
    assert trail.get_trail_status(Name=f"member-{tag}")["IsLogging"] is False
    plan, results, _ = playbook(home, "reenable-cloudtrail", event, apply=True, endpoint_url=env,
                                role="vigil-responder")  # fmt: skip
    assert len(results) == len(plan.steps) == 1
    assert trail.get_trail_status(Name=f"member-{tag}")["IsLogging"] is True


def test_four_eyes_plan_approve_apply_over_the_api(tmp_path: Path, env: str) -> None:
    """An analyst plans (nothing changes), may not approve nor apply an unapproved run; an
    admin approves; the analyst then applies exactly that plan; a second apply is refused.
    Each step is in the audit log with who did it."""
    from helpers import vigil
    from serving import serving

    w = world(env)
    trail = client(env, "cloudtrail")
    trail.stop_logging(Name=w["trail"])
    event = _fill(UNITS["reenable-cloudtrail"]["case"]["event"], w)
    with serving(tmp_path / "home") as server:
        assert vigil(server.home, "users", "create", "ana", "--role", "analyst").returncode == 0
        made = vigil(server.home, "tokens", "create", "--user", "ana", "--json")
        analyst = {"Authorization": "Bearer " + json.loads(made.stdout)["token"]}
        admin = {"Authorization": f"Bearer {server.admin_token}"}
        base = server.url + "/api/v1/playbooks"
        planned = httpx.post(base + "/reenable-cloudtrail/plan", headers=analyst,
                             json={"event": event, "endpoint_url": env})  # fmt: skip
        assert planned.status_code == 200, planned.text
        run = planned.json()["run"]
        assert trail.get_trail_status(Name=w["trail"])["IsLogging"] is False
        early = httpx.post(f"{base}/runs/{run}/apply", headers=analyst)
        assert early.status_code == 409 and "not approved" in early.json()["detail"]["message"]
        assert httpx.post(f"{base}/runs/{run}/approve", headers=analyst).status_code == 403
        approved = httpx.post(f"{base}/runs/{run}/approve", headers=admin).json()
        assert approved["approved_by"] == "admin" and not approved["applied"]
        applied = httpx.post(f"{base}/runs/{run}/apply", headers=analyst)
        assert applied.status_code == 200, applied.text
        assert applied.json()["applied_by"] == "ana" and len(applied.json()["results"]) == 1
        assert trail.get_trail_status(Name=w["trail"])["IsLogging"] is True
        again = httpx.post(f"{base}/runs/{run}/apply", headers=admin)
        assert again.status_code == 409 and "applied already" in again.json()["detail"]["message"]
        assert httpx.post(f"{base}/runs/999/approve", headers=admin).status_code == 404
        audit = json.loads(vigil(server.home, "audit", "--json").stdout)
        entries = [(e["user"], e["action"], e["target"]) for e in audit]
        for expected in [("ana", "playbooks.plan", "reenable-cloudtrail"),
                         ("admin", "playbooks.approve", str(run)),
                         ("ana", "playbooks.apply", str(run))]:  # fmt: skip
            assert expected in entries, entries
