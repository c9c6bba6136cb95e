"""The lists a user added, as GuardDuty keeps threat-intel and trusted-IP sets: add, list,
remove. Each list is a file under `<home>/intel/<kind>/`; its file name is its id. A threat or
trusted list may hold addresses and domain names, and carry a category and a reputation flag
(`listmeta`), which the DNS detections read to pick their finding type."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from vigil.errors import ConfigError, FormatError
from vigil.inputs import read_text
from vigil.intel.accounts import parse_accounts
from vigil.intel.listmeta import ListMeta, check_category, read_meta, write_meta
from vigil.intel.lists import read_file

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
    domains: int = 0  # of the entries, the domain names (the rest are addresses)
    category: str | None = None
    reputation: bool = False


@dataclass(frozen=True)
class Added:
    kind: str
    name: str
    entries: int
    domains: int
    problems: list[str]
    category: str | None
    reputation: bool


def _parse(kind: str, path: Path) -> tuple[int, int, list[str]]:
    """(entries, of them domain names, problems)."""
    if kind == "accounts":
        ids, problems = parse_accounts(read_text(path, what="an account list"), str(path))
        return len(ids), 0, problems
    parsed = read_file(path)
    return parsed.count, len(parsed.domains), parsed.problems


def _kind(kind: str | None) -> None:
    if kind is not None and kind not in LIST_KINDS:
        raise ConfigError(f"no list kind {kind!r}", hint="threat, trusted or accounts")


def add(
    intel_dir: Path,
    kind: str,
    path: Path,
    category: str | None = None,
    reputation: bool = False,
) -> Added:
    """Check the list, then keep a copy (a list of the same file name is replaced, its
    category and reputation with it)."""
    _kind(kind)
    category = check_category(category)
    if kind == "accounts" and (category or reputation):
        raise ConfigError(
            "an account list has no category or reputation",
            hint="--category and --reputation go with --threat or --trusted",
        )
    count, domains, problems = _parse(kind, path)
    if not count:
        what = "12-digit account id" if kind == "accounts" else "IP address, CIDR or domain name"
        raise FormatError(f"no {what} in the file", source=str(path), hint="one per line")
    target = intel_dir / kind
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target / path.name)
    write_meta(intel_dir, f"{kind}/{path.name}", ListMeta(category, reputation))
    return Added(kind, path.name, count, domains, problems, category, reputation)


def listing(intel_dir: Path) -> list[IntelList]:
    out = []
    meta = read_meta(intel_dir)
    for kind in LIST_KINDS:
        folder = intel_dir / kind
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            count, domains, problems = _parse(kind, path)
            stat = path.stat()
            added = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            about = meta.get(f"{kind}/{path.name}", ListMeta())
            out.append(IntelList(kind, path.name, count, len(problems), stat.st_size, added,
                                 domains, about.category, about.reputation))  # fmt: skip
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
    write_meta(intel_dir, f"{found[0].kind}/{name}", None)
    return found[0]
