"""What an object's key tells about it (spec §1.10, §2.5, §11.4, §12.4, §13.3): log type,
account, region, date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

Kind = Literal["flowlogs", "cloudtrail", "digest", "dns", "s3access", "guardduty"]

_FLOW_DIR: Final = re.compile(
    r"AWSLogs/(?:aws-account-id=)?(?P<account>\d{12})/(?:aws-service=)?vpcflowlogs/"
    r"(?:aws-region=)?(?P<region>[a-z0-9-]+)/(?:year=)?(?P<y>\d{4})/(?:month=)?(?P<m>\d{2})/"
    r"(?:day=)?(?P<d>\d{2})/"
)
_FLOW_FILE: Final = re.compile(
    r"(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<flow_log_id>fl-[0-9a-zA-Z]+)_"
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T\d{4}Z_[0-9a-zA-Z]+\.log\.(?:gz|parquet)$"
)
_TRAIL_DIR: Final = re.compile(
    r"AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})/"
    r"(?P<kind>CloudTrail|CloudTrail-Digest|CloudTrail-Insight)/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
)
_TRAIL_FILE: Final = re.compile(
    r"(?P<account>\d{12})_CloudTrail(?P<kind>-Digest|-Insight)?_(?P<region>[a-z0-9-]+)_"
    r"(?:.*_)?(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T\d{4,6}Z(?:_[0-9A-Za-z]+)?\.json(?:\.gz)?$"
)
# Route 53 Resolver query logs: …/AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/yyyy/mm/dd/ and
# files named <vpc-id>_vpcdnsquerylogs_<account>_<yyyymmdd>T<hhmm>Z_<hash>.log.gz. The records
# name their Region; the key does not.
_DNS_DIR: Final = re.compile(
    r"AWSLogs/(?P<account>\d{12})/vpcdnsquerylogs/(?P<vpc>vpc-[0-9a-zA-Z]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
)
_DNS_FILE: Final = re.compile(
    r"(?P<vpc>vpc-[0-9a-zA-Z]+)_vpcdnsquerylogs_(?P<account>\d{12})_"
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T\d{4}Z_[0-9a-zA-Z]+\.log(?:\.gz)?$"
)
# GuardDuty's findings export: …/AWSLogs/<account>/GuardDuty/<region>/yyyy/mm/dd/<uuid>.jsonl.gz
_GUARDDUTY_DIR: Final = re.compile(
    r"AWSLogs/(?P<account>\d{12})/GuardDuty/(?P<region>[a-z0-9-]+)/"
    r"(?:(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/)?"
)
# S3 server access logs: [prefix]yyyy-mm-dd-hh-mm-ss-<unique> (SimplePrefix, the delivery
# time), or [prefix]<account>/<region>/<bucket>/yyyy/mm/dd/yyyy-mm-dd-hh-mm-ss-<unique>
# (PartitionedPrefix: the event day with EventTime, else the delivery day).
_S3_ACCESS_NAME: Final = re.compile(
    r"(?:^|/)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-\d{2}-\d{2}-\d{2}-[0-9A-Za-z]{8,32}$"
)
_S3_ACCESS_PARTS: Final = re.compile(
    r"(?:^|/)(?P<account>\d{12})/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)/[a-z0-9][a-z0-9.\-]{1,62}/"
    r"\d{4}/\d{2}/\d{2}/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-Za-z]{8,32}$"
)

# Any key under AWS's layout names the account, even where the rest is not AWS's (a copy
# reorganised by hand): AWSLogs/<account>/… or AWSLogs/<org-id>/<account>/….
_ACCOUNT_DIR: Final = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})(?:/|$)"
)


@dataclass(frozen=True)
class KeyInfo:
    kind: Kind | None = None
    account: str | None = None
    region: str | None = None
    day: date | None = None
    flow_log_id: str | None = None
    org_id: str | None = None


def parse_key(key: str) -> KeyInfo:
    """Read the AWSLogs layout of a key or path; unknown layouts give an empty KeyInfo."""
    name = key.rsplit("/", 1)[-1]
    flow_file = _FLOW_FILE.search(name)
    flow_dir = _FLOW_DIR.search(key)
    if flow_file or flow_dir:
        match = flow_dir or flow_file
        assert match is not None
        return KeyInfo(
            kind="flowlogs",
            account=match["account"],
            region=match["region"],
            day=_day(match),
            flow_log_id=flow_file["flow_log_id"] if flow_file else None,
        )
    trail_dir = _TRAIL_DIR.search(key)
    trail_file = _TRAIL_FILE.search(name)
    if trail_dir or trail_file:
        match = trail_dir or trail_file
        assert match is not None
        digest = "Digest" in (match["kind"] or "")
        return KeyInfo(
            kind="digest" if digest else "cloudtrail",
            account=match["account"],
            region=match["region"],
            day=_day(match),
            org_id=trail_dir["org"] if trail_dir else None,
        )
    other = _other_layouts(key, name)
    if other is not None:
        return other
    loose = _ACCOUNT_DIR.search(key)
    if loose:
        return KeyInfo(account=loose["account"], org_id=loose["org"])
    return KeyInfo()


def _other_layouts(key: str, name: str) -> KeyInfo | None:
    """Route 53 Resolver query logs, GuardDuty's export and S3 server access logs."""
    dns = _DNS_DIR.search(key) or _DNS_FILE.search(name)
    if dns:
        return KeyInfo(kind="dns", account=dns["account"], day=_day(dns))
    finding = _GUARDDUTY_DIR.search(key)
    if finding:
        day = _day(finding) if finding["y"] else None
        return KeyInfo(kind="guardduty", account=finding["account"], region=finding["region"],
                       day=day)  # fmt: skip
    access = _S3_ACCESS_NAME.search(key)
    if access:
        parts = _S3_ACCESS_PARTS.search(key)
        return KeyInfo(
            kind="s3access",
            account=parts["account"] if parts else None,
            region=parts["region"] if parts else None,
            day=_day(access),
        )
    return None


def _day(match: re.Match[str]) -> date | None:
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
