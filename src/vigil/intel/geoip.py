"""`vigil intel geoip FILE`: a GeoIP database the user supplies (MaxMind GeoLite2 City, Country
or ASN, DB-IP lite), checked to be an MMDB file and copied into the home: a location database
as `location.mmdb`, an ASN database as `asn.mmdb` (both may be installed)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vigil.inputs import InputError
from vigil.query.geoip import FILES, Database, describe, folder


def install(home: Path, path: Path) -> tuple[Database, Path]:
    """The database's description and where it now is; an InputError for a missing file or
    one that is not MMDB."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint="give the .mmdb file itself")
    try:
        database = describe(path)
    except ValueError as exc:
        raise InputError(str(exc), source=str(path),
                         hint="download GeoLite2-City.mmdb, GeoLite2-ASN.mmdb or a DB-IP lite "
                         "MMDB file and give its path") from None  # fmt: skip
    target_dir = folder(home)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / FILES[database.kind]
    partial = target.with_suffix(".partial")
    shutil.copyfile(path, partial)
    os.replace(partial, target)  # readers never see half a file
    return database, target
