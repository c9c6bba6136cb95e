"""The lists a user added, as GuardDuty keeps threat-intel and trusted-IP sets: add, list,
remove. Each list is a file under `<home>/intel/<kind>/`; its file name is its id."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from vigil.errors import ConfigError, FormatError
from vigil.inputs import read_text
from vigil.intel.accounts import parse_accounts
from vigil.intel.lists import parse_list

ListKind = Literal["threat", "trusted", "accounts"]
LIST_KINDS: Final[tuple[ListKind, ...]] = ("threat", "trusted", "accounts")


@dataclass(frozen=True)
class IntelList:
    kind: str
    name: str
    entries: int
    problems: int
    bytes: int
    added: str  # ISO 8601, when the file was placed


def _parse(kind: str, path: Path) -> tuple[int, list[str]]:
    text = read_text(path, what="an account list" if kind == "accounts" else "a threat list")
    if kind == "accounts":
        ids, problems = parse_accounts(text, str(path))
        return len(ids), problems
    entries, problems = parse_list(text, str(path))
    return len(entries), problems


def _kind(kind: str | None) -> None:
    if kind is not None and kind not in LIST_KINDS:
        raise ConfigError(f"no list kind {kind!r}", hint="threat, trusted or accounts")


def add(intel_dir: Path, kind: str, path: Path) -> tuple[int, list[str]]:
    """Check the list, then keep a copy (a list of the same file name is replaced)."""
    _kind(kind)
    count, problems = _parse(kind, path)
    if not count:
        what = "12-digit account id" if kind == "accounts" else "IP address or CIDR"
        raise FormatError(f"no {what} in the file", source=str(path), hint="one per line")
    target = intel_dir / kind
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target / path.name)
    return count, problems


def listing(intel_dir: Path) -> list[IntelList]:
    out = []
    for kind in LIST_KINDS:
        folder = intel_dir / kind
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            count, problems = _parse(kind, path)
            stat = path.stat()
            added = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.append(IntelList(kind, path.name, count, len(problems), stat.st_size, added))
    return out


def remove(intel_dir: Path, name: str, kind: str | None = None) -> IntelList:
    """Drop a list by its name; with the same name under two kinds, `kind` says which."""
    _kind(kind)
    lists = listing(intel_dir)
    found = [x for x in lists if x.name == name and kind in (None, x.kind)]
    if not found:
        known = ", ".join(f"{x.kind}/{x.name}" for x in lists) or "none"
        raise ConfigError(f"no intel list {name!r}", hint=f"the lists: {known}")
    if len(found) > 1:
        raise ConfigError(
            f"{name!r} is a {' and a '.join(x.kind for x in found)} list",
            hint="say which with --kind",
        )
    (intel_dir / found[0].kind / name).unlink()
    return found[0]
