"""Remediation plans: from an event, the AWS calls that undo what it reports.

A plan is a list of steps (service, API operation, parameters, why). Building one may read AWS
(look up an instance's VPC, a subnet's network ACL), never change it; `run` applies the steps
only when asked. Events: "AWS API Call via CloudTrail" (the call to undo) or "GuardDuty
Finding" (the resource or address it names).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from vigil.errors import VigilError

Client = Callable[[str], Any]  # service name → boto3 client


class PlanError(VigilError):
    """The event does not carry what the playbook needs."""


@dataclass(frozen=True)
class Step:
    service: str
    operation: str  # boto3's snake_case method
    params: dict[str, Any]
    why: str


@dataclass
class Plan:
    playbook: str
    summary: str
    steps: list[Step] = field(default_factory=list)


def _detail(event: dict[str, Any]) -> dict[str, Any]:
    detail = event.get("detail", event)
    return detail if isinstance(detail, dict) else {}


def _call(event: dict[str, Any], *names: str) -> dict[str, Any]:
    detail = _detail(event)
    if detail.get("eventName") not in names:
        raise PlanError(
            f"expected a CloudTrail call to {' or '.join(names)}, "
            f"got {detail.get('eventName') or event.get('detail-type')!r}"
        )
    return detail


def reenable_cloudtrail(event: dict[str, Any], client: Client) -> Plan:
    detail = _call(event, "StopLogging", "DeleteTrail", "UpdateTrail")
    name = (detail.get("requestParameters") or {}).get("name")
    if not name:
        raise PlanError("the call names no trail (requestParameters.name)")
    return Plan(
        "reenable-cloudtrail",
        f"start logging on trail {name} again",
        [Step("cloudtrail", "start_logging", {"Name": name}, "StopLogging turned it off")],
    )


def deactivate_access_key(event: dict[str, Any], client: Client) -> Plan:
    detail = _call(event, "CreateAccessKey")
    key = (detail.get("responseElements") or {}).get("accessKey") or {}
    user = key.get("userName") or (detail.get("requestParameters") or {}).get("userName")
    key_id = key.get("accessKeyId")
    if not user or not key_id:
        raise PlanError("the call carries no user name and access key id")
    return Plan(
        "deactivate-access-key",
        f"deactivate access key {key_id} of {user}",
        [
            Step(
                "iam",
                "update_access_key",
                {"UserName": user, "AccessKeyId": key_id, "Status": "Inactive"},
                "created by someone else",
            )
        ],
    )


def _world(cidr: Any) -> bool:
    """Open to the whole internet: any /0, whatever its host bits (208.236.235.254/0)."""
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def revoke_open_ingress(event: dict[str, Any], client: Client) -> Plan:
    detail = _call(event, "AuthorizeSecurityGroupIngress")
    params = detail.get("requestParameters") or {}
    group = params.get("groupId")
    if not group:
        raise PlanError("the call names no security group (requestParameters.groupId)")
    permissions = []
    for item in (params.get("ipPermissions") or {}).get("items") or []:
        v4 = [
            r for r in ((item.get("ipRanges") or {}).get("items") or []) if _world(r.get("cidrIp"))
        ]
        v6 = [
            r
            for r in ((item.get("ipv6Ranges") or {}).get("items") or [])
            if _world(r.get("cidrIpv6"))
        ]
        if not v4 and not v6:
            continue
        permission: dict[str, Any] = {"IpProtocol": str(item.get("ipProtocol", "-1"))}
        if item.get("fromPort") is not None:
            permission["FromPort"] = int(item["fromPort"])
            permission["ToPort"] = int(item.get("toPort", item["fromPort"]))
        if v4:
            permission["IpRanges"] = [{"CidrIp": r["cidrIp"]} for r in v4]
        if v6:
            permission["Ipv6Ranges"] = [{"CidrIpv6": r["cidrIpv6"]} for r in v6]
        permissions.append(permission)
    if not permissions:
        raise PlanError("the call opened nothing to 0.0.0.0/0 or ::/0")
    return Plan(
        "revoke-open-ingress",
        f"revoke the world-open rules of {group}",
        [
            Step(
                "ec2",
                "revoke_security_group_ingress",
                {"GroupId": group, "IpPermissions": permissions},
                "opened to the whole internet",
            )
        ],
    )


def _instance(event: dict[str, Any], client: Client) -> str:
    detail = _detail(event)
    resource = detail.get("resource") or {}
    instance = (resource.get("instanceDetails") or {}).get("instanceId")
    if instance:
        return str(instance)
    rid = str(resource.get("resourceId", ""))
    if rid.startswith("i-"):
        return rid
    if rid.startswith("eni-"):
        found = client("ec2").describe_network_interfaces(NetworkInterfaceIds=[rid])
        attachment = found["NetworkInterfaces"][0].get("Attachment") or {}
        if attachment.get("InstanceId"):
            return str(attachment["InstanceId"])
    raise PlanError("the finding names no instance (resource.instanceDetails or an ENI)")


def quarantine_instance(event: dict[str, Any], client: Client) -> Plan:
    instance = _instance(event, client)
    ec2 = client("ec2")
    reservations = ec2.describe_instances(InstanceIds=[instance])["Reservations"]
    vpc = reservations[0]["Instances"][0]["VpcId"]
    name = f"vigil-quarantine-{vpc}"
    existing = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": [name]}]
    )["SecurityGroups"]
    steps = []
    group = existing[0]["GroupId"] if existing else f"<{name}>"
    if not existing:
        steps.append(
            Step(
                "ec2",
                "create_security_group",
                {
                    "GroupName": name,
                    "VpcId": vpc,
                    "Description": "Vigil quarantine: no traffic in or out",
                },
                "an isolation group with no ingress rule",
            )
        )
        steps.append(
            Step(
                "ec2",
                "revoke_security_group_egress",
                {
                    "GroupId": group,
                    "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
                },
                "and no egress",
            )
        )
    steps.append(
        Step(
            "ec2",
            "modify_instance_attribute",
            {"InstanceId": instance, "Groups": [group]},
            "replace every security group of the instance",
        )
    )
    return Plan("quarantine-instance", f"isolate {instance} in {name}", steps)


def _address(event: dict[str, Any]) -> str:
    detail = _detail(event)
    info = ((detail.get("service") or {}).get("additionalInfo") or {}).get("key") or {}
    for key in ("srcaddr", "remote_ip", "source_ip", "actor"):
        if info.get(key):
            return str(info[key])
    if detail.get("sourceIPAddress"):
        return str(detail["sourceIPAddress"])
    raise PlanError("the event names no address (finding key srcaddr/remote_ip or sourceIPAddress)")


def block_address(event: dict[str, Any], client: Client, subnet: str | None = None) -> Plan:
    address = _address(event)
    ec2 = client("ec2")
    subnet = subnet or str(((_detail(event).get("resource") or {}).get("subnetId")) or "")
    if not subnet:
        raise PlanError("no subnet to protect: set `subnet` on the target")
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )
    if not acls["NetworkAcls"]:
        raise PlanError(f"no network ACL is associated with {subnet}")
    acl = acls["NetworkAcls"][0]
    used = {e["RuleNumber"] for e in acl.get("Entries", []) if not e.get("Egress")}
    number = next(n for n in range(1, 32767) if n not in used)
    cidr = address + ("/128" if ":" in address else "/32")
    block = {"Ipv6CidrBlock": cidr} if ":" in address else {"CidrBlock": cidr}
    return Plan(
        "block-address-nacl",
        f"deny {address} into {subnet} ({acl['NetworkAclId']})",
        [
            Step(
                "ec2",
                "create_network_acl_entry",
                {
                    "NetworkAclId": acl["NetworkAclId"],
                    "RuleNumber": number,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "Egress": False,
                    **block,
                },
                "the lowest free rule number, evaluated before the allows",
            )
        ],
    )


PLAYBOOKS: Final[dict[str, Callable[..., Plan]]] = {
    "reenable-cloudtrail": reenable_cloudtrail,
    "deactivate-access-key": deactivate_access_key,
    "revoke-open-ingress": revoke_open_ingress,
    "quarantine-instance": quarantine_instance,
    "block-address-nacl": block_address,
}
