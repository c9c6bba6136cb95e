"""The people, pipelines and services of the benign week (`vigil.demo.benign`), one method each:
the records their normal day leaves in CloudTrail, in the shapes CloudTrail writes."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from vigil.demo import scenario as sc
from vigil.demo.trail import CLI_AGENT, SDK_AGENT, event, role_identity, user_identity

Record = dict[str, Any]
OFFICE = ("203.0.113.10", "203.0.113.11", "203.0.113.12")
HOMES = ("198.51.100.71", "198.51.100.72", "198.51.100.73")
GITHUB = ("192.0.2.140", "192.0.2.141", "192.0.2.142")  # the CI runners' egress
SCANNER_IP = "198.51.100.50"
CONSOLE = "AWS Internal"
BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Safari/605.1.15"
)
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) "
    "terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws)"
)
PEOPLE = {
    sc.PRODUCTION: ("ana@anycompany.example", "ben@anycompany.example", "chen@anycompany.example"),
    sc.DEVELOPMENT: ("dee@anycompany.example", "eli@anycompany.example"),
}
READS = (
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("ec2.amazonaws.com", "DescribeVpcs"),
    ("ec2.amazonaws.com", "DescribeSubnets"),
    ("ec2.amazonaws.com", "DescribeVolumes"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("s3.amazonaws.com", "GetBucketLocation"),
    ("iam.amazonaws.com", "ListRoles"),
    ("iam.amazonaws.com", "GetRole"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("cloudwatch.amazonaws.com", "DescribeAlarms"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("ecs.amazonaws.com", "ListClusters"),
    ("ecs.amazonaws.com", "DescribeServices"),
    ("cloudformation.amazonaws.com", "DescribeStacks"),
    ("kms.amazonaws.com", "ListAliases"),
    ("sns.amazonaws.com", "ListTopics"),
    ("dynamodb.amazonaws.com", "ListTables"),
    ("secretsmanager.amazonaws.com", "ListSecrets"),
    ("ssm.amazonaws.com", "DescribeInstanceInformation"),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers"),
)


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sso(account: str, permission_set: str, person: str) -> Record:
    role = f"AWSReservedSSO_{permission_set}_{_h(permission_set)[:16]}"
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{_h(role)[:17].upper()}:{person}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{person}",
        "accountId": account,
        "accessKeyId": f"ASIA{_h(person + account)[:16].upper()}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{_h(role)[:17].upper()}",
                "arn": f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-16T08:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def linked(account: str, name: str, service: str, session: str) -> Record:
    """A service-linked role's session (AWS acting through it)."""
    issuer = f"arn:aws:iam::{account}:role/aws-service-role/{service}/{name}"
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{_h(name)[:17].upper()}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{session}",
        "accountId": account,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "arn": issuer,
                "accountId": account,
                "principalId": f"AROA{_h(name)[:17].upper()}",
                "userName": name,
            }
        },
        "invokedBy": service,
    }


