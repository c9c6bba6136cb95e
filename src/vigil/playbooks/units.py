"""Playbook units: `content/playbooks/<id>/playbook.yaml` (title, what it responds to, the
permissions it needs, its cases: an event, and the steps the plan must hold). The folder name
is the id; the plan is in `plans.PLAYBOOKS`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from vigil.content import content_root
from vigil.content.kit import Case, CaseResult, Strict, folders, read_meta


class PlaybookMeta(Strict):
    title: str
    description: str = ""
    responds_to: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    options: dict[str, str] = Field(default_factory=dict)  # option: what it means
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class PlaybookUnit:
    id: str
    title: str
    description: str
    responds_to: tuple[str, ...]
    permissions: tuple[str, ...]
    cases: tuple[Case, ...]

    @property
    def case(self) -> dict[str, Any]:
        """The first case as the plan test takes it: event, options, steps."""
        first = self.cases[0]
        return {**dict(first.input), "steps": list(first.expect["steps"])}


def playbook_units(root: Path | None = None) -> list[PlaybookUnit]:
    out = []
    for path in folders(root or content_root(), "playbook"):
        meta = read_meta(path / "playbook.yaml", PlaybookMeta)
        out.append(PlaybookUnit(path.name, meta.title, meta.description,
                                tuple(meta.responds_to), tuple(meta.permissions),
                                tuple(meta.cases)))  # fmt: skip
    return out


def run_cases(unit: PlaybookUnit) -> list[CaseResult]:
    """Offline checks of each case (a plan's calls need the account, so `make test` runs the
    plans on a moto server): the playbook has a plan, and every step the case expects is
    covered by a permission the unit declares (`ec2:create_network_acl_entry` by
    `ec2:CreateNetworkAclEntry`)."""
    from vigil.playbooks.plans import PLAYBOOKS

    declared = {p.lower() for p in unit.permissions}
    out = []
    for case in unit.cases:
        steps = (
            list((case.expect or {}).get("steps") or []) if isinstance(case.expect, dict) else []
        )
        uncovered = [s for s in steps if _permission(s).lower() not in declared]
        problem = ""
        if unit.id not in PLAYBOOKS:
            problem = f"no plan for playbook {unit.id!r}"
        elif not steps:
            problem = "the case expects no steps"
        elif uncovered:
            problem = "steps without a declared permission: " + ", ".join(uncovered)
        out.append(CaseResult(unit.id, case.name, not problem, steps,
                              [s for s in steps if s not in uncovered], problem,
                              kind="playbook"))  # fmt: skip
    return out


def _permission(step: str) -> str:
    """`ec2:create_network_acl_entry` → `ec2:CreateNetworkAclEntry`."""
    service, _, operation = step.partition(":")
    return f"{service}:" + "".join(w.capitalize() for w in operation.split("_"))
