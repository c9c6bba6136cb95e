"""Security Hub's hub: DescribeHub, insights (custom ones and a few of the managed ones) with
their results over the findings store, and the older UpdateFindings (Note and RecordState of
every finding the filters match). Results in Security Hub's own shapes; errors carry its codes
(`code`: InvalidInputException, ResourceNotFoundException), which the AWS shell passes on."""

from __future__ import annotations

from typing import Any

from vigil.api.findings import find_asff, hub_id
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.errors import AwsApiError, VigilError
from vigil.findings.hub_insights import (
    InsightInvalid,
    InsightMissing,
    InsightStore,
    arn_of,
    results,
)
from vigil.findings.store import FindingStore
from vigil.model.finding import RecordState
from vigil.state import StateDB


class HubError(AwsApiError):
    """Security Hub's refusal; the AWS shell answers it with the status Security Hub's API model
    gives its code."""


def _invalid(exc: Exception) -> HubError:
    return HubError("InvalidInputException", str(exc))


def _missing(exc: Exception) -> HubError:
    return HubError("ResourceNotFoundException", str(exc.args[0] if exc.args else exc))


def describe_hub(settings: Settings, hub_arn: str | None, account: str,
                 region: str) -> dict[str, Any]:  # fmt: skip
    """DescribeHub, a document in AWS's own shape: the hub's ARN, when it was enabled (when
    this home's state was first made), its controls turned on by default and consolidated
    control findings."""

    arn = f"arn:aws:securityhub:{region}:{account}:hub/default"
    if hub_arn and hub_arn != arn:
        raise HubError("ResourceNotFoundException", f"Hub {hub_arn} not found (this one: {arn})")
    with StateDB(settings.state_db) as state:
        row = state.db.execute("SELECT min(applied_at) FROM schema_version").fetchone()
    return {"HubArn": arn, "SubscribedAt": str(row[0]), "AutoEnableControls": True,
            "ControlFindingGenerator": "SECURITY_CONTROL"}  # fmt: skip


def create_insight(settings: Settings, name: Any, filters: Any, group_by: Any, account: str,
                   region: str) -> str:  # fmt: skip

    with InsightStore(settings) as store:
        try:
            return arn_of(store.create(name, filters, group_by, now_ms()), account, region)
        except InsightInvalid as exc:
            raise _invalid(exc) from None


def get_insights(settings: Settings, arns: list[str] | None, account: str,
                 region: str) -> list[dict[str, Any]]:  # fmt: skip
    """GetInsights' list, documents in AWS's own shape: the insights named (managed ones too),
    or every custom insight."""

    with InsightStore(settings) as store:
        if not arns:
            return [i.as_dict() for i in store.custom(account, region)]
        try:
            return [store.get(a, account, region).as_dict() for a in arns]
        except InsightMissing as exc:
            raise _missing(exc) from None


def update_insight(settings: Settings, arn: str, name: Any, filters: Any, group_by: Any,
                   account: str, region: str) -> None:  # fmt: skip

    with InsightStore(settings) as store:
        try:
            store.update(arn, name, filters, group_by, account, region)
        except InsightInvalid as exc:
            raise _invalid(exc) from None
        except InsightMissing as exc:
            raise _missing(exc) from None


def delete_insight(settings: Settings, arn: str, account: str, region: str) -> None:
    with InsightStore(settings) as store:
        try:
            store.delete(arn, account, region)
        except InsightInvalid as exc:
            raise _invalid(exc) from None
        except InsightMissing as exc:
            raise _missing(exc) from None


def insight_results(settings: Settings, arn: str, account: str, region: str) -> dict[str, Any]:
    """GetInsightResults, a document in AWS's own shape: the findings the insight's filters
    match, counted by its grouping."""

    with InsightStore(settings) as store:
        try:
            insight = store.get(arn, account, region)
        except InsightMissing as exc:
            raise _missing(exc) from None
    docs = find_asff(settings, None)
    return {"InsightArn": insight.arn, "GroupByAttribute": insight.group_by,
            "ResultValues": results(insight, docs)}  # fmt: skip


def update_findings(settings: Settings, filters: Any, note: dict[str, Any] | None,
                    record_state: str | None) -> int:  # fmt: skip
    """UpdateFindings: the note and record state of every finding the filters match; how
    many findings that was."""

    if filters is None:
        raise HubError("InvalidInputException", "Filters is required")
    if note is None and record_state is None:
        raise HubError("InvalidInputException", "give a Note, a RecordState or both")
    if note is not None and not (str(note.get("Text") or "").strip() and note.get("UpdatedBy")):
        raise HubError("InvalidInputException", "Note: give both Text and UpdatedBy")
    if record_state is not None and record_state not in ("ACTIVE", "ARCHIVED"):
        raise HubError("InvalidInputException", f"RecordState {record_state!r}: ACTIVE or ARCHIVED")
    try:
        docs = find_asff(settings, filters)
    except VigilError as exc:
        raise HubError("InvalidInputException", exc.message) from None
    ids = [hub_id(settings, str(d.get("Id", "")), str(d.get("ProductArn", ""))) for d in docs]
    with FindingStore(settings.state_db) as store:
        done = store.update_many(ids, None, RecordState(record_state) if record_state else None,
                                 str(note["Text"]) if note else None)  # fmt: skip
    return len(done)
