"""What an object's key tells about it (spec §1.10, §2.5): log type, account, region, date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

Kind = Literal["flowlogs", "cloudtrail", "digest"]

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
    loose = _ACCOUNT_DIR.search(key)
    if loose:
        return KeyInfo(account=loose["account"], org_id=loose["org"])
    return KeyInfo()


def _day(match: re.Match[str]) -> date | None:
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
