"""Detection units: `content/detections/<id>/detection.yaml` (+ `query.sql`). The folder name
is the id. Loading validates every field and says which file and field was wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, field_validator

from vigil.content.kit import Case as CaseModel
from vigil.content.kit import ContentError, Errors, Strict, folders, read_meta, roots
from vigil.detect.new_terms import DAY, NewTerms
from vigil.detect.new_terms import batch_sql as new_terms_sql
from vigil.detect.sigma_rules import (
    Library,
    SigmaLogic,
    SigmaRejected,
    alias,
    grouping,
    library_of,
    load_file,
)
from vigil.detect.sigma_sql import batch_sql, evidence_sql
from vigil.formats.cloudtrail_fields import UnmappedField, sql_expr
from vigil.inputs import InputError, read_text
from vigil.lake.tables import TABLES
from vigil.model.attack import TACTICS
from vigil.model.severity import severity_score
from vigil.query.s3_requests import READS

REQUIRABLE: Final = ("threat_list", "trusted_list", "domain_list")  # `requires:` names


class UnitError(ContentError):
    """A unit that cannot be loaded; names the file and the field."""


CASE_TABLES: Final = ("flow_logs", "cloudtrail", "dns_logs", "s3_access_logs")


@dataclass(frozen=True)
class Case:
    name: str
    # flow_logs: {format, records, account, region} · cloudtrail: [records] · dns_logs: [records]
    # · s3_access_logs: {records, account, region}
    data: dict[str, Any]
    expect: list[dict[str, Any]]
    # lists by kind: threat, trusted, accounts, own_egress: strings; threat_domains and
    # trusted_domains: {list, category, reputation, entries} (vigil.intel.lists.case_list)
    intel: dict[str, list[Any]] = field(default_factory=dict)


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
    tactics: tuple[str, ...] = ()  # ATT&CK v19 tactics (vigil.model.attack)
    aliases: tuple[str, ...] = ()  # finding types it had before (a rename keeps them findable)
    silent: bool = False  # a base rule a correlation uses without `generate`: no findings
    new_terms: NewTerms | None = None  # logic: new_terms
    exceptions: Any = None  # tuning's exceptions (vigil.detect.tuning.Exceptions), if any
    tuned: tuple[str, ...] = ()  # the parameters (and "enabled") tuning set
    record_rule: bool | None = None  # decides on each event alone (None: read from its SQL)


class NewTermsMeta(Strict):
    fields: list[str] = Field(min_length=1)  # CloudTrail (Sigma) field names or derived ones
    history_days: int = Field(14, ge=1, le=90)


class Resource(Strict):
    type: str = "Other"
    column: str | None = None  # default: the first group_by column


class DetectionMeta(Strict):
    """`detection.yaml`: what the unit reports and how; its logic is `query.sql` (or a shared
    template it parameterises) or a Sigma `rule.yml`."""

    title: str
    type: str  # GuardDuty's finding type where one fits
    severity: float | str  # GuardDuty's scale, or a label
    description: str
    source: str  # a lake table, or a relation derived from some (s3_requests)
    logic: Literal["sql", "sigma", "new_terms"]
    group_by: list[str] = Field(default_factory=list)  # (new_terms: its fields)
    new_terms: NewTermsMeta | None = None
    resource: Resource = Resource()
    parameters: dict[str, Any] = Field(default_factory=dict)
    evidence: str = ""
    template: str | None = None
    requires: list[str] = Field(default_factory=list)  # intel tables that must hold rows
    mitre: list[str] = Field(default_factory=list)
    tactics: list[str] = Field(default_factory=list)  # ATT&CK v19: stealth, defense-impairment, …
    aliases: list[str] = Field(default_factory=list)  # earlier finding types
    nist_csf: list[str] = Field(default_factory=list)
    enabled: bool = True
    # true: the unit decides on each event alone (its HAVING judges one record's parts, not a
    # count across records), so `vigil serve` judges it on every committed batch
    record_rule: bool | None = None
    cases: list[CaseModel] = Field(default_factory=list)

    @field_validator("tactics")
    @classmethod
    def _tactics(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TACTICS]
        if unknown:
            raise ValueError(f"tactics {', '.join(unknown)}: ATT&CK v19 tactics are "
                             f"{', '.join(TACTICS)}")  # fmt: skip
        return value

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: float | str) -> float:
        score = severity_score(value)
        if not 1.0 <= score <= 10.0:
            raise ValueError(f"severity {score} is outside 1.0-10.0")
        return score

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in TABLES and value not in READS:
            raise ValueError(f"source {value!r} is not a lake table or derived relation "
                             f"({', '.join([*TABLES, *READS])})")  # fmt: skip
        return value

    @field_validator("requires")
    @classmethod
    def _requires(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in REQUIRABLE]
        if unknown:
            raise ValueError(f"requires {', '.join(unknown)}: not one of {', '.join(REQUIRABLE)}")
        return value


def load_units(
    root: Path | None = None,
    ids: list[str] | None = None,
    user_dir: Path | None = None,
    *,
    errors: Errors = "collect",
    library: Library | None = None,
    cases: bool = True,
) -> tuple[list[Unit], list[UnitError]]:
    """The units under root/detections (the built-in content, then the user's `user_dir`), or
    those named; a broken unit is reported, not fatal (with `errors="raise"`, it is raised).
    Correlations may name the Sigma rules of any unit (or of the `library` given). The same
    files (by path, size and modification time) give the units read before, not read again:
    a console page or a server's round lists them often."""
    places = [root] if root is not None else [r.path for r in roots(user_dir)]
    if library is not None or errors == "raise":
        return _load_units(places, root, ids, errors, library, cases)
    key = (tuple(places), tuple(ids) if ids else None, cases, _signature(places))
    hit = _LOADED.get(key)
    if hit is None:
        hit = _load_units(places, root, ids, errors, None, cases)
        if len(_LOADED) >= 16:
            _LOADED.clear()
        _LOADED[key] = hit
    return list(hit[0]), list(hit[1])


_LOADED: dict[tuple[Any, ...], Loaded] = {}


def _signature(places: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every file of the places' detection units, with its size and modification time."""
    out = []
    for place in places:
        base = place / "detections"
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                try:
                    st = path.stat()
                except OSError:
                    continue
                out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


Loaded = tuple[list[Unit], list[UnitError]]


def _load_units(places: list[Path], root: Path | None, ids: list[str] | None, errors: Errors,
                library: Library | None, cases: bool) -> Loaded:  # fmt: skip
    units: dict[str, Unit] = {}
    problems: list[UnitError] = []
    seen: set[str] = set()
    library = library if library is not None else sigma_library(places)
    for place in places:
        if not (place / "detections").is_dir():
            if root is not None:
                problems.append(UnitError(f"no detections folder at {place / 'detections'}",
                                          hint="set VIGIL_CONTENT"))  # fmt: skip
            continue
        for path in folders(place, "detection"):
            seen.add(path.name)
            if ids and path.name not in ids:
                continue
            try:
                units[path.name] = load_unit(path, library, cases=cases)
            except UnitError as exc:
                if errors == "raise":
                    raise
                problems.append(exc)
    for name in sorted(set(ids or []) - seen):
        problems.append(UnitError(f"no detection unit {name!r}", hint="see vigil content list"))
    return silenced(list(units.values())), problems


def type_aliases(user_dir: Path | None = None) -> dict[str, str]:
    """Earlier finding types of the units (`aliases: [...]`) → their current type; read from
    the metadata files' top-level lines alone (no unit is loaded), for filters that name an
    old type."""
    found: dict[str, str] = {}
    for root in roots(user_dir):
        for meta in sorted((root.path / "detections").glob("*/detection.yaml")):
            try:
                text = meta.read_text()
            except OSError:
                continue
            kind, named = _TYPE_LINE.search(text), _ALIASES_LINE.search(text)
            if kind and named:
                for name in named.group(1).split(","):
                    found[name.strip().strip("'\"")] = kind.group(1).strip().strip("'\"")
    return found


_TYPE_LINE: Final = re.compile(r"^type:\s*([^#\n]+)", re.MULTILINE)
_ALIASES_LINE: Final = re.compile(r"^aliases:\s*\[([^\]]*)\]", re.MULTILINE)


def sigma_library(places: list[Path], extra: list[Path] | None = None) -> Library:
    """Every Sigma base rule of the content (and of `extra` files), for correlations to name."""
    texts = []
    files = [p for place in places for p in sorted((place / "detections").glob("*/rule.yml"))]
    for path in [*files, *(extra or [])]:
        try:
            texts.append((read_text(path, what="a Sigma rule"), str(path)))
        except InputError:
            continue
    return library_of(texts)


def silenced(units: list[Unit]) -> list[Unit]:
    """Units whose Sigma rule a correlation names without `generate: true` make no findings
    of their own (the Sigma specification's default); they still feed the correlation."""
    quiet = {
        name
        for u in units
        if u.sigma is not None and u.sigma.correlation is not None
        and not u.sigma.correlation.generate
        for name in u.sigma.correlation.referenced
    }  # fmt: skip
    return [
        replace(u, silent=True)
        if u.sigma is not None and u.sigma.correlation is None and quiet & set(u.sigma.names)
        else u
        for u in units
    ]


def load_unit(path: Path, library: Library | None = None, *, cases: bool = True) -> Unit:
    """A unit folder; without `cases` its test cases are left unread (a detection run)."""
    meta_path = path / "detection.yaml"
    if not meta_path.is_file():
        raise UnitError("missing", source=str(meta_path),
                        hint="each unit folder holds detection.yaml")  # fmt: skip
    try:
        meta = read_meta(meta_path, DetectionMeta, without=None if cases else "cases")
    except ContentError as exc:
        raise UnitError(exc.message, source=exc.path, line=exc.line, column=exc.column) from exc
    severity = float(meta.severity)
    group_by = tuple(meta.group_by)
    sigma = None
    evidence = meta.evidence
    terms = None
    if (meta.logic == "new_terms") != (meta.new_terms is not None) or not (
        group_by or meta.new_terms
    ):
        raise UnitError("logic: new_terms goes with a new_terms block (fields, history_days); "
                        "other kinds need group_by", source=str(meta_path))  # fmt: skip
    if meta.logic == "new_terms":
        assert meta.new_terms is not None
        query_path = path / "rule.yml"
        try:
            sigma = load_file(query_path, library)
            terms = NewTerms(tuple(meta.new_terms.fields), meta.new_terms.history_days * DAY)
            for name in terms.fields:
                sql_expr(name)
        except FileNotFoundError as exc:
            raise UnitError("missing (logic: new_terms needs a Sigma record rule)",
                            source=str(query_path)) from exc  # fmt: skip
        except (SigmaRejected, UnmappedField) as exc:
            raise UnitError(str(exc)) from exc
        if sigma.correlation is not None:
            raise UnitError("a new_terms unit's rule is a record rule, not a correlation",
                            source=str(query_path))  # fmt: skip
        query = new_terms_sql(sigma, terms, meta.title)
        evidence = evidence or evidence_sql(sigma, terms.fields)
        group_by = terms.keys
    elif meta.logic == "sigma":
        query_path = path / "rule.yml"
        try:
            sigma = load_file(query_path, library)
        except FileNotFoundError as exc:
            raise UnitError("missing (logic: sigma needs it)", source=str(query_path)) from exc
        except SigmaRejected as exc:
            raise UnitError(str(exc)) from exc
        query = batch_sql(sigma, group_by, meta.title)
        evidence = evidence or evidence_sql(sigma, group_by)
        group_by = tuple(alias(g) for g in grouping(sigma, group_by))
    else:
        # A unit's own query.sql, or a shared template (_templates/<name>.sql) that its
        # parameters specialise, e.g. one brute-force query for SSH and RDP.
        folder = path.parent / "_templates"
        query_path = folder / f"{meta.template}.sql" if meta.template else path / "query.sql"
        if not query_path.exists():
            raise UnitError("missing (logic: sql needs it)", source=str(query_path))
        query = query_path.read_text()
    tests = tuple(_case(meta_path, c) for c in meta.cases)
    if cases and (not any(c.expect for c in tests) or not any(not c.expect for c in tests)):
        raise UnitError("needs at least one positive and one negative case", source=str(meta_path))
    return Unit(
        id=path.name, path=path, title=meta.title, type=meta.type, severity=severity,
        description=meta.description.strip(), source=meta.source, logic=meta.logic,
        group_by=group_by, query=query, query_path=query_path, evidence=evidence,
        resource_type=meta.resource.type,
        resource_column=alias(meta.resource.column or (meta.group_by or group_by)[0]),
        parameters=dict(meta.parameters), mitre=tuple(meta.mitre), nist_csf=tuple(meta.nist_csf),
        enabled=meta.enabled, cases=tests, sigma=sigma, requires=tuple(meta.requires),
        tactics=tuple(meta.tactics), aliases=tuple(meta.aliases), new_terms=terms,
        record_rule=meta.record_rule,
    )  # fmt: skip


def _case(meta_path: Path, raw: CaseModel) -> Case:
    given = raw.input if isinstance(raw.input, dict) else {}
    data = {k: v for k, v in given.items() if k in CASE_TABLES}
    if not data:
        raise UnitError(f"case {raw.name!r}: its input has no records "
                        f"({', '.join(CASE_TABLES)})", source=str(meta_path))  # fmt: skip
    if not isinstance(raw.expect, list):
        raise UnitError(f"case {raw.name!r}: expect is a list of grouping keys",
                        source=str(meta_path))  # fmt: skip
    intel = dict(given.get("intel") or {})
    _check_intel(meta_path, raw.name, intel)
    return Case(raw.name, data, list(raw.expect), intel)


def _check_intel(meta_path: Path, case: str, intel: dict[str, Any]) -> None:
    """A case's lists with a category or reputation, read now so a mistake names the case."""
    given = [k for k in ("threat_domains", "trusted_domains") if k in intel]
    if not given:
        return
    from vigil.errors import ConfigError
    from vigil.intel.lists import case_list

    for key in given:
        values = intel[key]
        for raw in values if isinstance(values, list) else [values]:
            try:
                case_list(key.removesuffix("_domains"), raw)
            except ConfigError as exc:
                raise UnitError(
                    f"case {case!r}: intel.{key}: {exc}", source=str(meta_path)
                ) from None
