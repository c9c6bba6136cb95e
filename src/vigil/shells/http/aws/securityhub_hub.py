"""Security Hub's hub and insights (REST JSON) over the service layer: DescribeHub (`GET
/accounts`), GetInsights, CreateInsight, UpdateInsight, DeleteInsight, GetInsightResults, and
the deprecated UpdateFindings (`PATCH /findings`: Note and RecordState by filters)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Final

from vigil.api import Settings, hub
from vigil.api.access import Need
from vigil.errors import VigilError
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.securityhub_routes import path_params

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
MAX_RESULTS: Final = 100


def _invalid(message: str) -> AwsApiError:
    return AwsApiError("InvalidInputException", message)


def _arn(p: dict[str, Any]) -> str:
    """The insight's ARN from the path (as botocore sends it) or the body."""
    arn = path_params().get("InsightArn") or p.get("InsightArn")
    if not arn:
        raise _invalid("InsightArn is required")
    return str(arn)


def describe_hub(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return hub.describe_hub(s, path_params().get("HubArn"), c.account, c.region)


def get_insights(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    arns = p.get("InsightArns")
    if arns is not None and not (isinstance(arns, list) and all(isinstance(a, str) for a in arns)):
        raise _invalid("InsightArns: a list of insight ARNs")
    limit = p.get("MaxResults") or MAX_RESULTS
    if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise _invalid(f"MaxResults: 1 to {MAX_RESULTS}")
    try:
        start = int(base64.b64decode(p["NextToken"]).decode()) if p.get("NextToken") else 0
    except ValueError:
        raise _invalid("The NextToken is not valid.") from None
    found = hub.get_insights(s, arns, c.account, c.region)
    out: dict[str, Any] = {"Insights": found[start : start + limit]}
    if start + limit < len(found):
        out["NextToken"] = base64.b64encode(str(start + limit).encode()).decode()
    return out


def create_insight(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    for name in ("Name", "Filters", "GroupByAttribute"):
        if p.get(name) is None:
            raise _invalid(f"{name} is required")
    arn = hub.create_insight(s, p["Name"], p["Filters"], p["GroupByAttribute"], c.account,
                                 c.region)  # fmt: skip
    return {"InsightArn": arn}


def update_insight(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    hub.update_insight(s, _arn(p), p.get("Name"), p.get("Filters"),
                           p.get("GroupByAttribute"), c.account, c.region)  # fmt: skip
    return {}


def delete_insight(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    arn = _arn(p)
    hub.delete_insight(s, arn, c.account, c.region)
    return {"InsightArn": arn}


def get_insight_results(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return {"InsightResults": hub.insight_results(s, _arn(p), c.account, c.region)}


def update_findings(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    note = p.get("Note")
    if note is not None and not isinstance(note, dict):
        raise _invalid("Note: {Text, UpdatedBy}")
    hub.update_findings(s, p.get("Filters"), note, p.get("RecordState"))
    return {}


def _status(code: str) -> int:
    """The HTTP status Security Hub's model gives an error (404 for ResourceNotFound, …)."""
    from vigil.shells.http.aws.protocol import model

    try:
        return int(model("securityhub").shape_for(code).metadata["error"]["httpStatusCode"])
    except (KeyError, LookupError, TypeError, ValueError):
        return 400


def _answered(handler: Handler) -> Handler:
    """The handler, its coded errors answered with Security Hub's statuses."""

    def run(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        try:
            return handler(s, c, p)
        except VigilError as exc:  # the stage's HubError and this shell's own AwsApiError alike
            code = getattr(exc, "code", None)
            if not isinstance(code, str):
                raise
            sender = exc.sender if isinstance(exc, AwsApiError) else True
            raise AwsApiError(code, exc.message, status=_status(code), sender=sender,
                              hint=exc.hint) from None  # fmt: skip

    return run


def operations() -> dict[str, tuple[Need, Handler]]:
    R, W = Need.READ, Need.WRITE
    table = {
        "DescribeHub": (R, describe_hub), "GetInsights": (R, get_insights),
        "CreateInsight": (W, create_insight), "UpdateInsight": (W, update_insight),
        "DeleteInsight": (W, delete_insight), "GetInsightResults": (R, get_insight_results),
        "UpdateFindings": (W, update_findings),
    }  # fmt: skip
    return {name: (need, _answered(handler)) for name, (need, handler) in table.items()}
