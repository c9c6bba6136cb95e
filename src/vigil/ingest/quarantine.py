"""Keep what could not be ingested, with the reason, under <home>/quarantine/."""

from __future__ import annotations

import json
from pathlib import Path

from vigil.formats.common import Reject
from vigil.lake.manifest import now


def quarantine(
    root: Path,
    uri: str,
    sha256: str,
    reason: str,
    rejects: list[Reject],
    original: bytes | None,
) -> Path:
    """One folder per object (named by its content hash): reason.json, rejected lines, and the
    original bytes when the object as a whole could not be taken."""
    folder = root / sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"uri": uri, "sha256": sha256, "reason": reason, "rejected": len(rejects), "at": now()}
    (folder / "reason.json").write_text(json.dumps(meta, indent=2) + "\n")
    if rejects:
        with (folder / "rejected.jsonl").open("w", encoding="utf-8") as out:
            for r in rejects:
                out.write(json.dumps({"line": r.line, "reason": r.reason, "raw": r.raw}) + "\n")
    if original is not None:
        (folder / "original").write_bytes(original)
    return folder
