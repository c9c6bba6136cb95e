"""AnyCompany's organization as data: accounts, regions, networks, flow logs and the trail.

Instance A1's ENI has flow log fl-aaa (ACCEPT only, to S3); subnet B has fl-bbb (ALL, to
CloudWatch Logs); instance A2 has none, as in the seed's example. The development VPC in Sydney
has a VPC-wide flow log with a custom v5 format in Hive-compatible hourly partitions, and the
production VPC in Sydney delivers Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ORG_ID: Final = "o-anyco12345"
BUCKET: Final = "anycompany-log-archive"
TRAIL: Final = "anycompany-org-trail"
CUSTOMER_BUCKET: Final = "anycompany-customer-data"  # production, us-east-1: the app's data
ACCESS_LOG_BUCKET: Final = "anycompany-access-logs"  # its server access logs (partitioned)
SECURITY, PRODUCTION, DEVELOPMENT = "111111111111", "222222222222", "333333333333"
ACCOUNTS: Final = {SECURITY: "security", PRODUCTION: "production", DEVELOPMENT: "development"}
REGIONS: Final = ("us-east-1", "ap-southeast-2")

V5_FORMAT: Final = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} "
    "${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} "
    "${az-id} ${flow-direction} ${traffic-path} ${pkt-dst-aws-service}"
)


@dataclass(frozen=True)
class Instance:
    name: str
    instance_id: str
    eni: str
    ip: str
    subnet: str
    role: str  # what it does, which shapes its traffic


@dataclass(frozen=True)
class Network:
    account: str
    region: str
    vpc_id: str
    cidr: str
    instances: tuple[Instance, ...]


@dataclass(frozen=True)
class FlowLog:
    flow_log_id: str
    network: Network
    enis: tuple[str, ...]  # the interfaces it covers
    traffic: str  # ACCEPT | REJECT | ALL
    destination: str  # s3 | cloudwatch | s3-parquet | s3-hive-hourly
    fmt: str | None = None  # custom LogFormat; None = default v2


PROD_USE1: Final = Network(
    PRODUCTION,
    "us-east-1",
    "vpc-0a11ce0000000001",
    "10.0.0.0/16",
    (
        Instance(
            "A1",
            "i-0a1000000000000a1",
            "eni-0a1000000000000a1",
            "10.0.1.10",
            "subnet-0aaa0000000000001",
            "app",
        ),
        Instance(
            "A2",
            "i-0a2000000000000a2",
            "eni-0a2000000000000a2",
            "10.0.1.20",
            "subnet-0aaa0000000000001",
            "app",
        ),
        Instance(
            "B1",
            "i-0b1000000000000b1",
            "eni-0b1000000000000b1",
            "10.0.2.10",
            "subnet-0bbb0000000000002",
            "web",
        ),
        Instance(
            "B2",
            "i-0b2000000000000b2",
            "eni-0b2000000000000b2",
            "10.0.2.20",
            "subnet-0bbb0000000000002",
            "windows",
        ),
        Instance(
            "B3",
            "i-0b3000000000000b3",
            "eni-0b3000000000000b3",
            "10.0.2.30",
            "subnet-0bbb0000000000002",
            "db",
        ),
    ),
)
DEV_APSE2: Final = Network(
    DEVELOPMENT,
    "ap-southeast-2",
    "vpc-0dev00000000000d1",
    "10.20.0.0/16",
    (
        Instance(
            "D1",
            "i-0d1000000000000d1",
            "eni-0d1000000000000d1",
            "10.20.1.10",
            "subnet-0ddd0000000000001",
            "bastion",
        ),
        Instance(
            "D2",
            "i-0d2000000000000d2",
            "eni-0d2000000000000d2",
            "10.20.1.20",
            "subnet-0ddd0000000000001",
            "app",
        ),
    ),
)
PROD_APSE2: Final = Network(
    PRODUCTION,
    "ap-southeast-2",
    "vpc-0a11ce0000000002",
    "10.1.0.0/16",
    (
        Instance(
            "S1",
            "i-0s1000000000000c1",
            "eni-0c1000000000000c1",
            "10.1.1.10",
            "subnet-0ccc0000000000001",
            "web",
        ),
    ),
)

NETWORKS: Final = (PROD_USE1, DEV_APSE2, PROD_APSE2)


def instance(name: str) -> Instance:
    return next(i for n in NETWORKS for i in n.instances if i.name == name)


FLOW_LOGS: Final = (
    FlowLog("fl-0aaa0000000000aaa", PROD_USE1, (instance("A1").eni,), "ACCEPT", "s3"),
    FlowLog(
        "fl-0bbb0000000000bbb",
        PROD_USE1,
        tuple(i.eni for i in PROD_USE1.instances if i.subnet == "subnet-0bbb0000000000002"),
        "ALL",
        "cloudwatch",
    ),
    FlowLog(
        "fl-0ccc0000000000ccc",
        DEV_APSE2,
        tuple(i.eni for i in DEV_APSE2.instances),
        "ALL",
        "s3-hive-hourly",
        V5_FORMAT,
    ),
    FlowLog(
        "fl-0ddd0000000000ddd",
        PROD_APSE2,
        tuple(i.eni for i in PROD_APSE2.instances),
        "ALL",
        "s3-parquet",
    ),
)

# Addresses the story uses (documentation ranges, RFC 5737).
ATTACKER_RDP: Final = "198.51.100.200"
ATTACKER_SSH: Final = "203.0.113.77"
SCANNER: Final = "192.0.2.45"
KNOWN_BAD: Final = "203.0.113.250"
STOLEN_CREDS_IP: Final = "198.51.100.77"
MALLORY_IP: Final = "192.0.2.199"
NAT_PUBLIC_IP: Final = "54.210.10.10"
THREAT_LIST: Final = (KNOWN_BAD, "198.51.100.201", "203.0.113.251")
