"""Sigma rules as detection logic: load, check they can run, and give both engines.

`load_rule` returns the rule's SQL condition (pySigma backend) and its Python test, or says
why the rule cannot run here (wrong log source, unsupported modifier or value, keyword search,
placeholder, unknown field, an unsupported correlation type). Sigma correlation rules of type
`event_count` and `value_count` run in batch over fixed windows of their timespan (a tumbling
approximation of Sigma's sliding window); their base rules also stream record by record.
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


@dataclass(frozen=True)
class Correlation:
    kind: str  # event_count | value_count
    group_by: tuple[str, ...]
    seconds: int
    op: str
    count: int
    field: str | None


@dataclass(frozen=True)
class SigmaLogic:
    rule: SigmaRule | SigmaCorrelationRule
    condition_sql: str  # the records the rule (or a correlation's base rules) matches
    predicate: Callable[[dict[str, Any]], bool]
    test: Test  # the same, with a cache shared by the rules that look at one event
    correlation: Correlation | None = None

    @property
    def severity(self) -> float:
        level = getattr(self.rule.level, "name", None) or "medium"
        return LEVELS.get(level.lower(), 5.0)


class SigmaRejected(VigilError):
    """A rule that cannot run here; the message is the reason."""


def load_rule(text: str, source: str) -> SigmaLogic:
    try:
        docs = [d for d in parse_yaml_all(text, source) if d is not None]
    except InputError as exc:
        raise SigmaRejected(str(exc)) from exc
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise SigmaRejected(f"{source}: not a Sigma rule: each YAML document must be a mapping")
    try:
        collection = SigmaCollection.from_dicts(docs)
        collection.resolve_rule_references()
    except SigmaError as exc:
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {exc}") from exc
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # pySigma reads some malformed shapes (a list where a mapping belongs, …) this way
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {type(exc).__name__}") from exc
    bases = [r for r in collection.rules if isinstance(r, SigmaRule)]
    correlations = [r for r in collection.rules if isinstance(r, SigmaCorrelationRule)]
    if len(correlations) > 1 or (not correlations and len(bases) != 1):
        raise SigmaRejected(f"{source}: one rule (or one correlation and its rules) per file")
    conditions, tests = [], []
    for rule in bases:
        condition, test = _checked_base(rule, source)
        conditions.append(condition)
        tests.append(test)
    if not correlations:
        test = tests[0]
        return SigmaLogic(bases[0], conditions[0], lambda row: test(row, {}), test)
    corr = correlations[0]
    spec = _correlation(corr, source)
    used = {id(ref.rule) for ref in corr.rules or []}
    pairs = [(c, t) for r, c, t in zip(bases, conditions, tests, strict=True) if id(r) in used]
    if not pairs:
        raise SigmaRejected(f"{source}: the correlation refers to no rule in the file")
    condition = " OR ".join(f"({c})" for c, _ in pairs)
    base_tests = [t for _, t in pairs]

    def any_base(row: dict[str, Any], cache: dict[str, Any]) -> bool:
        return any(t(row, cache) for t in base_tests)

    return SigmaLogic(corr, condition, lambda row: any_base(row, {}), any_base, spec)


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
    if kind not in ("event_count", "value_count"):
        raise SigmaRejected(
            f"{source}: correlation type {kind!r} is not supported (event_count, value_count are)"
        )
    condition = corr.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise SigmaRejected(f"{source}: extended correlation conditions are not supported")
    op = OPERATORS.get(getattr(condition.op, "name", ""), "")
    if not op:
        raise SigmaRejected(f"{source}: correlation condition {condition.op} is not supported")
    group = tuple(corr.group_by or ())
    field = getattr(condition, "fieldref", None)
    try:
        for name in (*group, *([field] if field else [])):
            sql_expr(name)
    except UnmappedField as exc:
        raise SigmaRejected(f"{source}: {exc}") from exc
    if kind == "value_count" and not field:
        raise SigmaRejected(f"{source}: a value_count correlation needs condition.field")
    return Correlation(kind, group, int(corr.timespan.seconds), op, int(condition.count), field)


def load_file(path: Path) -> SigmaLogic:
    try:
        text = read_text(path, what="a Sigma rule")
    except InputError as exc:
        raise SigmaRejected(str(exc)) from exc
    return load_rule(text, str(path))


def alias(field: str) -> str:
    """A column name for a Sigma field in result rows: userIdentity.arn → useridentity_arn."""
    return re.sub(r"[^a-z0-9_]", "_", field.lower())


def grouping(logic: SigmaLogic, default: tuple[str, ...]) -> tuple[str, ...]:
    """The fields a finding is keyed on: a correlation's group-by, else the unit's."""
    if logic.correlation is not None and logic.correlation.group_by:
        return logic.correlation.group_by
    return default


def batch_sql(logic: SigmaLogic, group_by: tuple[str, ...], summary: str) -> str:
    """The unit query: matching records per window and grouping key; for a correlation, only
    the groups whose count (or distinct count) passes its condition."""
    group_by = grouping(logic, group_by)
    corr = logic.correlation
    seconds = corr.seconds if corr else 3600
    keys = "".join(f"    {sql_expr(f)} AS {alias(f)},\n" for f in group_by)
    positions = ", ".join(str(i) for i in range(1, 4 + len(group_by)))
    text = summary.replace("'", "''")
    having = ""
    measure = "count(*)"
    if corr is not None:
        if corr.kind == "value_count" and corr.field:
            measure = f"count(DISTINCT {sql_expr(corr.field)})"
        having = f"HAVING {measure} {corr.op} {corr.count}\n"
    return f"""SELECT
    to_timestamp(floor(epoch(event_ts) / {seconds}) * {seconds}) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
{keys}    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(coalesce(useridentity.arn, sourceipaddress)) AS actor,
    '{text}: ' || CAST({measure} AS VARCHAR) AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{{{since}}}} AND event_ts < {{{{until}}}}
  AND date BETWEEN {{{{since_date}}}} AND {{{{until_date}}}}
  AND ({logic.condition_sql})
GROUP BY {positions}
{having}"""


def evidence_sql(logic: SigmaLogic, group_by: tuple[str, ...]) -> str:
    """The records behind a Sigma finding: the rule's condition, the finding's key, its time."""
    keys = "".join(f"\n  AND {sql_expr(f)} = {{{{{alias(f)}}}}}" for f in grouping(logic, group_by))
    return (
        f"SELECT * FROM cloudtrail WHERE ({logic.condition_sql}){keys}\n"
        "  AND event_ts BETWEEN {{first_seen}} AND {{last_seen}} ORDER BY event_ts"
    )
