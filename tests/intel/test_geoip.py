"""GeoIP from an MMDB file the user supplies: `vigil intel geoip FILE` checks and installs it
(a location and an ASN database side by side), refuses a file that is not MMDB with one clear
line, and queries read it through geoip_country(), geoip_asn() and geoip_org()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import vigil
from mmdb_build import write

CITY = {
    "198.51.100.0/24": {"country": {"iso_code": "NL", "names": {"en": "Netherlands"}},
                        "city": {"names": {"en": "Amsterdam"}}},
    "203.0.113.0/25": {"country": {"iso_code": "BR", "names": {"en": "Brazil"}}},
}  # fmt: skip
ASN = {"198.51.100.0/24": {"autonomous_system_number": 64500,
                           "autonomous_system_organization": "Example Hosting BV"}}  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    where = tmp_path / "home"
    where.mkdir()
    return where


def test_a_location_and_an_asn_database_are_installed_side_by_side(
    home: Path, tmp_path: Path
) -> None:
    city = write(tmp_path / "GeoLite2-City.mmdb", CITY, "GeoLite2-City")
    asn = write(tmp_path / "GeoLite2-ASN.mmdb", ASN, "GeoLite2-ASN")
    done = vigil(home, "intel", "geoip", str(city), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["kind"], doc["database_type"], doc["ip_version"]) == ("location",
                                                                     "GeoLite2-City", 4)  # fmt: skip
    assert Path(doc["path"]).read_bytes() == city.read_bytes()
    done = vigil(home, "intel", "geoip", str(asn))
    assert done.returncode == 0, done.stderr
    assert "GeoLite2-ASN" in done.stdout and "asn" in done.stdout
    assert (home / "intel" / "geoip" / "asn.mmdb").is_file()
    assert (home / "intel" / "geoip" / "location.mmdb").is_file()


@pytest.mark.parametrize("content", [b"not a database\n", b"", b"\x00" * 4096])
def test_a_file_that_is_not_mmdb_is_refused_with_one_clear_line(
    home: Path, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "countries.mmdb"
    bad.write_bytes(content)
    done = vigil(home, "intel", "geoip", str(bad))
    assert done.returncode != 0
    assert "is not a MaxMind DB (MMDB) file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (home / "intel" / "geoip" / "location.mmdb").exists()
    missing = vigil(home, "intel", "geoip", str(tmp_path / "nowhere.mmdb"))
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_queries_read_the_database_through_geoip_functions(home: Path, tmp_path: Path) -> None:
    for name, networks, kind in (("c", CITY, "DBIP-City-Lite"), ("a", ASN, "DBIP-ASN-Lite")):
        done = vigil(home, "intel", "geoip", str(write(tmp_path / f"{name}.mmdb", networks, kind)))
        assert done.returncode == 0, done.stderr
    sql = ("SELECT a, geoip_country(a) AS country, geoip_asn(a) AS asn, geoip_org(a) AS org "
           "FROM (VALUES ('198.51.100.77'), ('203.0.113.9'), ('192.0.2.1'), ('not an ip'), "
           "(NULL), ('2001:db8::1')) v(a) ORDER BY a NULLS LAST")  # fmt: skip
    done = vigil(home, "query", sql, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["a"]: r for r in json.loads(done.stdout)}
    assert rows["198.51.100.77"] == {"a": "198.51.100.77", "country": "NL", "asn": 64500,
                                     "org": "Example Hosting BV"}  # fmt: skip
    assert (rows["203.0.113.9"]["country"], rows["203.0.113.9"]["asn"]) == ("BR", None)
    for nothing in ("192.0.2.1", "not an ip", "2001:db8::1", None):
        assert (rows[nothing]["country"], rows[nothing]["asn"]) == (None, None), nothing


def test_without_a_database_the_functions_answer_null(home: Path) -> None:
    done = vigil(home, "query", "SELECT geoip_country('198.51.100.77') AS c", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"c": None}]
