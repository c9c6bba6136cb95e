"""Sigma rules as detection logic: load, check they can run, and give both engines.

`load_rule` returns the rule's SQL condition (pySigma backend) and its Python predicate, or
says why the rule cannot run here (wrong log source, unsupported modifier or value, keyword
search, placeholder, aggregation or correlation, unknown field).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from vigil.detect.sigma_backend import CloudTrailBackend
from vigil.detect.sigma_eval import Test, Unsupported, compile_test
from vigil.detect.sigma_fields import UnmappedField, sql_expr

LEVELS: Final = {"informational": 1.0, "low": 3.0, "medium": 5.0, "high": 7.5, "critical": 9.0}
_WHERE: Final = re.compile(r"^SELECT \* FROM logs WHERE ", re.IGNORECASE)


@dataclass(frozen=True)
class SigmaLogic:
    rule: SigmaRule
    condition_sql: str
    predicate: Callable[[dict[str, Any]], bool]
    test: Test  # the same, with a cache shared by the rules that look at one event

    @property
    def severity(self) -> float:
        level = getattr(self.rule.level, "name", None) or "medium"
        return LEVELS.get(level.lower(), 5.0)


class SigmaRejected(ValueError):
    """A rule that cannot run here; the message is the reason."""


def load_rule(text: str, source: str) -> SigmaLogic:
    try:
        collection = SigmaCollection.from_yaml(text)
    except SigmaError as exc:
        raise SigmaRejected(f"{source}: not a valid Sigma rule: {exc}") from exc
    rules = [r for r in collection.rules if isinstance(r, SigmaRule)]
    if len(rules) != 1 or len(collection.rules) != 1:
        raise SigmaRejected(f"{source}: correlation and multi-rule documents are not supported yet")
    rule = rules[0]
    logsource = rule.logsource
    if (logsource.product or "").lower() != "aws" or (
        logsource.service or ""
    ).lower() != "cloudtrail":
        raise SigmaRejected(f"{source}: log source is not product aws, service cloudtrail")
    try:
        converted = CloudTrailBackend().convert_rule(rule)
        test = compile_test(rule)
    except (SigmaError, Unsupported, UnmappedField, NotImplementedError) as exc:
        raise SigmaRejected(f"{source}: {exc}") from exc
    if len(converted) != 1:
        raise SigmaRejected(f"{source}: the rule converts to {len(converted)} queries")
    return SigmaLogic(rule, _WHERE.sub("", str(converted[0])), lambda row: test(row, {}), test)


def load_file(path: Path) -> SigmaLogic:
    return load_rule(path.read_text(), str(path))


def alias(field: str) -> str:
    """A column name for a Sigma field in result rows: userIdentity.arn → useridentity_arn."""
    return re.sub(r"[^a-z0-9_]", "_", field.lower())


def batch_sql(logic: SigmaLogic, group_by: tuple[str, ...], summary: str) -> str:
    """The unit query for a Sigma rule: matching records grouped per hour and grouping key."""
    keys = ",\n    ".join(f"{sql_expr(f)} AS {alias(f)}" for f in group_by)
    positions = ", ".join(str(i) for i in range(1, 4 + len(group_by)))
    text = summary.replace("'", "''")
    return f"""SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    {keys},
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(coalesce(useridentity.arn, sourceipaddress)) AS actor,
    '{text}' AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{{{since}}}} AND event_ts < {{{{until}}}}
  AND date BETWEEN {{{{since_date}}}} AND {{{{until_date}}}}
  AND ({logic.condition_sql})
GROUP BY {positions}
"""
