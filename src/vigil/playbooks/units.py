"""Playbook units: `content/playbooks/<id>/playbook.yaml` (title, what it responds to, the
permissions it needs, its case). The folder name is the id; the plan is in `plans.PLAYBOOKS`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.content import content_root
from vigil.inputs import expect_mapping, load_yaml


@dataclass(frozen=True)
class PlaybookUnit:
    id: str
    title: str
    description: str
    responds_to: tuple[str, ...]
    permissions: tuple[str, ...]
    case: dict[str, Any]


def playbook_units(root: Path | None = None) -> list[PlaybookUnit]:
    folder = (root or content_root()) / "playbooks"
    out = []
    for path in sorted(p for p in folder.iterdir() if (p / "playbook.yaml").is_file()):
        meta = path / "playbook.yaml"
        doc = expect_mapping(load_yaml(meta), str(meta), "a playbook")
        out.append(
            PlaybookUnit(
                path.name,
                str(doc["title"]),
                str(doc.get("description", "")),
                tuple(str(r) for r in doc.get("responds_to") or ()),
                tuple(str(p) for p in doc.get("permissions") or ()),
                dict(doc.get("case") or {}),
            )
        )
    return out
