"""GetFindings' `Filters` over ASFF documents, as Security Hub reads them: fields are ANDed;
within a field, positive string comparisons (EQUALS, PREFIX, CONTAINS) are ORed and negative
ones (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS) ANDed; number filters take Gte/Lte/Gt/Lt/Eq;
date filters Start/End or DateRange in DAYS. A field a document has several values of (Types,
Resources) matches when any value does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from vigil import clock
from vigil.errors import VigilError

# Filter name → how to read its values from a document.
PATHS: Final = {
    "Id": ("Id",), "ProductArn": ("ProductArn",), "GeneratorId": ("GeneratorId",),
    "AwsAccountId": ("AwsAccountId",), "Region": ("Region",), "Type": ("Types", "*"),
    "Title": ("Title",), "Description": ("Description",), "ProductName": ("ProductName",),
    "CompanyName": ("CompanyName",), "SeverityLabel": ("Severity", "Label"),
    "SeverityNormalized": ("Severity", "Normalized"), "WorkflowStatus": ("Workflow", "Status"),
    "RecordState": ("RecordState",), "ResourceType": ("Resources", "*", "Type"),
    "ResourceId": ("Resources", "*", "Id"), "ComplianceStatus": ("Compliance", "Status"),
    "CreatedAt": ("CreatedAt",), "UpdatedAt": ("UpdatedAt",),
    "FirstObservedAt": ("FirstObservedAt",), "LastObservedAt": ("LastObservedAt",),
}  # fmt: skip
POSITIVE: Final = frozenset({"EQUALS", "PREFIX", "CONTAINS"})
NEGATIVE: Final = frozenset({"NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS"})


class FilterInvalid(VigilError):
    """A filter Security Hub would refuse (InvalidInputException)."""


def values(doc: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [doc]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in doc if isinstance(doc, list) for v in values(item, rest)]
    if not isinstance(doc, dict) or head not in doc:
        return []
    return values(doc[head], rest)


def _string(c: dict[str, Any], have: str) -> bool:
    want, op = str(c.get("Value", "")), c.get("Comparison", "EQUALS")
    return {
        "EQUALS": have == want, "NOT_EQUALS": have != want,
        "PREFIX": have.startswith(want), "PREFIX_NOT_EQUALS": not have.startswith(want),
        "CONTAINS": want in have, "NOT_CONTAINS": want not in have,
    }[op]  # fmt: skip


def _number(c: dict[str, Any], have: float) -> bool:
    checks = {"Gte": have.__ge__, "Lte": have.__le__, "Gt": have.__gt__, "Lt": have.__lt__,
              "Eq": have.__eq__}  # fmt: skip
    return all(checks[k](float(v)) for k, v in c.items() if k in checks)


def _date(c: dict[str, Any], have: str, now: datetime) -> bool:
    moment = clock.parse_iso(have)
    if "DateRange" in c:
        days = int(c["DateRange"].get("Value", 0))
        return moment >= now - timedelta(days=days)
    start = clock.parse_iso(c["Start"]) if c.get("Start") else None
    end = clock.parse_iso(c["End"]) if c.get("End") else None
    return (start is None or moment >= start) and (end is None or moment <= end)


def _field(name: str, conditions: list[Any], doc: dict[str, Any], now: datetime) -> bool:
    have = values(doc, PATHS[name])
    if name.endswith("At"):
        return all(any(_date(c, str(h), now) for h in have) for c in conditions)
    if name == "SeverityNormalized":
        return all(any(_number(c, float(h)) for h in have) for c in conditions)
    pos = [c for c in conditions if c.get("Comparison", "EQUALS") in POSITIVE]
    neg = [c for c in conditions if c.get("Comparison") in NEGATIVE]
    texts = [str(h) for h in have]
    ok_pos = not pos or any(_string(c, h) for c in pos for h in texts)
    ok_neg = all(all(_string(c, h) for h in texts) for c in neg)
    return ok_pos and ok_neg


def check(filters: Any) -> dict[str, list[dict[str, Any]]]:
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise FilterInvalid("Filters: an object of filter lists")
    for name, conditions in filters.items():
        if name not in PATHS:
            raise FilterInvalid(f"Filters.{name}: Vigil filters on " + ", ".join(sorted(PATHS)))
        if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
            raise FilterInvalid(f"Filters.{name}: a list of filter objects")
        for c in conditions:
            op = c.get("Comparison", "EQUALS")
            if (
                not name.endswith("At")
                and name != "SeverityNormalized"
                and (op not in POSITIVE | NEGATIVE)
            ):
                raise FilterInvalid(f"Filters.{name}: Comparison {op!r}")
    return filters


def matches(filters: dict[str, list[dict[str, Any]]], doc: dict[str, Any],
            now: datetime | None = None) -> bool:  # fmt: skip
    moment = now or datetime.now(UTC)
    return all(_field(name, conds, doc, moment) for name, conds in filters.items() if conds)
