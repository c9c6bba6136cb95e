"""The embedded attacks: flow records and CloudTrail events, and the ground truth that says
what happened, when, and where a detector should find it."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from vigil import clock
from vigil.demo import scenario as sc
from vigil.demo import trail
from vigil.demo.flows import Columns, burst, replies


@dataclass(frozen=True)
class Truth:
    id: str
    finding_type: str
    table: str
    account: str
    region: str
    start: str
    end: str
    actor: str
    target: str
    description: str
    records: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _at(day: datetime, hh: int, mm: int) -> datetime:
    return day.replace(hour=hh, minute=mm, second=0)


def _iso(t: datetime) -> str:
    return clock.iso(t)


def attack_flows(
    rng: np.random.Generator, day: datetime
) -> tuple[dict[str, list[Columns]], list[Truth]]:
    """Attack records keyed by the ENI they were seen on."""
    flows: dict[str, list[Columns]] = {}
    truths: list[Truth] = []

    def add(inst: sc.Instance, c: Columns, truth: Truth) -> None:
        both = Columns.concat([c, replies(c, rng)])
        flows.setdefault(inst.eni, []).append(both)
        truths.append(truth)

    b2, b1, d1, a1 = (sc.instance(n) for n in ("B2", "B1", "D1", "A1"))
    t = _at(day, 3, 10)
    c = burst(
        rng, b2, sc.ATTACKER_RDP, 420, int(t.timestamp()), 1200, inbound=True, local_port=3389
    )
    add(
        b2,
        c,
        Truth(
            "rdp-brute-force",
            "UnauthorizedAccess:EC2/RDPBruteForce",
            "flow_logs",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t + timedelta(minutes=20)),
            sc.ATTACKER_RDP,
            f"{b2.name} {b2.instance_id} {b2.ip}:3389",
            "Hundreds of short RDP connections from one address to the Windows host in subnet B.",
            len(c),
        ),
    )
    t = _at(day, 9, 41)
    ports = np.arange(1, 1025)
    c = burst(
        rng,
        b1,
        sc.SCANNER,
        len(ports),
        int(t.timestamp()),
        180,
        inbound=True,
        local_port=ports,
        action="REJECT",
        packets=(1, 1),
        flags=2,
    )
    add(
        b1,
        c,
        Truth(
            "port-scan",
            "Recon:EC2/Portscan",
            "flow_logs",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t + timedelta(minutes=3)),
            sc.SCANNER,
            f"{b1.name} {b1.instance_id} {b1.ip}",
            "Ports 1-1024 probed in three minutes; every attempt rejected.",
            len(c),
        ),
    )
    t = _at(day, 14, 5)
    c = burst(rng, d1, sc.ATTACKER_SSH, 300, int(t.timestamp()), 900, inbound=True, local_port=22)
    add(
        d1,
        c,
        Truth(
            "ssh-brute-force",
            "UnauthorizedAccess:EC2/SSHBruteForce",
            "flow_logs",
            sc.DEVELOPMENT,
            "ap-southeast-2",
            _iso(t),
            _iso(t + timedelta(minutes=15)),
            sc.ATTACKER_SSH,
            f"{d1.name} {d1.instance_id} {d1.ip}:22",
            "Hundreds of short SSH sessions (SYN+FIN in one window) against the bastion.",
            len(c),
        ),
    )
    t = _at(day, 20, 30)
    c = burst(
        rng,
        a1,
        sc.KNOWN_BAD,
        24,
        int(t.timestamp()),
        1800,
        inbound=False,
        local_port=rng.integers(32768, 61000, 24),
        remote_port=443,
        packets=(20, 300),
        flags=19,
    )
    add(
        a1,
        c,
        Truth(
            "known-bad-ip",
            "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom",
            "flow_logs",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t + timedelta(minutes=30)),
            a1.instance_id,
            sc.KNOWN_BAD + ":443",
            f"Instance A1 talks to {sc.KNOWN_BAD}, an address on the demo threat list.",
            len(c),
        ),
    )
    return flows, truths


def attack_events(rng: random.Random, day: datetime) -> tuple[list[trail.Event], list[Truth]]:
    events: list[trail.Event] = []
    truths: list[Truth] = []
    mallory = trail.user_identity(sc.PRODUCTION, "mallory")

    t = _at(day, 11, 2)
    events.append(
        trail.event(
            t,
            sc.PRODUCTION,
            "us-east-1",
            mallory,
            "cloudtrail.amazonaws.com",
            "StopLogging",
            sc.MALLORY_IP,
            trail.CLI_AGENT,
            params={"name": f"arn:aws:cloudtrail:us-east-1:{sc.PRODUCTION}:trail/prod-audit"},
        )
    )
    truths.append(
        Truth(
            "stop-logging",
            "Stealth:IAMUser/CloudTrailLoggingDisabled",
            "cloudtrail",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t),
            "mallory",
            "trail prod-audit",
            "IAM user mallory stopped the production account's trail.",
            1,
        )
    )

    t = _at(day, 6, 47)
    root = {
        "type": "Root",
        "principalId": sc.PRODUCTION,
        "arn": f"arn:aws:iam::{sc.PRODUCTION}:root",
        "accountId": sc.PRODUCTION,
        "accessKeyId": "",
    }
    events.append(trail.console_login(t, sc.PRODUCTION, root, sc.MALLORY_IP, mfa=False))
    truths.append(
        Truth(
            "root-login-no-mfa",
            "Policy:IAMUser/RootCredentialUsage",
            "cloudtrail",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t),
            "root",
            "console",
            "The production root user signed in to the console without MFA.",
            1,
        )
    )

    t = _at(day, 16, 20)
    dave = trail.user_identity(sc.DEVELOPMENT, "dave")
    params = {
        "groupId": "sg-0dev0000000000001",
        "ipPermissions": {
            "items": [
                {
                    "ipProtocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "groups": {},
                    "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                    "ipv6Ranges": {},
                    "prefixListIds": {},
                }
            ]
        },
    }
    events.append(
        trail.event(
            t,
            sc.DEVELOPMENT,
            "ap-southeast-2",
            dave,
            "ec2.amazonaws.com",
            "AuthorizeSecurityGroupIngress",
            "203.0.113.11",
            trail.CLI_AGENT,
            params=params,
            response={"_return": True},
        )
    )
    truths.append(
        Truth(
            "sg-open-world",
            "Policy:EC2/SecurityGroupOpenToWorld",
            "cloudtrail",
            sc.DEVELOPMENT,
            "ap-southeast-2",
            _iso(t),
            _iso(t),
            "dave",
            "sg-0dev0000000000001 tcp/22",
            "SSH opened to 0.0.0.0/0 on the development bastion's security group.",
            1,
        )
    )

    t = _at(day, 11, 9)
    events.append(
        trail.event(
            t,
            sc.PRODUCTION,
            "us-east-1",
            mallory,
            "iam.amazonaws.com",
            "CreateAccessKey",
            sc.MALLORY_IP,
            trail.CLI_AGENT,
            params={"userName": "alice"},
            response={
                "accessKey": {
                    "accessKeyId": "AKIAEXAMPLEALICE0002",
                    "status": "Active",
                    "userName": "alice",
                    "createDate": "…",
                }
            },
        )
    )
    truths.append(
        Truth(
            "access-key-other-user",
            "Persistence:IAMUser/AccessKeyCreatedForOtherUser",
            "cloudtrail",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t),
            "mallory",
            "user alice",
            "mallory created an access key for alice.",
            1,
        )
    )

    t = _at(day, 22, 15)
    stolen = trail.role_identity(
        sc.PRODUCTION,
        "app-server-role",
        "i-0a1000000000000a1",
        issued=t - timedelta(minutes=30),
        ec2=True,
    )
    n = 600
    for i in range(n):
        key = f"customers/{i:06d}.json"
        when = t + timedelta(seconds=rng.randrange(600))
        events.append(
            trail.event(
                when,
                sc.PRODUCTION,
                "us-east-1",
                stolen,
                "s3.amazonaws.com",
                "GetObject",
                sc.STOLEN_CREDS_IP,
                "aws-cli/2.13.0 Python/3.11.4 Darwin/22.6.0",
                params={"bucketName": "anycompany-customer-data", "key": key},
                read_only=True,
                category="Data",
                resources=[
                    {
                        "type": "AWS::S3::Object",
                        "ARN": f"arn:aws:s3:::anycompany-customer-data/{key}",
                    }
                ],
            )
        )
    truths.append(
        Truth(
            "stolen-role-bulk-download",
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            "cloudtrail",
            sc.PRODUCTION,
            "us-east-1",
            _iso(t),
            _iso(t + timedelta(minutes=10)),
            f"{sc.STOLEN_CREDS_IP} as app-server-role/i-0a1000000000000a1",
            "s3://anycompany-customer-data",
            "Instance A1's role credentials used from outside AWS to download 600 customer files.",
            n,
        )
    )
    return events, truths


def day_start(day: str) -> datetime:
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
