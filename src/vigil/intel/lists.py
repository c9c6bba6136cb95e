"""Threat and trusted IP lists in GuardDuty's plain-text form: one address or CIDR per line,
`#` comments. Kept under <home>/intel/{threat,trusted}/ and loaded into DuckDB as ranges."""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import duckdb
import pyarrow as pa

from vigil.errors import FormatError

Kind = Literal["threat", "trusted"]
KINDS: Final = ("threat", "trusted")


@dataclass(frozen=True)
class Entry:
    network: str
    version: int
    lo: int
    hi: int
    list_name: str


def parse_list(text: str, source: str) -> tuple[list[Entry], list[str]]:
    """Entries and per-line problems (`file:line: …`); bad lines are skipped, not fatal."""
    entries, problems = [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            problems.append(f"{source}:{lineno}: {value!r} is not an IP address or CIDR")
            continue
        entries.append(
            Entry(str(net), net.version, int(net.network_address), int(net.broadcast_address),
                  Path(source).name)
        )  # fmt: skip
    return entries, problems


def add_list(intel_dir: Path, kind: Kind, path: Path) -> tuple[int, list[str]]:
    entries, problems = parse_list(path.read_text(), str(path))
    if not entries:
        raise FormatError(f"{path}: no IP address or CIDR in the file", hint="one per line")
    target = intel_dir / kind
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target / path.name)
    return len(entries), problems


def load(intel_dir: Path, kind: Kind) -> list[Entry]:
    entries: list[Entry] = []
    folder = intel_dir / kind
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            entries += parse_list(path.read_text(), str(path))[0]
    return entries


def register(
    con: duckdb.DuckDBPyConnection,
    intel_dir: Path | None,
    extra: dict[str, list[str]] | None = None,
) -> None:
    """Tables `threat_list` and `trusted_list` (network, version, lo, hi, list_name); IPv4
    ranges compare with `ipv4_to_int(addr) BETWEEN lo AND hi`."""
    for kind in KINDS:
        entries = load(intel_dir, kind) if intel_dir else []
        for value in (extra or {}).get(kind, []):
            entries += parse_list(value, f"case-{kind}")[0]
        table = pa.table(
            {
                "network": pa.array([e.network for e in entries], pa.string()),
                "version": pa.array([e.version for e in entries], pa.int8()),
                "lo": pa.array([e.lo if e.version == 4 else None for e in entries], pa.uint64()),
                "hi": pa.array([e.hi if e.version == 4 else None for e in entries], pa.uint64()),
                "list_name": pa.array([e.list_name for e in entries], pa.string()),
            }
        )
        con.register(f"_{kind}_arrow", table)
        con.execute(f"CREATE OR REPLACE TABLE {kind}_list AS SELECT * FROM _{kind}_arrow")
        con.unregister(f"_{kind}_arrow")
