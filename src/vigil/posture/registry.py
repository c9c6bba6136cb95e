"""The check units, found and loaded by the content kit: each folder under `checks/` (the
built-in content, then the user's `<home>/content/checks/`) holds `check.yaml` and `check.py`;
the folder's name is the check's id. No list of ids: a folder is a check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import Field

from vigil.content.kit import (
    Case,
    ContentError,
    Origin,
    Root,
    Strict,
    folders,
    read_meta,
    roots,
    unit_code,
)
from vigil.model.severity import SeverityLabel
from vigil.posture.checks import Check

# what a check's code may import of Vigil: the helpers and types checks share
MAY_IMPORT: Final = ("vigil.posture", "vigil.model", "vigil.clock")


class Remediation(Strict):
    console: str
    cli: str


class CheckMeta(Strict):
    """`check.yaml`: what the check asks and the fix; the logic is `check.py` beside it."""

    title: str
    severity: SeverityLabel  # the label Security Hub gives the control
    controls: dict[str, str | None]  # securityhub, cis_1_4, cis_3_0 (none: not in it)
    nist_csf: list[str] = Field(default_factory=list)
    remediation: Remediation
    cases: list[Case] = Field(default_factory=list)


@dataclass(frozen=True)
class CheckUnit:
    id: str
    title: str
    severity: str
    controls: dict[str, Any]
    nist_csf: tuple[str, ...]
    remediation: dict[str, str]
    cases: tuple[dict[str, Any], ...]
    run: Check = field(compare=False, repr=False)  # its check.py's check()
    path: Path | None = None
    origin: Origin = "built-in"


def load_checks(
    root: Path | None = None,
    user_dir: Path | None = None,
    *,
    problems: list[ContentError] | None = None,
) -> list[CheckUnit]:
    """The checks under `root` (default: the built-in content, then the user's `user_dir`);
    a user's check of a built-in id replaces it. A unit that does not load is added to
    `problems` when given, and the others load; without it, it is raised."""
    places = [Root(root, "built-in")] if root is not None else roots(user_dir)
    units: dict[str, CheckUnit] = {}
    for place in places:
        for path in folders(place.path, "check"):
            try:
                units[path.name] = load_check(path, place.origin)
            except ContentError as exc:
                if problems is None:
                    raise
                problems.append(exc)
    return list(units.values())


def load_check(path: Path, origin: Origin = "built-in") -> CheckUnit:
    meta = read_meta(path / "check.yaml", CheckMeta)
    run: Callable[..., Any] = unit_code(path / "check.py", "check", MAY_IMPORT)
    return CheckUnit(
        path.name,
        meta.title,
        meta.severity.value,
        dict(meta.controls),
        tuple(meta.nist_csf),
        meta.remediation.model_dump(),
        tuple(c.model_dump() for c in meta.cases),
        run,
        path,
        origin,
    )
