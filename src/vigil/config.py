"""Typed settings, loaded once and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("vigil-data")


@dataclass(frozen=True)
class Settings:
    """Where Vigil keeps its data. Every path derives from `home`."""

    home: Path
    engine: str = "duckdb"  # the query engine (VIGIL_ENGINE): duckdb, embedded
    lake: str | None = None  # the lake's URL (VIGIL_LAKE): a local path; default <home>/lake

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

    def ensure(self) -> None:
        for path in (self.home, self.lake_dir, self.staging_dir, self.quarantine_dir):
            path.mkdir(parents=True, exist_ok=True)
