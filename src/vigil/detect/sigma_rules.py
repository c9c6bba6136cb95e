"""Sigma rules as detection logic: load, check they can run, and give both engines.

`load_rule` returns the rule's SQL condition (pySigma backend) and its Python test, or says
why the rule cannot run here (wrong log source, unsupported modifier or value, keyword search,
placeholder, unknown field, an unsupported correlation type). Correlation rules of type
`event_count`, `value_count`, `temporal` and `temporal_ordered` run with sliding windows
(`vigil.detect.correlate`); a correlation may name base rules of other files by name or id
(the `library` the content's rules make), and those base rules make no findings of their own
unless it says `generate: true`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from vigil.detect.sigma_backend import CloudTrailBackend
from vigil.detect.sigma_eval import Test, Unsupported, compile_test
from vigil.errors import VigilError
from vigil.formats.cloudtrail_fields import UnmappedField, sql_expr
from vigil.inputs import InputError, parse_yaml_all, read_text

LEVELS: Final = {"informational": 1.0, "low": 3.0, "medium": 5.0, "high": 7.5, "critical": 9.0}
OPERATORS: Final = {"GTE": ">=", "GT": ">", "LTE": "<=", "LT": "<", "EQ": "="}
_WHERE: Final = re.compile(r"^SELECT \* FROM logs WHERE ", re.IGNORECASE)


KINDS: Final = ("event_count", "value_count", "temporal", "temporal_ordered")


@dataclass(frozen=True)
class Correlation:
    kind: str  # one of KINDS
    group_by: tuple[str, ...]
    seconds: int
    op: str  # the count's comparison (counts only)
    count: int
    field: str | None
    generate: bool = False  # the base rules make findings of their own too
    referenced: tuple[str, ...] = ()  # base rules' names or ids, as the correlation lists them

    @property
    def temporal(self) -> bool:
        return self.kind in ("temporal", "temporal_ordered")


@dataclass(frozen=True)
class SigmaLogic:
    rule: SigmaRule | SigmaCorrelationRule
    condition_sql: str  # the records the rule (or a correlation's base rules) matches
    predicate: Callable[[dict[str, Any]], bool]
    test: Test  # the same, with a cache shared by the rules that look at one event
    correlation: Correlation | None = None
    base_conditions: tuple[str, ...] = ()  # each base rule's condition, in the rules' order
    base_tests: tuple[Test, ...] = ()
    names: tuple[str, ...] = ()  # the rule's own name and id (a correlation can name it)

    @property
    def severity(self) -> float:
        level = getattr(self.rule.level, "name", None) or "medium"
        return LEVELS.get(level.lower(), 5.0)


class SigmaRejected(VigilError):
    """A rule that cannot run here; the message is the reason."""


Library = dict[str, dict[str, Any]]  # a base rule's name or id → its YAML document
OWN: Final = "x-vigil-own"  # marks a file's own rules among those it borrows


def library_of(texts: list[tuple[str, str]]) -> Library:
    """The base rules (not correlations) of these files, by name and by id, for correlations
    in other files to name; a file that does not parse adds nothing (its unit says why)."""
    found: Library = {}
    for text, source in texts:
        try:
            docs = parse_yaml_all(text, source)
        except InputError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and "correlation" not in doc and "detection" in doc:
                for key in ("name", "id"):
                    if doc.get(key):
                        found.setdefault(str(doc[key]), doc)
    return found


def load_rule(text: str, source: str, library: Library | None = None) -> SigmaLogic:
    try:
        docs = [d for d in parse_yaml_all(text, source) if d is not None]
    except InputError as exc:
        raise SigmaRejected(str(exc)) from exc
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise SigmaRejected(f"{source}: not a Sigma rule: each YAML document must be a mapping")
    borrowed = _borrowed(docs, library or {}, source)
    docs = [{**d, OWN: True} for d in docs] + borrowed  # this file's own, marked
    try:
        collection = SigmaCollection.from_dicts(docs)
        collection.resolve_rule_references()
    except SigmaError as exc:
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {exc}") from exc
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # pySigma reads some malformed shapes (a list where a mapping belongs, …) this way
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {type(exc).__name__}") from exc
    rules = [r for r in collection.rules if r.custom_attributes.get(OWN)]  # not the borrowed
    bases = [r for r in rules if isinstance(r, SigmaRule)]
    correlations = [r for r in rules if isinstance(r, SigmaCorrelationRule)]
    if len(correlations) > 1 or (not correlations and len(bases) != 1):
        raise SigmaRejected(f"{source}: one rule (or one correlation and its rules) per file")
    if not correlations:
        condition, test = _checked_base(bases[0], source)
        names = tuple(str(n) for n in (bases[0].name, bases[0].id) if n)
        return SigmaLogic(bases[0], condition, lambda row: test(row, {}), test, names=names)
    corr = correlations[0]
    spec = _correlation(corr, source)
    used = [ref.rule for ref in corr.rules or []]
    if not used or not all(isinstance(r, SigmaRule) for r in used):
        raise SigmaRejected(f"{source}: the correlation refers to no base rule it can use")
    checked = [_checked_base(r, source) for r in used if isinstance(r, SigmaRule)]
    condition = " OR ".join(f"({c})" for c, _ in checked)
    base_tests = tuple(t for _, t in checked)

    def any_base(row: dict[str, Any], cache: dict[str, Any]) -> bool:
        return any(t(row, cache) for t in base_tests)

    return SigmaLogic(corr, condition, lambda row: any_base(row, {}), any_base, spec,
                      tuple(c for c, _ in checked), base_tests)  # fmt: skip


def _borrowed(docs: list[dict[str, Any]], library: Library, source: str) -> list[dict[str, Any]]:
    """The base rules a correlation names that are not in its own file, from the library."""
    own = {str(d[k]) for d in docs for k in ("name", "id") if d.get(k)}
    wanted: list[str] = []
    for doc in docs:
        named = (doc.get("correlation") or {}).get("rules") if isinstance(doc, dict) else None
        for name in [named] if isinstance(named, str) else named or []:
            if str(name) not in own and str(name) not in wanted:
                wanted.append(str(name))
    missing = [n for n in wanted if n not in library]
    if missing:
        raise SigmaRejected(f"{source}: the correlation names {', '.join(missing)}, a rule "
                            "that is neither in this file nor in the content")  # fmt: skip
    found: list[dict[str, Any]] = []
    for name in wanted:
        if library[name] not in found:
            found.append(library[name])
    return found


def _checked_base(rule: SigmaRule, source: str) -> tuple[str, Test]:
    try:
        return _base(rule, source)
    except SigmaRejected:
        raise
    except SigmaError as exc:
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {exc}") from exc
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # pySigma's conversion meets shapes it does not expect (a null where a list belongs)
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {type(exc).__name__}") from exc


def _base(rule: SigmaRule, source: str) -> tuple[str, Test]:
    product, service = rule.logsource.product or "", rule.logsource.service or ""
    if (product.lower(), service.lower()) != ("aws", "cloudtrail"):
        raise SigmaRejected(f"{source}: log source is not product aws, service cloudtrail")
    # A base rule that only feeds a correlation is marked "no output"; its condition is needed.
    rule._output = True
    try:
        converted = CloudTrailBackend().convert_rule(rule)
        test = compile_test(rule)
    except (SigmaError, Unsupported, UnmappedField, NotImplementedError) as exc:
        raise SigmaRejected(f"{source}: {exc}") from exc
    if len(converted) != 1:
        raise SigmaRejected(f"{source}: the rule converts to {len(converted)} queries")
    return _WHERE.sub("", str(converted[0])), test


def _correlation(corr: SigmaCorrelationRule, source: str) -> Correlation:
    kind = str(getattr(corr.type, "name", corr.type)).lower()
    if kind not in KINDS:
        raise SigmaRejected(f"{source}: correlation type {kind!r} is not supported "
                            f"({', '.join(KINDS)} are)")  # fmt: skip
    if getattr(corr, "aliases", None) and corr.aliases.aliases:
        raise SigmaRejected(f"{source}: correlation field aliases are not supported")
    group = tuple(corr.group_by or ())
    try:
        for name in group:
            sql_expr(name)
    except UnmappedField as exc:
        raise SigmaRejected(f"{source}: {exc}") from exc
    named = tuple(str(r.reference) for r in corr.rules or [])
    generate = bool(corr.generate)
    if kind in ("temporal", "temporal_ordered"):
        if len(named) < 2:
            raise SigmaRejected(f"{source}: a {kind} correlation names two rules or more")
        return Correlation(kind, group, int(corr.timespan.seconds), "", len(named), None,
                           generate, named)  # fmt: skip
    condition = corr.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise SigmaRejected(f"{source}: extended correlation conditions are not supported")
    op = OPERATORS.get(getattr(condition.op, "name", ""), "")
    if not op:
        raise SigmaRejected(f"{source}: correlation condition {condition.op} is not supported")
    field = getattr(condition, "fieldref", None)
    try:
        if field:
            sql_expr(field)
    except UnmappedField as exc:
        raise SigmaRejected(f"{source}: {exc}") from exc
    if kind == "value_count" and not field:
        raise SigmaRejected(f"{source}: a value_count correlation needs condition.field")
    return Correlation(kind, group, int(corr.timespan.seconds), op, int(condition.count), field,
                       generate, named)  # fmt: skip


def load_file(path: Path, library: Library | None = None) -> SigmaLogic:
    try:
        text = read_text(path, what="a Sigma rule")
    except InputError as exc:
        raise SigmaRejected(str(exc)) from exc
    return load_rule(text, str(path), library)


def alias(field: str) -> str:
    """A column name for a Sigma field in result rows: userIdentity.arn → useridentity_arn."""
    return re.sub(r"[^a-z0-9_]", "_", field.lower())


def grouping(logic: SigmaLogic, default: tuple[str, ...]) -> tuple[str, ...]:
    """The fields a finding is keyed on: a correlation's group-by, else the unit's."""
    if logic.correlation is not None and logic.correlation.group_by:
        return logic.correlation.group_by
    return default
