"""Typed settings, loaded once and passed down."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOME = Path("vigil-data")
PRIVATE_UMASK = 0o077  # every file Vigil writes is its owner's alone


@dataclass(frozen=True)
class QueryLimits:
    """What one query may take. The server sets all of them for what clients send (native API,
    console, Insights, evidence: `query_*` in vigil.yaml); the CLI runs its user's own SQL with
    none but the memory limit."""

    seconds: float | None = None  # then it is interrupted
    memory: str | None = None  # DuckDB's memory_limit (it spills to disk beyond)
    max_rows: int | None = None  # rows returned at most; reading stops there
    concurrency: int = 4  # queries at once; a few more wait (up to `seconds`), others refused
    max_bytes: int | None = None  # the rows' size at most (wide rows): reading stops there
    threads: int | None = None  # DuckDB threads per statement (the server's own work too)


@dataclass(frozen=True)
class Settings:
    """Where Vigil keeps its data. Every path derives from `home`."""

    home: Path
    engine: str = "duckdb"  # the query engine (VIGIL_ENGINE): duckdb, embedded
    lake: str | None = None  # the lake's URL (VIGIL_LAKE): a local path; default <home>/lake
    limits: QueryLimits = field(default_factory=QueryLimits)  # for clients' queries

    @classmethod
    def load(cls, home: str | Path | None = None) -> Settings:
        chosen = home or os.environ.get("VIGIL_HOME") or DEFAULT_HOME
        return cls(
            home=Path(chosen).expanduser().absolute(),
            engine=os.environ.get("VIGIL_ENGINE") or "duckdb",
            lake=os.environ.get("VIGIL_LAKE") or None,
        )

    @property
    def content_dir(self) -> Path:
        """The user's own content units, in the layout of the built-in ones."""
        return self.home / "content"

    @property
    def lake_dir(self) -> Path:
        """The lake as a local folder (`file://` URLs and plain paths)."""
        if self.lake:
            return Path(self.lake.removeprefix("file://")).expanduser().absolute()
        return self.home / "lake"

    @property
    def staging_dir(self) -> Path:
        """Temporary files live beside the lake so that rename() stays on one filesystem."""
        return self.home / "staging"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def state_db(self) -> Path:
        return self.home / "state.db"

    @property
    def temp_dir(self) -> Path:
        """Where query engines spill what does not fit their memory limit."""
        return self.home / "tmp"

    def ensure(self) -> None:
        private_files()
        for path in (self.home, self.lake_dir, self.staging_dir, self.quarantine_dir):
            path.mkdir(parents=True, exist_ok=True)
        if self.home.stat().st_mode & 0o077:  # a home made before files were kept private
            self.home.chmod(0o700)


def private_files() -> None:
    """Files and folders Vigil creates from here on are readable by their owner only (state,
    keys, the lake's CloudTrail): the process's umask, set once at start."""
    os.umask(PRIVATE_UMASK)


def tighten(home: Path) -> int:
    """Make every file and folder in the home its owner's alone: what an earlier release left
    readable (state.db at 0644) and what the operator wrote (vigil.yaml, rules, allow-lists,
    which grant targets their reach). Returns how many were changed."""
    changed = 0
    for folder, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            try:
                mode = os.lstat(path).st_mode
                if mode & 0o077 and not os.path.islink(path):
                    os.chmod(path, mode & 0o700)
                    changed += 1
            except OSError:
                continue  # gone meanwhile, or not ours
    return changed


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip


def memory_bytes(text: str) -> int:
    """`512MB`, `2GiB`, `1.5GB` as bytes (ValueError otherwise)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").upper()])
