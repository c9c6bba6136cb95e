"""S3 server access logs of the demo's customer-data bucket (production, us-east-1), delivered
to the access-log bucket with the partitioned prefix and event-time dates (spec §12.4), so a
key says the source account, Region and bucket.

The organization trail logs the bucket's read data events (GetObject); the access log holds
every request. So each CloudTrail data event on the bucket is written again here, with the
same S3 request id (the two logs share it, which is how `s3_requests` keeps a request once),
and the requests only the access log sees are added: the app servers' uploads (A1's and A2's
sessions of app-server-role, through the VPC's gateway endpoint, so from their private
addresses) and the listing the intruder makes with A1's stolen credentials before the bulk
download at 22:15.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from vigil.demo import scenario as sc
from vigil.demo import trail
from vigil.demo.attacks import Truth

PREFIX: Final = "s3-access/"
REGION: Final = "us-east-1"
HOST: Final = f"{sc.CUSTOMER_BUCKET}.s3.{REGION}.amazonaws.com"
OWNER: Final = hashlib.sha256(sc.PRODUCTION.encode()).hexdigest()  # canonical user id
_ROLE: Final = f"arn:aws:sts::{sc.PRODUCTION}:assumed-role/app-server-role"
Line = tuple[datetime, str]


def s3_request_id(event: trail.Event) -> str:
    """S3's own request id (16 hex digits), as an S3 data event's requestID carries it."""
    return uuid.UUID(event["requestID"]).hex[:16].upper()


def adopt_request_ids(events: list[trail.Event]) -> None:
    """Give the trail's S3 data events S3-style request ids (the demo's other events keep
    their UUIDs, as other services' do)."""
    for event in events:
        if event["eventSource"] == "s3.amazonaws.com" and event["eventCategory"] == "Data":
            event["requestID"] = s3_request_id(event)


def _size(key: str) -> int:
    return 2048 + int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 60_000


def line(
    when: datetime,
    ip: str,
    requester: str,
    request_id: str,
    operation: str,
    key: str,
    uri: str,
    agent: str,
    sizes: tuple[str, str],
    status: int = 200,
) -> Line:
    """One record in the 27-field layout of AWS's current examples (Region last)."""
    stamp = when.strftime("[%d/%b/%Y:%H:%M:%S +0000]")
    host_id = base64.b64encode(hashlib.sha512(request_id.encode()).digest()[:57]).decode()
    sent, size = sizes
    total = 8 + int(request_id[-2:], 16) % 40
    text = (
        f"{OWNER} {sc.CUSTOMER_BUCKET} {stamp} {ip} {requester} {request_id} {operation} {key} "
        f'"{uri}" {status} - {sent} {size} {total} {total // 2} "-" "{agent}" - {host_id} SigV4 '
        f"TLS_AES_128_GCM_SHA256 AuthHeader {HOST} TLSv1.3 - - {REGION}"
    )
    return when, text


def mirrored(events: list[trail.Event]) -> list[Line]:
    """The access-log record of each of the trail's data events on the bucket."""
    out = []
    for e in events:
        params = e.get("requestParameters") or {}
        if e["eventCategory"] != "Data" or params.get("bucketName") != sc.CUSTOMER_BUCKET:
            continue
        key = params["key"]
        size = str(_size(key))
        when = datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00"))
        who = e["userIdentity"]["arn"]
        out.append(line(when, e["sourceIPAddress"], who, e["requestID"], "REST.GET.OBJECT", key,
                        f"GET /{key} HTTP/1.1", e["userAgent"], (size, size)))  # fmt: skip
    return out


def uploads(rng: random.Random, day: datetime, n: int) -> list[Line]:
    """The app servers' uploads over the day: A1 and A2, each as its own role session."""
    out = []
    for _ in range(n):
        inst = sc.instance(rng.choice(("A1", "A2")))
        when = day + timedelta(seconds=rng.randrange(86400))
        key = f"uploads/{day:%Y/%m/%d}/{uuid.UUID(int=rng.getrandbits(128))}.json"
        request_id = f"{rng.getrandbits(64):016X}"
        out.append(line(when, inst.ip, f"{_ROLE}/{inst.instance_id}", request_id,
                        "REST.PUT.OBJECT", key, f"PUT /{key} HTTP/1.1", trail.SDK_AGENT,
                        ("-", str(_size(key)))))  # fmt: skip
    return out


def intruder_listing(rng: random.Random, day: datetime) -> list[Line]:
    """`aws s3 sync` lists the prefix before it downloads: one ListObjectsV2 page."""
    when = day.replace(hour=22, minute=14, second=51)
    uri = "GET /?list-type=2&prefix=customers%2F&encoding-type=url HTTP/1.1"
    agent = "aws-cli/2.13.0 Python/3.11.4 Darwin/22.6.0"
    return [line(when, sc.STOLEN_CREDS_IP, f"{_ROLE}/{sc.instance('A1').instance_id}",
                 f"{rng.getrandbits(64):016X}", "REST.GET.BUCKET", "-", uri, agent,
                 ("131072", "-"))]  # fmt: skip


def mass_read_truth(events: list[trail.Event]) -> Truth:
    """The bulk download as the access logs (and the trail) show it."""
    reads = [
        e
        for e in events
        if e["sourceIPAddress"] == sc.STOLEN_CREDS_IP
        and (e.get("requestParameters") or {}).get("bucketName") == sc.CUSTOMER_BUCKET
    ]
    times = sorted(e["eventTime"] for e in reads)
    return Truth("s3-mass-object-read", "Exfiltration:S3/MassObjectRead", "s3_access_logs",
                 sc.PRODUCTION, REGION, times[0], times[-1],
                 f"arn:aws:iam::{sc.PRODUCTION}:role/app-server-role from {sc.STOLEN_CREDS_IP}",
                 f"s3://{sc.CUSTOMER_BUCKET}",
                 f"{len(reads)} customer files read in ten minutes with A1's stolen role "
                 "credentials, in the bucket's server access logs as in the trail.",
                 len(reads))  # fmt: skip


def write(lines: list[Line], root: Path) -> list[Path]:
    """Hourly objects under <prefix><account>/<region>/<bucket>/YYYY/MM/DD/ with event-time
    dates: each name is the event day at 00-00-00 and a unique string."""
    by_hour: dict[datetime, list[Line]] = {}
    for item in lines:
        by_hour.setdefault(item[0].replace(minute=0, second=0, microsecond=0), []).append(item)
    written = []
    for hour, items in sorted(by_hour.items()):
        body = "".join(text + "\n" for _, text in sorted(items)).encode()
        unique = hashlib.sha256(body).hexdigest()[:16].upper()
        folder = root / PREFIX / sc.PRODUCTION / REGION / sc.CUSTOMER_BUCKET / f"{hour:%Y/%m/%d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{hour:%Y-%m-%d}-00-00-00-{unique}"
        path.write_bytes(body)
        written.append(path)
    return written


def generate(
    events: list[trail.Event], rng: random.Random, day: datetime, n: int, root: Path
) -> tuple[int, list[Path], Truth]:
    """Write the day's access logs under `root` (the access-log bucket); the events' S3
    request ids are set first, so call this before the trail is written."""
    adopt_request_ids(events)
    lines = mirrored(events) + uploads(rng, day, n) + intruder_listing(rng, day)
    return len(lines), write(lines, root), mass_read_truth(events)
