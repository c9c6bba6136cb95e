"""Security Hub insights over the findings store: a name, ASFF filters (GetFindings' grammar,
`asff_filter`) and a GroupByAttribute; its results are the matching findings counted by that
attribute's values, most first (at most 100, as Security Hub returns them).

Three of Security Hub's managed insights are built in under their own ARNs (the ones whose
grouping the findings hold): resources with the most findings, S3 buckets with public
permissions, EC2 instances in known TTPs. They cannot be changed or deleted. Custom insights are
kept in the state store (`hub_insights`)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from vigil.errors import VigilError
from vigil.findings.asff_filter import PATHS, FilterInvalid, check, values
from vigil.state import Store

MAX_VALUES: Final = 100
MAX_CUSTOM: Final = 100  # Security Hub's quota of custom insights per account
# What an insight can group by: the filter fields whose values are names, not times or scores.
GROUPABLE: Final = tuple(n for n in PATHS if not n.endswith("At") and n != "SeverityNormalized")
_OPEN: Final = {
    "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    "WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"},
                       {"Value": "NOTIFIED", "Comparison": "EQUALS"}],
}  # fmt: skip


@dataclass(frozen=True)
class Insight:
    arn: str
    name: str
    filters: dict[str, Any]
    group_by: str

    def as_dict(self) -> dict[str, Any]:
        return {"InsightArn": self.arn, "Name": self.name, "Filters": self.filters,
                "GroupByAttribute": self.group_by}  # fmt: skip


def _managed(number: int, name: str, extra: dict[str, Any]) -> Insight:
    arn = f"arn:aws:securityhub:::insight/securityhub/default/{number}"
    return Insight(arn, name, {**extra, **_OPEN}, "ResourceId")


MANAGED: Final = {
    i.arn: i
    for i in (
        _managed(1, "AWS resources with the most findings", {}),
        _managed(10, "S3 buckets with public write or read permissions", {
            "Type": [{"Value": "Effects/Data Exposure", "Comparison": "PREFIX"}],
            "ResourceType": [{"Value": "AwsS3Bucket", "Comparison": "EQUALS"}]}),
        _managed(14, "EC2 instances involved in known Tactics, Techniques, and Procedures (TTPs)", {
            "Type": [{"Value": "TTPs", "Comparison": "PREFIX"}],
            "ResourceType": [{"Value": "AwsEc2Instance", "Comparison": "EQUALS"}]}),
    )
}  # fmt: skip


class InsightInvalid(VigilError):
    """What Security Hub answers InvalidInputException to."""


class InsightMissing(VigilError):
    """What Security Hub answers ResourceNotFoundException to."""


def check_insight(name: Any, filters: Any, group_by: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise InsightInvalid("Name: a non-empty string")
    if not isinstance(group_by, str) or group_by not in GROUPABLE:
        raise InsightInvalid(f"GroupByAttribute {group_by!r}: one of {', '.join(GROUPABLE)}")
    try:
        check(filters)
    except FilterInvalid as exc:
        raise InsightInvalid(str(exc)) from None


def results(insight: Insight, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GetInsightResults' ResultValues: the matching documents counted per grouping value (a
    document with several values, such as resources, counts once for each)."""
    from vigil.findings.asff_filter import matches

    wanted = check(insight.filters)
    counts: Counter[str] = Counter()
    for doc in docs:
        if matches(wanted, doc):
            counts.update({str(v) for v in values(doc, PATHS[insight.group_by]) if v != ""})
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_VALUES]
    return [{"GroupByAttributeValue": v, "Count": n} for v, n in ranked]


def custom_id(arn: str) -> str:
    """The id at the end of a custom insight's ARN (`…:insight/ACCOUNT/custom/ID`)."""
    head, _, ident = str(arn).rpartition("/custom/")
    if not head or not ident:
        raise InsightMissing(f"Insight {arn} not found")
    return ident


class InsightStore(Store):
    def create(self, name: str, filters: dict[str, Any], group_by: str, now: int) -> str:
        check_insight(name, filters, group_by)
        ident = str(uuid.uuid4())
        with self.state.transaction() as db:
            (count,) = db.execute("SELECT count(*) FROM hub_insights").fetchone()
            if count >= MAX_CUSTOM:
                raise InsightInvalid(f"at most {MAX_CUSTOM} custom insights")
            db.execute(
                "INSERT INTO hub_insights VALUES (?, ?, ?, ?, ?)",
                (ident, name, json.dumps(filters), group_by, now),
            )
        return ident

    def get(self, arn: str, account: str, region: str) -> Insight:
        if arn in MANAGED:
            return MANAGED[arn]
        ident = custom_id(arn)
        row = self.state.db.execute(
            "SELECT name, filters, group_by FROM hub_insights WHERE id = ?", (ident,)
        ).fetchone()
        if row is None:
            raise InsightMissing(f"Insight {arn} not found")
        return Insight(arn_of(ident, account, region), row[0], json.loads(row[1]), row[2])

    def custom(self, account: str, region: str) -> list[Insight]:
        rows = self.state.db.execute(
            "SELECT id, name, filters, group_by FROM hub_insights ORDER BY created_ms, id"
        ).fetchall()
        return [Insight(arn_of(i, account, region), n, json.loads(f), g) for i, n, f, g in rows]

    def update(self, arn: str, name: Any, filters: Any, group_by: Any, account: str,
               region: str) -> None:  # fmt: skip
        if arn in MANAGED:
            raise InsightInvalid(f"Insight {arn} is a managed insight: it cannot be changed")
        old = self.get(arn, account, region)
        new = Insight(
            old.arn,
            old.name if name is None else name,
            old.filters if filters is None else filters,
            old.group_by if group_by is None else group_by,
        )
        check_insight(new.name, new.filters, new.group_by)
        with self.state.transaction() as db:
            db.execute(
                "UPDATE hub_insights SET name = ?, filters = ?, group_by = ? WHERE id = ?",
                (new.name, json.dumps(new.filters), new.group_by, custom_id(arn)),
            )

    def delete(self, arn: str, account: str, region: str) -> None:
        if arn in MANAGED:
            raise InsightInvalid(f"Insight {arn} is a managed insight: it cannot be deleted")
        self.get(arn, account, region)
        with self.state.transaction() as db:
            db.execute("DELETE FROM hub_insights WHERE id = ?", (custom_id(arn),))


def arn_of(ident: str, account: str, region: str) -> str:
    return f"arn:aws:securityhub:{region}:{account}:insight/{account}/custom/{ident}"