class Actors:
    def __init__(self, rng: random.Random, account: str, day: datetime) -> None:
        self.rng, self.account, self.day = rng, account, day

    def at(self, hour: float, spread: float = 0.0) -> datetime:
        seconds = hour * 3600 + self.rng.uniform(0, spread * 3600)
        return self.day + timedelta(seconds=min(seconds, 86_399))

    def region(self) -> str:
        return self.rng.choice(sc.REGIONS) if self.rng.random() < 0.2 else "us-east-1"

    def people(self) -> tuple[str, ...]:
        return PEOPLE.get(self.account, ())

    def reads(self, ident: Record, calls: Any, start: datetime, gap: tuple[int, int], ip: str,
              agent: str, **extra: Any) -> Iterator[Record]:  # fmt: skip
        """Read-only calls one after another, `gap` seconds apart (at random between the two)."""
        when = start
        for source, name in calls:
            when += timedelta(seconds=self.rng.randint(*gap))
            yield event(when, self.account, "us-east-1", ident, source, name, ip, agent,
                        read_only=True, **extra)  # fmt: skip

    # -- people -------------------------------------------------------------------------------
    def engineer(self, person: str) -> Iterator[Record]:
        """Signs in through IAM Identity Center, browses the console in bursts (a read-only
        permission set is refused a page now and then), makes a few changes, opens a shell on
        an instance with Session Manager, pushes a key with Instance Connect now and then."""
        if self.day.weekday() >= 5 and self.rng.random() < 0.7:
            return
        ip = self.rng.choice(OFFICE if self.rng.random() < 0.7 else HOMES)
        ident = sso(self.account, "PowerUserAccess", person)
        start = self.at(8.5, 1.5)
        yield event(
            start,
            self.account,
            "us-east-1",
            ident,
            "signin.amazonaws.com",
            "ConsoleLogin",
            ip,
            BROWSER,
            response={"ConsoleLogin": "Success"},
            eventType="AwsConsoleSignIn",
            additionalEventData={
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": "No",
            },
        )
        for burst in range(self.rng.randint(2, 4)):
            when = start + timedelta(hours=burst * 2, minutes=self.rng.randint(0, 40))
            for source, name in self.rng.sample(READS, self.rng.randint(6, 14)):
                when += timedelta(seconds=self.rng.randint(1, 20))
                refused = self.rng.random() < 0.04
                yield event(
                    when,
                    self.account,
                    self.region(),
                    ident,
                    source,
                    name,
                    ip,
                    CONSOLE,
                    read_only=True,
                    sessionCredentialFromConsole="true",
                    error=("AccessDenied", "not authorized") if refused else None,
                )
        change = start + timedelta(hours=3)
        yield event(
            change,
            self.account,
            "us-east-1",
            ident,
            "ec2.amazonaws.com",
            "CreateTags",
            ip,
            CONSOLE,
            params={
                "resourcesSet": {"items": [{"resourceId": "i-0a2000000000000a2"}]},
                "tagSet": {"items": [{"key": "owner", "value": person}]},
            },
            sessionCredentialFromConsole="true",
        )
        yield event(
            change + timedelta(minutes=5),
            self.account,
            "us-east-1",
            ident,
            "ssm.amazonaws.com",
            "PutParameter",
            ip,
            CLI_AGENT,
            params={"name": "/app/feature-flags", "type": "String", "overwrite": True},
            response={"version": self.rng.randint(2, 90), "tier": "Standard"},
        )
        if self.rng.random() < 0.4:
            yield event(
                change + timedelta(minutes=30),
                self.account,
                "us-east-1",
                ident,
                "ssm.amazonaws.com",
                "StartSession",
                ip,
                CLI_AGENT,
                params={"target": "i-0a1000000000000a1"},
                response={"sessionId": f"{person.split('@')[0]}-{_h(str(change))[:17]}"},
            )

    def legacy_cli_users(self) -> Iterator[Record]:
        """Two old IAM users with access keys, from the office, MFA-backed session tokens."""
        for name in ("build-admin", "reporting-bot")[: 1 + (self.account == sc.DEVELOPMENT)]:
            ident = user_identity(self.account, name)
            when = self.at(9, 8)
            yield event(
                when,
                self.account,
                "us-east-1",
                ident,
                "sts.amazonaws.com",
                "GetSessionToken",
                OFFICE[0],
                CLI_AGENT,
                params={
                    "durationSeconds": 43200,
                    "serialNumber": f"arn:aws:iam::{self.account}:mfa/{name}",
                },
                read_only=True,
            )
            yield from self.reads(ident, self.rng.sample(READS, 5), when, (60, 600), OFFICE[0],
                                  CLI_AGENT)  # fmt: skip

    def onboard_read_only_user(self) -> Iterator[Record]:
        """An administrator on-boards a reporting user: read-only policy, an access key."""
        ident = sso(self.account, "AdministratorAccess", "ana@anycompany.example")
        when, ip = self.at(14), OFFICE[1]
        for step, (name, params) in enumerate(
            (
                ("CreateUser", {"userName": "quarterly-report"}),
                (
                    "AttachUserPolicy",
                    {
                        "userName": "quarterly-report",
                        "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                    },
                ),
                ("CreateAccessKey", {"userName": "quarterly-report"}),
            )
        ):
            yield event(
                when + timedelta(minutes=step * 3),
                self.account,
                "us-east-1",
                ident,
                "iam.amazonaws.com",
                name,
                ip,
                CONSOLE,
                params=params,
                sessionCredentialFromConsole="true",
            )

    # -- pipelines ------------------------------------------------------------------------------
    def deployment(self, run: int) -> Iterator[Record]:
        """A GitHub Actions run: web identity into the deploy role, a CloudFormation change set
        (CloudFormation then acts for the stack), an artifact, the function's new code."""
        when = self.at(9 + run * 1.5, 1.0)
        ip = self.rng.choice(GITHUB)
        session = f"GitHubActions-{self.day:%d}{run}{_h(str(when))[:6]}"
        role = role_identity(self.account, "gha-deploy", session, issued=when, ec2=False)
        agent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22"
        yield event(
            when,
            self.account,
            "us-east-1",
            {
                "type": "WebIdentityUser",
                "principalId": f"arn:aws:iam::{self.account}:oidc-provider/"
                "token.actions.githubusercontent.com:"
                "sts.amazonaws.com:repo:anycompany/app:ref:refs/heads/main",
                "userName": "repo:anycompany/app:ref:refs/heads/main",
                "identityProvider": f"arn:aws:iam::{self.account}:oidc-provider/"
                "token.actions.githubusercontent.com",
            },
            "sts.amazonaws.com",
            "AssumeRoleWithWebIdentity",
            ip,
            agent,
            params={
                "roleArn": f"arn:aws:iam::{self.account}:role/gha-deploy",
                "roleSessionName": session,
            },
            read_only=True,
        )
        steps = (
            (
                "cloudformation.amazonaws.com",
                "CreateChangeSet",
                {"stackName": "app", "changeSetName": session},
            ),
            (
                "cloudformation.amazonaws.com",
                "DescribeChangeSet",
                {"stackName": "app", "changeSetName": session},
            ),
            (
                "cloudformation.amazonaws.com",
                "ExecuteChangeSet",
                {"stackName": "app", "changeSetName": session},
            ),
            ("cloudformation.amazonaws.com", "DescribeStacks", {"stackName": "app"}),
            (
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                {
                    "functionName": "thumbnailer",
                    "s3Bucket": "anycompany-artifacts",
                    "s3Key": f"thumbnailer-{session}.zip",
                },
            ),
        )
        for step, (source, name, params) in enumerate(steps):
            yield event(
                when + timedelta(seconds=20 + step * 15),
                self.account,
                "us-east-1",
                role,
                source,
                name,
                ip,
                agent,
                params=params,
                read_only=name.startswith("Describe"),
            )
        as_stack = {**role, "invokedBy": "cloudformation.amazonaws.com"}
        later = when + timedelta(minutes=2)
        yield event(
            later,
            self.account,
            "us-east-1",
            as_stack,
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            "cloudformation.amazonaws.com",
            "cloudformation.amazonaws.com",
            params={"functionName": "thumbnailer", "memorySize": 512},
        )
        if run == 0 and self.day.weekday() == 1:  # the weekly stack change adds a scoped role
            yield event(
                later,
                self.account,
                "us-east-1",
                as_stack,
                "iam.amazonaws.com",
                "CreateRole",
                "cloudformation.amazonaws.com",
                "cloudformation.amazonaws.com",
                params={
                    "roleName": "app-reports-fn",
                    "assumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[{'
                    '"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
                    '"Action":"sts:AssumeRole"}]}',
                },
            )

    def terraform_plans(self) -> Iterator[Record]:
        """Twice a day, a Terraform plan reads the state of everything it manages."""
        for run in range(2):
            when = self.at(7 + run * 8, 1)
            role = role_identity(
                self.account, "terraform-plan", f"tf-{self.day:%d}-{run}", issued=when, ec2=False
            )
            yield from self.reads(role, READS, when, (0, 2), GITHUB[0], TERRAFORM)

    # -- AWS on the customer's behalf -------------------------------------------------------------
    def auto_scaling(self) -> Iterator[Record]:
        ident = linked(
            self.account, "AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com", "AutoScaling"
        )
        for _ in range(self.rng.randint(4, 10)):
            when = self.at(0, 23.9)
            for name in ("RunInstances", "TerminateInstances"):
                params = (
                    {
                        "instancesSet": {
                            "items": [
                                {"imageId": "ami-0a0000000000000a1", "minCount": 1, "maxCount": 1}
                            ]
                        },
                        "instanceType": "m5.large",
                    }
                    if name == "RunInstances"
                    else {"instancesSet": {"items": [{"instanceId": "i-0a3000000000000a3"}]}}
                )
                yield event(
                    when,
                    self.account,
                    "us-east-1",
                    ident,
                    "ec2.amazonaws.com",
                    name,
                    "autoscaling.amazonaws.com",
                    "autoscaling.amazonaws.com",
                    params=params,
                )
                when += timedelta(hours=3)
                when = min(when, self.day + timedelta(seconds=86_399))

    def backups(self) -> Iterator[Record]:
        """AWS Backup snapshots every volume at three and expires last week's at half past."""
        ident = linked(
            self.account,
            "AWSServiceRoleForBackup",
            "backup.amazonaws.com",
            "AWSBackup-AWSServiceRoleForBackup",
        )
        for volume in range(20):
            when = self.at(3) + timedelta(seconds=volume * 7)
            yield event(
                when,
                self.account,
                "us-east-1",
                ident,
                "ec2.amazonaws.com",
                "CreateSnapshot",
                "backup.amazonaws.com",
                "backup.amazonaws.com",
                params={"volumeId": f"vol-0{volume:016x}"},
            )
            yield event(
                when + timedelta(minutes=30),
                self.account,
                "us-east-1",
                ident,
                "ec2.amazonaws.com",
                "DeleteSnapshot",
                "backup.amazonaws.com",
                "backup.amazonaws.com",
                params={"snapshotId": f"snap-0{volume:08x}{self.day:%m%d}0000"},
            )

    def aws_services(self) -> Iterator[Record]:
        """Config recording every hour, Security Hub and Access Analyzer reading, KMS rotating
        its keys once a week: through service-linked roles or as the service itself."""
        config = linked(
            self.account, "AWSServiceRoleForConfig", "config.amazonaws.com", "AWSConfig-Describe"
        )
        hub = linked(
            self.account, "AWSServiceRoleForSecurityHub", "securityhub.amazonaws.com", "securityhub"
        )
        analyzer = linked(
            self.account,
            "AWSServiceRoleForAccessAnalyzer",
            "access-analyzer.amazonaws.com",
            "access-analyzer",
        )
        for hour in range(24):
            for ident, service in (
                (config, "config.amazonaws.com"),
                (hub, "securityhub.amazonaws.com"),
                (analyzer, "access-analyzer.amazonaws.com"),
            ):
                for source, name in self.rng.sample(READS, 3 if hour % 6 else 12):
                    yield event(
                        self.at(hour, 0.9),
                        self.account,
                        self.region(),
                        ident,
                        source,
                        name,
                        service,
                        service,
                        read_only=True,
                    )
        if self.day.weekday() == 0:
            yield event(
                self.at(2),
                self.account,
                "us-east-1",
                {"type": "AWSService", "invokedBy": "kms.amazonaws.com"},
                "kms.amazonaws.com",
                "RotateKey",
                "kms.amazonaws.com",
                "kms.amazonaws.com",
                eventType="AwsServiceEvent",
            )

    def ssm_agents(self) -> Iterator[Record]:
        """Each managed instance's agent reports in every five minutes with its instance role."""
        for n in range(3):
            instance = f"i-0a{n}000000000000a{n}"
            role = role_identity(
                self.account, "app-server-role", instance, issued=self.day, ec2=True
            )
            for slot in range(0, 24 * 12, 3):  # every 15 minutes in the sample
                yield event(
                    self.day + timedelta(minutes=slot * 5, seconds=n * 11),
                    self.account,
                    "us-east-1",
                    role,
                    "ssm.amazonaws.com",
                    "UpdateInstanceInformation",
                    f"10.0.1.{10 + n}",
                    "aws-sdk-go/1.44.327 (go1.20.12; linux; amd64) amazon-ssm-agent/3.3.131.0",
                    params={"instanceId": instance, "agentVersion": "3.3.131.0"},
                )

    def application(self) -> Iterator[Record]:
        """The payments function reads its one database secret (and the chat service calls
        Bedrock) all day; SDK calls from the function's role."""
        fn = role_identity(self.account, "payments-fn-role", "payments", issued=self.day, ec2=False)
        for slot in range(0, 24 * 12, 2):
            yield event(
                self.day + timedelta(minutes=slot * 5),
                self.account,
                "us-east-1",
                fn,
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                "10.0.2.15",
                SDK_AGENT,
                params={"secretId": "prod/payments/db"},
                read_only=True,
            )
        if self.account == sc.PRODUCTION:
            chat = role_identity(
                self.account, "chat-app", "i-0a4000000000000a4", issued=self.day, ec2=True
            )
            for _ in range(80):
                yield event(
                    self.at(7, 14),
                    self.account,
                    "us-east-1",
                    chat,
                    "bedrock.amazonaws.com",
                    "InvokeModel",
                    "10.0.1.40",
                    SDK_AGENT,
                    params={"modelId": "anthropic.claude-3-haiku-20240307-v1:0"},
                    read_only=True,
                )

    # -- the security team ------------------------------------------------------------------------
    def scanner(self) -> Iterator[Record]:
        """A posture scanner assumes its audit role from known addresses every six hours and
        reads everything; a few calls are refused (services the role may not read)."""
        for run in range(4):
            when = self.at(run * 6 + 1)
            role = role_identity(
                self.account, "SecurityAuditScanner", f"scan-{run}", issued=when, ec2=False
            )
            for source, name in READS * 3:
                when += timedelta(seconds=self.rng.randint(0, 3))
                refused = name in ("ListSecrets", "DescribeDBInstances") and self.rng.random() < 0.3
                yield event(
                    when,
                    self.account,
                    self.region(),
                    role,
                    source,
                    name,
                    SCANNER_IP,
                    "Boto3/1.34.80 md/Botocore#1.34.80 ua/2.0 Prowler/3.16.0",
                    read_only=True,
                    error=("AccessDenied", "not authorized") if refused else None,
                )

    def responder(self) -> Iterator[Record]:
        """The security team's responder role, assumed from the security account, looks around
        once a day."""
        when = self.at(10, 6)
        role = role_identity(self.account, "security-responder", "sec-ops", issued=when, ec2=False)
        yield from self.reads(role, self.rng.sample(READS, 8), when, (5, 60), OFFICE[2], CLI_AGENT)

    # -- once a week ----------------------------------------------------------------------------
    def infrequent(self) -> Iterator[Record]:
        """The week's rarer, legitimate changes that look like what detections look for: a
        bucket policy for CloudFront (origin access control) and one for a VPC endpoint, a
        snapshot shared with the organization's other account, an IAM user rotating its own
        key, a console password typed wrong once, an ML engineer's GPU instance."""
        weekday, admin = self.day.weekday(), sso(self.account, "AdministratorAccess", PLATFORM)
        if self.account == sc.PRODUCTION and weekday == 1:
            policy = _oac_policy(self.account)
            yield self._admin(admin, "s3.amazonaws.com", "PutBucketPolicy", policy)
        if self.account == sc.PRODUCTION and weekday == 2:
            yield self._admin(admin, "s3.amazonaws.com", "PutBucketPolicy", _vpce_policy())
        if self.account == sc.PRODUCTION and weekday == 3:
            share = {
                "snapshotId": "snap-0a1b2c3d4e5f60789",
                "attributeType": "CREATE_VOLUME_PERMISSION",
                "createVolumePermission": {"add": {"items": [{"userId": sc.DEVELOPMENT}]}},
            }
            yield self._admin(admin, "ec2.amazonaws.com", "ModifySnapshotAttribute", share)
        if self.account == sc.DEVELOPMENT and weekday == 0:
            yield from self._rotate_own_key("build-admin")
        if self.account == sc.DEVELOPMENT and weekday == 4:
            yield from self._typo_then_sign_in("build-admin")
        if self.account == sc.DEVELOPMENT and weekday == 3:
            yield self._gpu_notebook_instance()

    def _admin(self, ident: Record, source: str, name: str, params: Record) -> Record:
        return event(self.at(15, 2), self.account, "us-east-1", ident, source, name, OFFICE[2],
                     CONSOLE, params=params, sessionCredentialFromConsole="true")  # fmt: skip

    def _rotate_own_key(self, name: str) -> Iterator[Record]:
        ident, when = user_identity(self.account, name), self.at(10, 1)
        new_key = f"AKIA{_h(name + str(self.day))[:16].upper()}"
        steps = (
            ("CreateAccessKey", None, {"accessKey": {"userName": name, "status": "Active",
                                                     "accessKeyId": new_key}}),
            ("UpdateAccessKey", {"accessKeyId": ident["accessKeyId"], "status": "Inactive"}, None),
            ("DeleteAccessKey", {"accessKeyId": ident["accessKeyId"]}, None),
        )  # fmt: skip
        for n, (call, params, response) in enumerate(steps):
            yield event(when + timedelta(minutes=n), self.account, "us-east-1", ident,
                        "iam.amazonaws.com", call, OFFICE[0], CLI_AGENT, params=params,
                        response=response)  # fmt: skip

    def _typo_then_sign_in(self, name: str) -> Iterator[Record]:
        when = self.at(9, 0.5)
        ident = {**user_identity(self.account, name)}
        ident.pop("accessKeyId", None)
        for n, outcome in enumerate(("Failure", "Success")):
            rec = event(
                when + timedelta(seconds=40 * n), self.account, "us-east-1", ident,
                "signin.amazonaws.com", "ConsoleLogin", OFFICE[0], BROWSER,
                response={"ConsoleLogin": outcome}, eventType="AwsConsoleSignIn",
                additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home",
                                     "MobileVersion": "No", "MFAUsed": "Yes"},
            )  # fmt: skip
            if outcome == "Failure":  # a failed sign-in has a message and no error code
                rec["errorMessage"] = "Failed authentication"
            yield rec

    def _gpu_notebook_instance(self) -> Record:
        ident = sso(self.account, "DataScientist", ML_ENGINEER)
        params = {
            "instancesSet": {"items": [{"imageId": "ami-0dl0000000000000a", "minCount": 1,
                                        "maxCount": 1}]},
            "instanceType": "g5.xlarge",
        }  # fmt: skip
        response = {"instancesSet": {"items": [{"instanceId": "i-0f5000000000000f5",
                                                "instanceType": "g5.xlarge"}]}}  # fmt: skip
        return event(self.at(11, 2), self.account, "us-east-1", ident, "ec2.amazonaws.com",
                     "RunInstances", HOMES[1], CONSOLE, params=params, response=response,
                     sessionCredentialFromConsole="true")  # fmt: skip


PLATFORM = "ana@anycompany.example"
ML_ENGINEER = "eli@anycompany.example"
DISTRIBUTION = "E2QWRUHEXAMPLE"


def _oac_policy(account: str) -> Record:
    """CloudFront reading the site's bucket through origin access control, and the usual
    refusal of plain HTTP."""
    bucket = "anycompany-www"
    return {
        "bucketName": bucket,
        "bucketPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": {"StringEquals": {
                        "AWS:SourceArn": f"arn:aws:cloudfront::{account}:distribution/"
                                         f"{DISTRIBUTION}"}},
                },
                _deny_http(bucket),
            ],
        },
        "Host": f"{bucket}.s3.amazonaws.com",
        "policy": "",
    }  # fmt: skip


def _vpce_policy() -> Record:
    """Everyone, but only through the VPC's gateway endpoint."""
    bucket = "anycompany-artifacts"
    return {
        "bucketName": bucket,
        "bucketPolicy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyThroughTheEndpoint",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
                },
                _deny_http(bucket),
            ],
        },
        "Host": f"{bucket}.s3.amazonaws.com",
        "policy": "",
    }


def _deny_http(bucket: str) -> Record:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
