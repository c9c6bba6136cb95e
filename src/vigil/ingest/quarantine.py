"""Keep what could not be ingested, with the reason, under <home>/quarantine/ — and list, show,
retry and purge it.

One folder per source object, named by a hash of its URI (its id): `reason.json` (the reason,
the ingest options it was read with, so a retry can start from them), the rejected records in
`rejected.jsonl`, and the original bytes in `original` when the object as a whole could not be
taken (a retry reads them when the source is gone). An object ingested cleanly later loses its
folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.errors import ConfigError
from vigil.formats.common import Reject
from vigil.lake.manifest import now

REASON = "reason.json"
REJECTED = "rejected.jsonl"
ORIGINAL = "original"


def entry_id(uri: str) -> str:
    return hashlib.sha256(uri.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass
class Entry:
    """One quarantined object."""

    id: str
    uri: str
    reason: str
    status: str  # failed (nothing taken) | partial (some records rejected)
    rejected: int
    at: str
    sha256: str = ""
    attempts: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    has_original: bool = False
    folder: str = ""


def quarantine(
    root: Path,
    uri: str,
    sha256: str,
    reason: str,
    rejects: list[Reject],
    original: bytes | None,
    *,
    status: str = "failed",
    options: dict[str, Any] | None = None,
) -> Path:
    """Keep (or replace) the object's entry; its folder."""
    folder = root / entry_id(uri)
    attempts = 1
    if (folder / REASON).exists():
        attempts = int(_read(folder).get("attempts", 1)) + 1
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "uri": uri,
        "sha256": sha256,
        "reason": reason,
        "status": status,
        "rejected": len(rejects),
        "at": now(),
        "attempts": attempts,
        "options": options or {},
    }
    (folder / REASON).write_text(json.dumps(meta, indent=2) + "\n")
    if rejects:
        with (folder / REJECTED).open("w", encoding="utf-8") as out:
            for r in rejects:
                out.write(json.dumps({"line": r.line, "reason": r.reason, "raw": r.raw}) + "\n")
    if original is not None:
        (folder / ORIGINAL).write_bytes(original)
    return folder


def clear(root: Path, uri: str) -> bool:
    """The object was ingested cleanly: its entry goes. Whether there was one."""
    folder = root / entry_id(uri)
    if not folder.exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def _read(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / REASON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _entry(folder: Path) -> Entry | None:
    meta = _read(folder)
    if "uri" not in meta:
        return None
    return Entry(
        id=folder.name,
        uri=str(meta["uri"]),
        reason=str(meta.get("reason", "")),
        # Entries from before statuses were kept: rejected records mean a partial object.
        status=str(meta.get("status") or ("partial" if meta.get("rejected") else "failed")),
        rejected=int(meta.get("rejected", 0)),
        at=str(meta.get("at", "")),
        sha256=str(meta.get("sha256", "")),
        attempts=int(meta.get("attempts", 1)),
        options=dict(meta.get("options") or {}),
        has_original=(folder / ORIGINAL).exists(),
        folder=str(folder),
    )


def entries(root: Path) -> list[Entry]:
    """Every entry, newest first."""
    if not root.exists():
        return []
    found = [e for f in root.iterdir() if f.is_dir() and (e := _entry(f)) is not None]
    return sorted(found, key=lambda e: (e.at, e.id), reverse=True)


def chosen(root: Path, ids: list[str]) -> list[Entry]:
    """The entries named (an id or a unique prefix of one), or all of them when none is."""
    every = entries(root)
    if not ids:
        return every
    out = []
    for wanted in ids:
        matches = [e for e in every if e.id.startswith(wanted) or e.uri == wanted]
        if not matches:
            raise ConfigError(
                f"no quarantined object {wanted!r}", hint="vigil quarantine list shows the ids"
            )
        if len(matches) > 1:
            raise ConfigError(
                f"{wanted!r} names {len(matches)} entries", hint="give more of the id"
            )
        out.append(matches[0])
    return out


def rejected_lines(entry: Entry, limit: int | None = None) -> list[dict[str, Any]]:
    path = Path(entry.folder) / REJECTED
    if not path.exists():
        return []
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if limit is not None and len(out) >= limit:
                break
            out.append(json.loads(line))
    return out


def remove(entry: Entry) -> None:
    shutil.rmtree(entry.folder, ignore_errors=True)
