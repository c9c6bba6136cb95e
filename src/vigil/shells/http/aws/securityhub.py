"""Security Hub (REST JSON: `POST /findings/import`, `POST /findings`, `PATCH
/findings/batchupdate`, …) over the findings hub, so tools that push ASFF send it to Vigil;
the hub and its insights are in `securityhub_hub`, the routing of its REST paths in
`securityhub_routes`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Final

from vigil.api import Settings, findings
from vigil.api.access import Need
from vigil.errors import VigilError
from vigil.model.finding import Workflow
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.securityhub_hub import operations as hub_operations
from vigil.shells.http.aws.securityhub_routes import operation_of

__all__ = ["operation_of", "operations"]

Handler = Callable[[Settings, Caller, dict[str, Any]], dict[str, Any]]
MAX_IMPORT: Final = 100
UPDATABLE: Final = frozenset({"FindingIdentifiers", "Workflow", "Note"})


def _invalid(message: str) -> AwsApiError:
    return AwsApiError("InvalidInputException", message)


def batch_import_findings(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    docs = p.get("Findings")
    if not isinstance(docs, list) or not docs:
        raise _invalid("Findings: a list of 1 to 100 ASFF findings")
    if len(docs) > MAX_IMPORT:
        raise _invalid(f"{len(docs)} findings; BatchImportFindings takes at most {MAX_IMPORT}")
    return _import_reply(findings.import_asff(s, docs))


def _import_reply(result: findings.ImportResult) -> dict[str, Any]:
    """BatchImportFindings' reply: the count imported, and each finding not, with why."""
    failed = [{"Id": f.id, "ErrorCode": f.code, "ErrorMessage": f.message} for f in result.failed]
    return {"SuccessCount": result.success_count, "FailedCount": len(failed),
            "FailedFindings": failed}  # fmt: skip


def get_findings(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    limit = int(p.get("MaxResults") or 100)
    if not 1 <= limit <= 100:
        raise _invalid("MaxResults: 1 to 100")
    try:
        start = int(base64.b64decode(p["NextToken"]).decode()) if p.get("NextToken") else 0
    except ValueError:
        raise _invalid("The NextToken is not valid.") from None
    try:
        found = findings.find_asff(s, p.get("Filters"))
    except VigilError as exc:
        raise _invalid(exc.message) from None
    for crit in reversed(p.get("SortCriteria") or []):
        field = str(crit.get("Field", "UpdatedAt"))

        def by(doc: dict[str, Any], name: str = field) -> str:
            return str(doc.get(name, ""))

        found.sort(key=by, reverse=crit.get("SortOrder", "desc") == "desc")
    page = found[start : start + limit]
    out: dict[str, Any] = {"Findings": page}
    if start + limit < len(found):
        out["NextToken"] = base64.b64encode(str(start + limit).encode()).decode()
    return out


def batch_update_findings(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    idents = p.get("FindingIdentifiers")
    if not isinstance(idents, list) or not 1 <= len(idents) <= 100:
        raise _invalid("FindingIdentifiers: a list of 1 to 100 {Id, ProductArn}")
    other = sorted(set(p) - UPDATABLE)
    if other:
        raise _invalid(f"Vigil updates Workflow and Note; {', '.join(other)} cannot be changed")
    note = p.get("Note")
    if note is not None and not (note.get("Text") and note.get("UpdatedBy")):
        raise _invalid("Note: give both Text and UpdatedBy")
    status = (p.get("Workflow") or {}).get("Status")
    if status is not None and status not in ("NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"):
        raise _invalid(f"Workflow.Status {status!r}: NEW, NOTIFIED, SUPPRESSED or RESOLVED")
    done, failed = [], []
    for ident in idents:
        key = {"Id": str(ident.get("Id", "")), "ProductArn": str(ident.get("ProductArn", ""))}
        try:
            fid = findings.hub_id(s, key["Id"], key["ProductArn"])
            findings.update(s, fid, Workflow(status) if status else None, None,
                                note["Text"] if note else None)  # fmt: skip
            done.append(key)
        except VigilError:
            failed.append({"FindingIdentifier": key, "ErrorCode": "FindingNotFound",
                           "ErrorMessage": "Finding not found"})  # fmt: skip
    return {"ProcessedFindings": done, "UnprocessedFindings": failed}


def operations() -> dict[str, tuple[Need, Handler]]:
    R, W = Need.READ, Need.WRITE
    return {
        **hub_operations(),
        "BatchImportFindings": (W, batch_import_findings), "GetFindings": (R, get_findings),
        "BatchUpdateFindings": (W, batch_update_findings),
    }  # fmt: skip
