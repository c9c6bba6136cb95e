"""Intelligence: threat lists, trusted-IP lists, the organization's accounts, AWS's ranges."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigil.config import Settings
from vigil.intel import catalog
from vigil.intel.aws_ranges import update
from vigil.intel.catalog import Added as Added
from vigil.intel.catalog import IntelList as IntelList
from vigil.intel.geoip import install
from vigil.intel.listmeta import CATEGORIES as CATEGORIES


@dataclass(frozen=True)
class AwsRanges:
    """The ip-ranges.json now in use, by its own stamps."""

    syncToken: str
    createDate: str
    ipv4_prefixes: int
    ipv6_prefixes: int


def add(
    settings: Settings,
    kind: str,
    path: Path,
    category: str | None = None,
    reputation: bool = False,
) -> Added:
    """Add a threat, trusted or organization-account list (checked first): its entries
    (addresses and domain names), and the lines that were skipped with why. A threat or trusted
    list may carry a category (one word, `[a-z0-9-]{1,32}`; CATEGORIES are the ones detections
    read) and be a reputation feed; both are checked here for every shell."""

    settings.ensure()
    return catalog.add(settings.home / "intel", kind, path, category, reputation)


def update_aws_ranges(settings: Settings, path: Path) -> AwsRanges:
    settings.ensure()
    ranges = update(settings.home / "intel", path)
    return AwsRanges(ranges.sync_token, ranges.create_date, len(ranges.v4), ranges.v6)


def listing(settings: Settings) -> list[IntelList]:
    return catalog.listing(settings.home / "intel")


def remove(settings: Settings, name: str, kind: str | None = None) -> IntelList:
    return catalog.remove(settings.home / "intel", name, kind)


@dataclass(frozen=True)
class GeoIPDatabase:
    """A GeoIP database installed into the home."""

    kind: str  # location or asn
    database_type: str
    build_epoch: int
    ip_version: int
    node_count: int
    path: str


def geoip_install(settings: Settings, path: Path) -> GeoIPDatabase:
    """Check an MMDB file and copy it into the home; pages, findings and queries use it."""

    settings.ensure()
    database, target = install(settings.home, path)
    return GeoIPDatabase(database.kind, database.database_type, database.build_epoch,
                         database.ip_version, database.node_count, str(target))  # fmt: skip
