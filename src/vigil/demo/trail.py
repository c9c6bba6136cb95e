"""CloudTrail records for the demo day: background API activity and the embedded attacks,
written as an organization trail's S3 objects (with hourly digest files beside them)."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from isal import igzip

from vigil import clock
from vigil.demo import scenario as sc
from vigil.trail.sign import Signer, write_chain

Event = dict[str, Any]
_ids = random.Random(0)


def reseed(seed: int) -> None:
    """Make event and request ids repeatable for a given demo seed."""
    _ids.seed(seed)


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


USERS = {
    sc.PRODUCTION: ["alice", "bob", "carol"],
    sc.DEVELOPMENT: ["dave", "erin"],
    sc.SECURITY: ["sec-ops"],
}
CLI_AGENT = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2 prompt/off"
CONSOLE_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0"
SDK_AGENT = "Boto3/1.34.80 md/Botocore#1.34.80 ua/2.0 os/linux#6.1.0 lang/python#3.11.8"
OFFICE_IPS = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]


def _iso(t: datetime) -> str:
    return clock.iso(t)


def user_identity(account: str, user: str) -> Event:
    return {
        "type": "IAMUser",
        "principalId": f"AIDA{_stable(user) % 10**16:016d}",
        "arn": f"arn:aws:iam::{account}:user/{user}",
        "accountId": account,
        "accessKeyId": f"AKIA{_stable(user + account) % 10**16:016d}",
        "userName": user,
    }


def role_identity(account: str, role: str, session: str, *, issued: datetime, ec2: bool) -> Event:
    ctx: Event = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": f"AROA{_stable(role) % 10**16:016d}",
            "arn": f"arn:aws:iam::{account}:role/{role}",
            "accountId": account,
            "userName": role,
        },
        "attributes": {"creationDate": _iso(issued), "mfaAuthenticated": "false"},
    }
    if ec2:
        ctx["ec2RoleDelivery"] = "2.0"
    return {
        "type": "AssumedRole",
        "principalId": f"AROA{_stable(role) % 10**16:016d}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": f"ASIA{_stable(session) % 10**16:016d}",
        "sessionContext": ctx,
    }


def event(
    when: datetime,
    account: str,
    region: str,
    identity: Event | None,
    source: str,
    name: str,
    ip: str,
    agent: str,
    *,
    params: Any = None,
    response: Any = None,
    read_only: bool = False,
    category: str = "Management",
    error: tuple[str, str] | None = None,
    **extra: Any,
) -> Event:
    rec: Event = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": _iso(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": params,
        "responseElements": response,
        "requestID": str(uuid.UUID(int=_ids.getrandbits(128))),
        "eventID": str(uuid.UUID(int=_ids.getrandbits(128))),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": category == "Management",
        "recipientAccountId": account,
        "eventCategory": category,
    }
    if error:
        rec["errorCode"], rec["errorMessage"] = error
    if identity is None:
        del rec["userIdentity"]
    if source != "signin.amazonaws.com":
        rec["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": source.replace(
                ".amazonaws.com", f".{region}.amazonaws.com"
            ),
        }
    rec.update(extra)
    return rec


_READS = [
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("ec2.amazonaws.com", "DescribeVpcs"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("iam.amazonaws.com", "ListUsers"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("cloudtrail.amazonaws.com", "DescribeTrails"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("kms.amazonaws.com", "ListKeys"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
]
_WRITES = [
    (
        "ec2.amazonaws.com",
        "CreateTags",
        {"resourcesSet": {"items": [{"resourceId": "i-0a2000000000000a2"}]}},
    ),
    ("s3.amazonaws.com", "PutBucketTagging", {"bucketName": "anycompany-app-assets"}),
    (
        "logs.amazonaws.com",
        "CreateLogStream",
        {"logGroupName": "/app/web", "logStreamName": "web-1"},
    ),
    ("ssm.amazonaws.com", "PutParameter", {"name": "/app/feature-flags", "overwrite": True}),
    (
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        {"functionName": "thumbnailer"},
    ),
]


def background(rng: random.Random, day: datetime, n: int) -> list[Event]:
    out: list[Event] = []
    app_issued = day - timedelta(hours=2)
    for _ in range(n):
        when = day + timedelta(seconds=rng.randrange(86400))
        account = rng.choice(list(USERS))
        region = rng.choice(sc.REGIONS)
        roll = rng.random()
        if roll < 0.45:
            source, name = rng.choice(_READS)
            denied = rng.random() < 0.03
            error = ("AccessDenied", "User is not authorized") if denied else None
            out.append(_user_call(rng, when, account, region, source, name, {}, True, error))
        elif roll < 0.75:
            # the app servers read customer files through the S3 gateway endpoint
            key = f"customers/{rng.randrange(100000):06d}.json"
            ident = role_identity(
                sc.PRODUCTION, "app-server-role", "i-0a1000000000000a1", issued=app_issued, ec2=True
            )
            out.append(
                event(
                    when,
                    sc.PRODUCTION,
                    "us-east-1",
                    ident,
                    "s3.amazonaws.com",
                    "GetObject",
                    "10.0.1.10",
                    SDK_AGENT,
                    params={"bucketName": "anycompany-customer-data", "key": key},
                    read_only=True,
                    category="Data",
                    vpcEndpointId="vpce-0a11ce00000000001",
                    resources=[
                        {
                            "type": "AWS::S3::Object",
                            "ARN": f"arn:aws:s3:::anycompany-customer-data/{key}",
                        },
                        {
                            "accountId": sc.PRODUCTION,
                            "type": "AWS::S3::Bucket",
                            "ARN": "arn:aws:s3:::anycompany-customer-data",
                        },
                    ],
                )
            )
        elif roll < 0.85:
            source, name, params = rng.choice(_WRITES)
            out.append(_user_call(rng, when, account, region, source, name, params, False, None))
        elif roll < 0.97:
            out.append(
                event(
                    when,
                    account,
                    region,
                    {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
                    "sts.amazonaws.com",
                    "AssumeRole",
                    "ec2.amazonaws.com",
                    "ec2.amazonaws.com",
                    params={
                        "roleArn": f"arn:aws:iam::{account}:role/app-server-role",
                        "roleSessionName": "i-0a1000000000000a1",
                    },
                    response={"credentials": {"accessKeyId": "ASIAEXAMPLE", "expiration": "…"}},
                    resources=[
                        {
                            "ARN": f"arn:aws:iam::{account}:role/app-server-role",
                            "accountId": account,
                            "type": "AWS::IAM::Role",
                        }
                    ],
                )
            )
        else:
            user = rng.choice(USERS[account])
            out.append(
                console_login(
                    when, account, user_identity(account, user), rng.choice(OFFICE_IPS), mfa=True
                )
            )
    return out


def _user_call(
    rng: random.Random,
    when: datetime,
    account: str,
    region: str,
    source: str,
    name: str,
    params: Any,
    read_only: bool,
    error: tuple[str, str] | None,
) -> Event:
    """An IAM user of the account calling an API from the office with the CLI."""
    ident = user_identity(account, rng.choice(USERS[account]))
    return event(
        when,
        account,
        region,
        ident,
        source,
        name,
        rng.choice(OFFICE_IPS),
        CLI_AGENT,
        params=params,
        read_only=read_only,
        error=error,
    )


def console_login(
    when: datetime, account: str, ident: Event, ip: str, *, mfa: bool, ok: bool = True
) -> Event:
    rec = event(
        when,
        account,
        "us-east-1",
        ident,
        "signin.amazonaws.com",
        "ConsoleLogin",
        ip,
        CONSOLE_AGENT,
        response={"ConsoleLogin": "Success" if ok else "Failure"},
        eventType="AwsConsoleSignIn",
        additionalEventData={
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa else "No",
        },
    )
    if not ok:
        rec["errorMessage"] = "Failed authentication"
    return rec


def write(events: list[Event], root: Path, day: datetime) -> list[Path]:
    """Organization-trail layout: AWSLogs/<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/."""
    files: dict[tuple[str, str, datetime], list[Event]] = defaultdict(list)
    for rec in events:
        when = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        delivered = when.replace(minute=when.minute - when.minute % 5, second=0) + timedelta(
            minutes=5
        )
        files[(rec["recipientAccountId"], rec["awsRegion"], delivered)].append(rec)
    written = []
    hourly: dict[tuple[str, str, datetime], list[str]] = defaultdict(list)
    for (account, region, delivered), recs in sorted(files.items()):
        folder = _root(root, account, "CloudTrail", region, delivered)
        unique = uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{region}/{delivered}").hex[:16]
        name = f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%M}Z_{unique}.json.gz"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(
            igzip.compress(json.dumps({"Records": recs}).encode(), 1, mtime=0)
        )
        written.append(folder / name)
        hourly[(account, region, delivered.replace(minute=0))].append(str(folder / name))
    sign_chains(root, hourly, day)
    return written


def _root(root: Path, account: str, kind: str, region: str, when: datetime) -> Path:
    return (
        root
        / "s3"
        / sc.BUCKET
        / "AWSLogs"
        / sc.ORG_ID
        / account
        / kind
        / region
        / f"{when:%Y}"
        / f"{when:%m}"
        / f"{when:%d}"
    )


def signer_for(root: Path) -> Signer:
    """The demo's stand-in for AWS's signing key: made once, kept beside the data, so re-runs
    write the same digests."""
    from cryptography.hazmat.primitives import serialization

    path = root / "trail-signing-key.pem"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return Signer(key)  # type: ignore[arg-type]
    signer = Signer.new()
    path.write_bytes(
        signer.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return signer


def sign_chains(
    root: Path, hourly: dict[tuple[str, str, datetime], list[str]], day: datetime
) -> None:
    """A signed hourly digest chain per account and region, empty hours included, and the
    public key saved as a ListPublicKeys response (`trail-public-keys.json`)."""
    signer = signer_for(root)
    bucket_root = root / "s3" / sc.BUCKET
    for account, region in sorted({(a, r) for a, r, _ in hourly}):
        hours = [
            (
                day + timedelta(hours=h),
                [Path(p) for p in hourly.get((account, region, day + timedelta(hours=h)), [])],
            )
            for h in range(24)
        ]
        write_chain(
            bucket_root,
            sc.BUCKET,
            hours,
            account=account,
            region=region,
            trail=sc.TRAIL,
            home_region="us-east-1",
            signer=signer,
            org=sc.ORG_ID,
        )
    keys = signer.public_keys(day - timedelta(days=30), day + timedelta(days=30))
    (root / "trail-public-keys.json").write_text(json.dumps(keys, indent=2) + "\n")


def tamper(root: Path, day: datetime) -> Path:
    """After delivery someone edits one log file (a quiet development-account hour): the
    digest still holds the original hash, so validation catches it."""
    files = sorted(_root(root, sc.DEVELOPMENT, "CloudTrail", "us-east-1", day).glob("*.json.gz"))
    victim = files[len(files) // 2]
    records = json.loads(igzip.decompress(victim.read_bytes()))  # type: ignore[no-untyped-call]
    records["Records"][0]["sourceIPAddress"] = "10.0.0.1"
    victim.write_bytes(igzip.compress(json.dumps(records).encode(), 1, mtime=0))
    return victim
