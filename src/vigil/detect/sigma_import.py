"""`vigil rules import`: SigmaHQ rules kept under <home>/sigma/ and run by `vigil detect`.

Each file is checked on import; those that cannot run are listed with the reason and not
kept. Imported rules become units with a finding per principal (userIdentity.arn).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from vigil.content.kit import roots
from vigil.detect.sigma_rules import (
    Library,
    SigmaRejected,
    alias,
    grouping,
    load_file,
)
from vigil.detect.sigma_sql import batch_sql, evidence_sql
from vigil.detect.units import Unit, load_units, sigma_library, silenced
from vigil.errors import SourceError


@dataclass(frozen=True)
class ImportResult:
    path: str
    rule_id: str | None
    title: str | None
    status: str  # imported | rejected
    reason: str = ""


@dataclass(frozen=True)
class ImportedRule:
    """An imported rule file, enabled or not, with what it reports (title, finding type,
    severity) or why it cannot run (`problem`)."""

    id: str
    file: str
    enabled: bool
    title: str | None = None
    type: str | None = None
    severity: float | None = None
    rule_id: str | None = None
    problem: str | None = None


def import_rules(paths: list[Path], target: Path) -> list[ImportResult]:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SourceError(f"no such file or directory: {', '.join(missing)}",
                          hint="give Sigma rule files (.yml) or folders of them")  # fmt: skip
    results = []
    files = [
        f
        for p in paths
        for f in (sorted(p.rglob("*.yml")) + sorted(p.rglob("*.yaml")) if p.is_dir() else [p])
    ]
    library = sigma_library([r.path for r in roots(None)], [*_files(target), *files])
    for path in files:
        try:
            logic = load_file(path, library)
        except SigmaRejected as exc:
            results.append(ImportResult(str(path), None, None, "rejected", _reason(exc, path)))
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / path.name)
        rule = logic.rule
        results.append(
            ImportResult(str(path), str(rule.id) if rule.id else None, rule.title, "imported")
        )
    return results


def _reason(exc: SigmaRejected, path: Path) -> str:
    """The rejection without the file name (the row shows it), keeping line and column."""
    text = str(exc).removeprefix(str(path))
    where = re.match(r":(\d+)(?::(\d+))?: ", text)
    if where is None:
        return text.removeprefix(": ")
    line, column = where.groups()
    place = f"line {line}" + (f", column {column}" if column else "")
    return f"{place}: {text[where.end() :]}"


def every_unit(
    user_dir: Path | None,
    sigma_dir: Path,
    ids: list[str] | None = None,
    content: Path | None = None,
    cases: bool = True,
) -> tuple[list[Unit], list[str]]:
    """The content's units (built-in and the user's) and the imported Sigma rules, loaded
    with one library so a correlation may name any of their rules; `ids` keeps those named;
    without `cases`, their test cases are left unread (a run)."""
    places = [content] if content is not None else [r.path for r in roots(user_dir)]
    library = sigma_library(places, _files(sigma_dir))
    sigma, problems = imported_units(sigma_dir, library)
    own_ids = [i for i in ids or [] if i not in {u.id for u in sigma}]
    units, errors = ([], []) if ids and not own_ids else load_units(
        content, own_ids, user_dir, library=library, cases=cases)  # fmt: skip
    every = silenced([*units, *(u for u in sigma if not ids or u.id in ids)])
    return every, [str(e) for e in errors] + problems


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.y*ml")) if folder.is_dir() else []


def imported_units(folder: Path, library: Library | None = None) -> tuple[list[Unit], list[str]]:
    units, errors = [], []
    for path in _files(folder):
        try:
            logic = load_file(path, library)
        except SigmaRejected as exc:
            errors.append(str(exc))
            continue
        group = grouping(logic, ("userIdentity.arn",))
        title = str(logic.rule.title)
        units.append(
            Unit(
                id=unit_id(path),
                path=path, title=title, type=f"Sigma/{title}", severity=logic.severity,
                description=str(logic.rule.description or title), source="cloudtrail",
                logic="sigma", group_by=tuple(alias(g) for g in group),
                query=batch_sql(logic, group, title), query_path=path,
                evidence=evidence_sql(logic, group),
                resource_type="AwsIamPrincipal", resource_column=alias(group[0]),
                parameters={"window_minutes": 60}, mitre=tuple(str(t) for t in logic.rule.tags),
                nist_csf=(), enabled=True, cases=(), sigma=logic,
            )
        )  # fmt: skip
    return units, errors


DISABLED: Final = "disabled"  # <home>/sigma/disabled/: kept, not run


def unit_id(path: Path) -> str:
    return "sigma-" + re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")


def rule_files(folder: Path) -> list[tuple[Path, bool]]:
    """Every imported rule file with whether it runs (enabled)."""
    enabled = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    off = folder / DISABLED
    disabled = sorted(off.glob("*.y*ml")) if off.is_dir() else []
    return [(p, True) for p in enabled] + [(p, False) for p in disabled]


def find_rule(folder: Path, ref: str) -> tuple[Path, bool]:
    """A rule by its unit id (sigma-…), its file name or its Sigma id."""
    for path, enabled in rule_files(folder):
        if ref in (unit_id(path), path.name, path.stem) or ref == _sigma_id(path):
            return path, enabled
    known = ", ".join(unit_id(p) for p, _ in rule_files(folder)) or "none imported"
    raise SourceError(f"no imported Sigma rule {ref!r}", hint=f"the rules: {known}")


def _sigma_id(path: Path) -> str | None:
    try:
        rule = load_file(path).rule
    except SigmaRejected:
        return None
    return str(rule.id) if rule.id else None


def set_enabled(folder: Path, ref: str, enabled: bool) -> Path:
    path, now = find_rule(folder, ref)
    if now == enabled:
        return path
    target = folder / path.name if enabled else folder / DISABLED / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    return target


def remove_rule(folder: Path, ref: str) -> Path:
    path, _ = find_rule(folder, ref)
    path.unlink()
    return path
