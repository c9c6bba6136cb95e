"""Who acted in a CloudTrail record: the same answer from the SQL macros detections call and
from the Python the streaming path calls, on records of every `userIdentity` type as
CloudTrail writes them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vigil.formats import cloudtrail_identity as who
from vigil.formats.cloudtrail import parse_cloudtrail
from vigil.query.engine import open_engine

ACCOUNT = "111122223333"


def _record(identity: dict[str, Any], source: str | None, agent: str | None) -> dict[str, Any]:
    return {"eventVersion": "1.09", "eventTime": "2026-11-24T10:00:00Z",
            "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
            "awsRegion": "us-east-1", "sourceIPAddress": source, "userAgent": agent,
            "requestParameters": None, "responseElements": None, "eventID": "e",
            "readOnly": True, "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT,
            "userIdentity": identity}  # fmt: skip


ROLE = f"arn:aws:iam::{ACCOUNT}:role/ci-deploy"
SSO = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b"
CASES: list[tuple[str, dict[str, Any], str | None, str | None, tuple[Any, ...]]] = [
    ("iam user", {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
                  "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLE", "userName": "bob"},
     "198.51.100.7", "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2",
     (f"arn:aws:iam::{ACCOUNT}:user/bob", False, "aws-cli", "198.51.100.0/24")),
    ("a CI run's session is its role", {"type": "AssumedRole", "principalId": "AROAEXAMPLE:run-4242",
     "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deploy/run-4242", "accountId": ACCOUNT,
     "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": ROLE,
                                          "accountId": ACCOUNT, "userName": "ci-deploy"},
                        "attributes": {"creationDate": "2026-11-24T09:59:00Z", "mfaAuthenticated": "false"}}},
     "203.0.113.9", "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0",
     (ROLE, False, "terraform", "203.0.113.0/24")),
    ("an Identity Center user is the user's session", {"type": "AssumedRole", "principalId": "AROASSO:ann@example.com",
     "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0a1b/ann@example.com", "accountId": ACCOUNT,
     "sessionContext": {"sessionIssuer": {"type": "Role", "arn": SSO, "accountId": ACCOUNT,
                                          "userName": "AWSReservedSSO_Admin_0a1b"}}},
     "2001:db8:4:5::17", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
     (f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0a1b/ann@example.com", False, "browser",
      "2001:db8:4::/48")),
    ("root", {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT},
     "192.0.2.10", "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12]",
     (f"arn:aws:iam::{ACCOUNT}:root", False, "aws-sdk-java", "192.0.2.0/24")),
    ("an AWS service", {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
     "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com",
     ("cloudtrail.amazonaws.com", True, "cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com")),
    ("a service-linked role", {"type": "AssumedRole", "principalId": "AROACFG:AWSConfig",
     "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe",
     "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "AWSServiceRoleForConfig",
                        "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"}}},
     "config.amazonaws.com", "config.amazonaws.com",
     (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", True,
      "config.amazonaws.com", "config.amazonaws.com")),
    ("a user's call made by CloudFormation", {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
     "accountId": ACCOUNT, "invokedBy": "cloudformation.amazonaws.com", "userName": "bob"},
     "cloudformation.amazonaws.com", "cloudformation.amazonaws.com",
     (f"arn:aws:iam::{ACCOUNT}:user/bob", True, "cloudformation", "cloudformation.amazonaws.com")),
    ("a federated user", {"type": "FederatedUser", "principalId": f"{ACCOUNT}:dev",
     "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/dev", "accountId": ACCOUNT,
     "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/broker",
                                          "userName": "broker"}}},
     "AWS Internal", "Boto3/1.34.0 md/Botocore#1.34.0",
     (f"arn:aws:iam::{ACCOUNT}:user/broker", True, "boto3", "AWS Internal")),
    ("an unknown caller", {"type": "Unknown", "principalId": "", "accountId": "999988887777"},
     None, None, ("", False, None, None)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_sql_and_python_agree_on_who_acted(case: tuple[Any, ...]) -> None:
    _, identity, source, agent, expected = case
    table = parse_cloudtrail(json.dumps({"Records": [_record(identity, source, agent)]}).encode(),
                             "case").table  # fmt: skip
    [row] = table.to_pylist()
    python = (who.actor(row["useridentity"]), who.by_aws(row["useridentity"], source),
              who.agent_family(agent), who.source_prefix(source))  # fmt: skip
    with open_engine(None) as engine:
        engine.load_table("t", table)
        [sql] = engine.rows("SELECT ct_actor(useridentity), ct_by_aws(useridentity, "
                            "sourceipaddress), ct_agent_family(useragent), "
                            "ct_source_prefix(sourceipaddress) FROM t")  # fmt: skip
    assert python == expected
    assert tuple(sql) == expected
