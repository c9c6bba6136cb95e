"""Findings other tools send in AWS Security Finding Format (BatchImportFindings): each checked
for ASFF's required fields and read into a hub finding. The identity is Security Hub's (the
product ARN and the finding's own `Id`), so importing the same finding again updates it. The
document as sent is kept as the finding's evidence and given back by GetFindings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from vigil import clock
from vigil.errors import VigilError
from vigil.findings.export import asff
from vigil.model.finding import Finding, Hit, RecordState, finding_id

REQUIRED: Final = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId",
                   "Types", "CreatedAt", "UpdatedAt", "Severity", "Title", "Description",
                   "Resources")  # fmt: skip
LABEL_SEVERITY: Final = {"INFORMATIONAL": 0.0, "LOW": 2.0, "MEDIUM": 5.0, "HIGH": 7.0,
                         "CRITICAL": 9.0}  # fmt: skip
MAX_BYTES: Final = 240 * 1024
UNIT_PREFIX: Final = "asff/"


class AsffInvalid(VigilError):
    """Why one finding cannot be imported (Security Hub's InvalidInput)."""


@dataclass(frozen=True)
class ImportFailure:
    """One finding not imported: its `Id` as sent ("" when it has none) and why."""

    id: str
    message: str
    code: str = "InvalidInput"


@dataclass(frozen=True)
class ImportResult:
    """What an import took: how many findings were read, and each one that was not."""

    success_count: int
    failed: list[ImportFailure] = field(default_factory=list)


def identity(product_arn: str, ident: str) -> str:
    """The hub id of an imported finding (Security Hub's identity: product ARN and Id)."""
    return finding_id(UNIT_PREFIX, product_arn, "", {"Id": ident})


def _severity(doc: dict[str, Any]) -> float:
    sev = doc["Severity"]
    if not isinstance(sev, dict):
        raise AsffInvalid("Severity: an object with Label or Normalized")
    if "Label" in sev:
        label = str(sev["Label"]).upper()
        if label not in LABEL_SEVERITY:
            raise AsffInvalid(f"Severity.Label {sev['Label']!r}: one of "
                              + ", ".join(LABEL_SEVERITY))  # fmt: skip
        return LABEL_SEVERITY[label]
    if "Normalized" in sev:
        value = sev["Normalized"]
        if not isinstance(value, int | float) or not 0 <= value <= 100:
            raise AsffInvalid("Severity.Normalized: a number from 0 to 100")
        return round(float(value) / 10, 1)
    raise AsffInvalid("Severity: give Label (or Normalized)")


def _time(doc: dict[str, Any], key: str) -> str:
    try:
        return clock.iso(clock.parse_iso(str(doc[key])), "milliseconds")
    except (ValueError, TypeError):
        raise AsffInvalid(f"{key} {doc[key]!r} is not an ISO 8601 time") from None


def read(doc: Any) -> tuple[Finding, Hit]:
    """One ASFF finding as a hub finding and its hit, or AsffInvalid saying what is wrong."""
    if not isinstance(doc, dict):
        raise AsffInvalid("a finding is a JSON object")
    missing = [k for k in REQUIRED if doc.get(k) in (None, "", [])]
    if missing:
        raise AsffInvalid(f"Finding does not adhere to Amazon Finding Format. missing required "
                          f"field(s): {', '.join(missing)}")  # fmt: skip
    size = len(json.dumps(doc, default=str).encode())
    if size > MAX_BYTES:
        raise AsffInvalid(f"the finding is {size} bytes; at most {MAX_BYTES}")
    types, resources = doc["Types"], doc["Resources"]
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise AsffInvalid("Types: a list of strings")
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise AsffInvalid("Resources: a list of objects with Type and Id")
    account = str(doc["AwsAccountId"])
    if not (account.isdigit() and len(account) == 12):
        raise AsffInvalid(f"AwsAccountId {account!r}: 12 digits")
    created, updated = _time(doc, "CreatedAt"), _time(doc, "UpdatedAt")
    first = _time(doc, "FirstObservedAt") if doc.get("FirstObservedAt") else created
    last = _time(doc, "LastObservedAt") if doc.get("LastObservedAt") else updated
    fid = identity(str(doc["ProductArn"]), str(doc["Id"]))
    resource = resources[0] if resources else {}
    product = str(doc.get("ProductName") or str(doc["ProductArn"]).rsplit("/", 1)[-1])
    state = RecordState.ARCHIVED if doc.get("RecordState") == "ARCHIVED" else RecordState.ACTIVE
    finding = Finding(
        id=fid, unit=f"{UNIT_PREFIX}{product}", type=types[0], title=str(doc["Title"])[:256],
        description=str(doc["Description"])[:1024], severity=_severity(doc), account=account,
        region=str(doc.get("Region") or "us-east-1"),
        resource_type=str(resource.get("Type", "Other")), resource_id=str(resource.get("Id", "")),
        key={"Id": str(doc["Id"]), "ProductArn": str(doc["ProductArn"])}, first_seen=first,
        last_seen=last, count=1, actor=None, summary=str(doc["Title"])[:256], evidence_query="",
        sample_evidence=[], record_state=state,
    )  # fmt: skip
    hit = Hit(fid, created, first, last, 1, None, finding.summary,
              [json.dumps(doc, sort_keys=True, default=str)])  # fmt: skip
    return finding, hit


def original(f: Finding) -> dict[str, Any] | None:
    """The document an imported finding came as (the latest import), or None."""
    if not f.unit.startswith(UNIT_PREFIX) or not f.sample_evidence:
        return None
    try:
        doc = json.loads(f.sample_evidence[-1])
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "SchemaVersion" in doc else None


def asff_of(f: Finding) -> dict[str, Any]:
    """A finding as GetFindings gives it, in AWS's own shape: an imported one as it came, with
    the hub's workflow, record state and note laid over; Vigil's own in Vigil's ASFF."""

    doc = original(f)
    if doc is None:
        return asff(f)
    doc = {**doc, "Workflow": {"Status": f.workflow.value}, "RecordState": f.record_state.value}
    if f.note:
        doc["Note"] = {"Text": f.note, "UpdatedBy": "vigil", "UpdatedAt": f.updated_at}
    return doc


def original_guardduty(f: Finding) -> dict[str, Any] | None:
    """The GuardDuty document an imported GuardDuty finding came as, or None."""
    if f.unit != f"{UNIT_PREFIX}GuardDuty" or not f.sample_evidence:
        return None
    try:
        doc = json.loads(f.sample_evidence[-1])
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "SchemaVersion" not in doc else None


def read_guardduty(doc: Any) -> tuple[Finding, Hit]:
    """A GuardDuty finding (the `detail` of a "GuardDuty Finding" event) as a hub finding."""
    if not isinstance(doc, dict):
        raise AsffInvalid("a GuardDuty finding is a JSON object")
    missing = [k for k in ("id", "type", "severity", "accountId", "region", "createdAt",
                           "updatedAt") if doc.get(k) in (None, "")]  # fmt: skip
    if missing:
        raise AsffInvalid(f"the GuardDuty finding lacks {', '.join(missing)}")
    service = doc.get("service") or {}
    created, updated = _time(doc, "createdAt"), _time(doc, "updatedAt")
    first = _time(service, "eventFirstSeen") if service.get("eventFirstSeen") else created
    last = _time(service, "eventLastSeen") if service.get("eventLastSeen") else updated
    arn = str(doc.get("arn") or f"arn:aws:guardduty:{doc['region']}:{doc['accountId']}:finding")
    fid = identity(arn, str(doc["id"]))
    resource = doc.get("resource") or {}
    severity = doc["severity"]
    if not isinstance(severity, int | float):
        raise AsffInvalid("severity: a number (GuardDuty's 1.0-8.9 scale)")
    finding = Finding(
        id=fid, unit=f"{UNIT_PREFIX}GuardDuty", type=str(doc["type"]),
        title=str(doc.get("title") or doc["type"])[:256],
        description=str(doc.get("description") or "")[:1024], severity=float(severity),
        account=str(doc["accountId"]), region=str(doc["region"]),
        resource_type=str(resource.get("resourceType", "Other")), resource_id="",
        key={"Id": str(doc["id"]), "ProductArn": arn}, first_seen=first, last_seen=last,
        count=int(service.get("count") or 1), actor=None, summary=str(doc.get("title") or ""),
        evidence_query="", sample_evidence=[],
    )  # fmt: skip
    # the document is kept, as an ASFF import's is: its resource, actor and network show
    hit = Hit(fid, created, first, last, int(service.get("count") or 1), None, finding.summary,
              [json.dumps(doc, sort_keys=True, default=str)])  # fmt: skip
    return finding, hit
