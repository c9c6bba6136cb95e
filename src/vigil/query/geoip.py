"""GeoIP from MMDB files the user supplies (MaxMind GeoLite2 City, Country and ASN; DB-IP lite):
an address's country, city and autonomous system. Installed by `vigil intel geoip FILE` under
`<home>/intel/geoip/` as `location.mmdb` and `asn.mmdb`; read with the `maxminddb` package.

The engine registers `geoip_country(addr)`, `geoip_asn(addr)` and `geoip_org(addr)` for users'
queries (never called by detections: a Python call per row stays off the hot paths)."""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

FOLDER: Final = ("intel", "geoip")
FILES: Final = {"location": "location.mmdb", "asn": "asn.mmdb"}


@dataclass(frozen=True)
class Place:
    country_code: str | None = None
    country: str | None = None
    city: str | None = None
    asn: int | None = None
    as_org: str | None = None

    @property
    def empty(self) -> bool:
        return not any((self.country_code, self.country, self.city, self.asn, self.as_org))


@dataclass(frozen=True)
class Database:
    kind: str  # location or asn
    database_type: str
    build_epoch: int
    ip_version: int
    node_count: int


def folder(home: Path) -> Path:
    return home.joinpath(*FOLDER)


def describe(path: Path) -> Database:
    """What an MMDB file holds; a ValueError when it is not one (a clear line, no trace)."""
    import maxminddb

    try:
        with maxminddb.open_database(str(path)) as reader:
            meta = reader.metadata()
    except (maxminddb.InvalidDatabaseError, ValueError, OSError) as exc:
        raise ValueError(f"{path} is not a MaxMind DB (MMDB) file: {exc}") from None
    kind = "asn" if "asn" in str(meta.database_type).lower() else "location"
    return Database(kind, str(meta.database_type), int(meta.build_epoch),
                    int(meta.ip_version), int(meta.node_count))  # fmt: skip


_lock = threading.Lock()
_open: dict[Path, tuple[float, Any]] = {}  # path → (mtime, reader): opened once per file


def _reader(path: Path) -> Any:
    import maxminddb

    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        held = _open.get(path)
        if held is not None and held[0] == mtime:
            return held[1]
        try:
            reader = maxminddb.open_database(str(path))
        except (maxminddb.InvalidDatabaseError, ValueError, OSError):
            return None
        _open[path] = (mtime, reader)
        return reader


def _get(reader: Any, address: str) -> dict[str, Any]:
    if reader is None:
        return {}
    try:
        found = reader.get(address)
    except ValueError:  # not an address, or IPv6 in an IPv4-only file
        return {}
    return found if isinstance(found, dict) else {}


def _name(record: Any) -> str | None:
    names = record.get("names") if isinstance(record, dict) else None
    value = names.get("en") if isinstance(names, dict) else None
    return str(value) if value else None


def lookup(geo_folder: Path, address: str) -> Place:
    """The address's place in whichever databases are installed (empty when none is)."""
    try:
        text = str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return Place()
    place = _get(_reader(geo_folder / FILES["location"]), text)
    asn = _get(_reader(geo_folder / FILES["asn"]), text) or place  # DB-IP puts both in one
    found = place.get("country")
    country: dict[str, Any] = found if isinstance(found, dict) else {}
    number = asn.get("autonomous_system_number")
    org = asn.get("autonomous_system_organization")
    return Place(
        country_code=str(country["iso_code"]) if country.get("iso_code") else None,
        country=_name(country), city=_name(place.get("city")),
        asn=int(number) if isinstance(number, int) else None,
        as_org=str(org) if org else None,
    )  # fmt: skip


def installed(geo_folder: Path) -> bool:
    return any((geo_folder / name).is_file() for name in FILES.values())


def functions(geo_folder: Path) -> dict[str, tuple[Any, str]]:
    """name → (a Python function of one address, its SQL result type), for the engine."""

    def country(address: str | None) -> str | None:
        return lookup(geo_folder, address).country_code if address else None

    def asn(address: str | None) -> int | None:
        return lookup(geo_folder, address).asn if address else None

    def org(address: str | None) -> str | None:
        return lookup(geo_folder, address).as_org if address else None

    return {"geoip_country": (country, "VARCHAR"), "geoip_asn": (asn, "BIGINT"),
            "geoip_org": (org, "VARCHAR")}  # fmt: skip
