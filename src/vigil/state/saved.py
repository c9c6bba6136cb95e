"""Saved views: a user's named finding filters and log queries (the console's "Save")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from vigil import clock
from vigil.errors import ConfigError
from vigil.state import Store

KINDS: Final = ("findings", "queries")


@dataclass(frozen=True)
class SavedView:
    """A user's named view: what it holds (a finding filter's or a log query's `query`)."""

    name: str
    data: dict[str, Any]


class SavedViews(Store):
    def save(self, kind: str, owner: str, name: str, data: dict[str, Any]) -> None:
        _check(kind, name)
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO saved_views VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, owner, name) "
                "DO UPDATE SET data = excluded.data, created_ms = excluded.created_ms",
                (kind, owner, name.strip(), json.dumps(data, sort_keys=True), clock.now_ms()),
            )

    def listing(self, kind: str, owner: str) -> list[SavedView]:
        rows = self.state.db.execute(
            "SELECT name, data FROM saved_views WHERE kind = ? AND owner = ? ORDER BY name",
            (kind, owner),
        ).fetchall()
        return [SavedView(name, json.loads(data)) for name, data in rows]

    def delete(self, kind: str, owner: str, name: str) -> None:
        with self.state.transaction() as db:
            if not db.execute("DELETE FROM saved_views WHERE kind = ? AND owner = ? AND name = ?",
                              (kind, owner, name)).rowcount:  # fmt: skip
                raise ConfigError(f"no saved {kind} view {name!r}")


def _check(kind: str, name: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"no kind of saved view {kind!r}", hint=", ".join(KINDS))
    if not name.strip() or len(name) > 100:
        raise ConfigError("a saved view needs a name of 1 to 100 characters")
