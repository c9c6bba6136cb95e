"""Detection units: `content/detections/<id>/detection.yaml` (+ `query.sql`). The folder name
is the id. Loading validates every field and says which file and field was wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from vigil.content import content_root
from vigil.detect.sigma_rules import (
    SigmaLogic,
    SigmaRejected,
    alias,
    batch_sql,
    evidence_sql,
    grouping,
    load_file,
)
from vigil.errors import VigilError
from vigil.inputs import InputError, load_yaml
from vigil.lake.tables import TABLES

LOGICS: Final = ("sql", "sigma")
REQUIRED: Final = ("title", "type", "severity", "description", "source", "logic", "group_by")
REQUIRABLE: Final = ("threat_list", "trusted_list")  # `requires:` names


class UnitError(VigilError):
    """A unit that cannot be loaded; names the file and the field."""


@dataclass(frozen=True)
class Case:
    name: str
    data: dict[str, Any]  # flow_logs: {format, lines, account, region} · cloudtrail: [records]
    expect: list[dict[str, Any]]
    intel: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    id: str
    path: Path
    title: str
    type: str
    severity: float
    description: str
    source: str
    logic: str
    group_by: tuple[str, ...]
    query: str
    query_path: Path
    evidence: str
    resource_type: str
    resource_column: str
    parameters: dict[str, Any]
    mitre: tuple[str, ...]
    nist_csf: tuple[str, ...]
    enabled: bool
    cases: tuple[Case, ...]
    sigma: SigmaLogic | None = None  # set for logic: sigma (the streaming path uses it)
    requires: tuple[str, ...] = ()  # intel tables that must hold rows, else the unit is skipped


def load_units(
    root: Path | None = None, ids: list[str] | None = None
) -> tuple[list[Unit], list[UnitError]]:
    """Every unit under root/detections (or those named); a broken unit is reported, not fatal."""
    folder = (root or content_root()) / "detections"
    units: list[Unit] = []
    errors: list[UnitError] = []
    if not folder.is_dir():
        return units, [UnitError(f"no detections folder at {folder}", hint="set VIGIL_CONTENT")]
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_"))
    for path in found:
        if ids and path.name not in ids:
            continue
        try:
            units.append(load_unit(path))
        except UnitError as exc:
            errors.append(exc)
    for name in sorted(set(ids or []) - {p.name for p in found}):
        errors.append(UnitError(f"no detection unit {name!r}", hint="see vigil content list"))
    return units, errors


def load_unit(path: Path) -> Unit:
    meta_path = path / "detection.yaml"
    if not meta_path.is_file():
        raise UnitError(f"{meta_path}: missing", hint="each unit folder holds detection.yaml")
    try:
        meta = load_yaml(meta_path)
    except InputError as exc:
        raise UnitError(str(exc)) from exc
    if not isinstance(meta, dict):
        raise UnitError(f"{meta_path}: expected a mapping of fields")
    for name in REQUIRED:
        if name not in meta:
            raise UnitError(f"{meta_path}: field {name!r} is missing")
    if meta["logic"] not in LOGICS:
        raise UnitError(f"{meta_path}: logic {meta['logic']!r} is not one of {', '.join(LOGICS)}")
    if meta["source"] not in TABLES:
        raise UnitError(f"{meta_path}: source {meta['source']!r} is not a lake table")
    severity = float(meta["severity"])
    if not 1.0 <= severity <= 10.0:
        raise UnitError(f"{meta_path}: severity {severity} is outside 1.0-10.0")
    group_by = tuple(str(g) for g in meta["group_by"])
    sigma = None
    if meta["logic"] == "sigma":
        query_path = path / "rule.yml"
        try:
            sigma = load_file(query_path)
        except FileNotFoundError as exc:
            raise UnitError(f"{query_path}: missing (logic: sigma needs it)") from exc
        except SigmaRejected as exc:
            raise UnitError(str(exc)) from exc
        query = batch_sql(sigma, group_by, str(meta["title"]))
        meta.setdefault("evidence", evidence_sql(sigma, group_by))
        group_by = tuple(alias(g) for g in grouping(sigma, group_by))
    else:
        # A unit's own query.sql, or a shared template (_templates/<name>.sql) that its
        # parameters specialise, e.g. one brute-force query for SSH and RDP.
        template = meta.get("template")
        folder = path.parent / "_templates"
        query_path = folder / f"{template}.sql" if template else path / "query.sql"
        if not query_path.exists():
            raise UnitError(f"{query_path}: missing (logic: sql needs it)")
        query = query_path.read_text()
    resource = meta.get("resource") or {}
    requires = tuple(str(r) for r in meta.get("requires") or ())
    unknown = [r for r in requires if r not in REQUIRABLE]
    if unknown:
        raise UnitError(
            f"{meta_path}: requires {', '.join(unknown)}: not one of {', '.join(REQUIRABLE)}"
        )
    cases = tuple(_case(meta_path, i, c) for i, c in enumerate(meta.get("cases") or []))
    if not any(c.expect for c in cases) or not any(not c.expect for c in cases):
        raise UnitError(f"{meta_path}: needs at least one positive and one negative case")
    return Unit(
        id=path.name, path=path, title=str(meta["title"]), type=str(meta["type"]),
        severity=severity, description=str(meta["description"]).strip(),
        source=str(meta["source"]), logic=str(meta["logic"]),
        group_by=group_by, query=query, query_path=query_path,
        evidence=str(meta.get("evidence") or ""), resource_type=str(resource.get("type", "Other")),
        resource_column=alias(str(resource.get("column", meta["group_by"][0]))),
        parameters=dict(meta.get("parameters") or {}), mitre=tuple(meta.get("mitre") or ()),
        nist_csf=tuple(meta.get("nist_csf") or ()), enabled=bool(meta.get("enabled", True)),
        cases=cases, sigma=sigma, requires=requires,
    )  # fmt: skip


def _case(meta_path: Path, index: int, raw: Any) -> Case:
    if not isinstance(raw, dict) or "name" not in raw or "expect" not in raw:
        raise UnitError(f"{meta_path}: case {index + 1} needs a name and an expect list")
    data = {k: v for k, v in raw.items() if k in ("flow_logs", "cloudtrail")}
    if not data:
        raise UnitError(f"{meta_path}: case {raw['name']!r} has no flow_logs or cloudtrail records")
    return Case(str(raw["name"]), data, list(raw["expect"] or []), dict(raw.get("intel") or {}))
