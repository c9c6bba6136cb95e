"""Findings other tools send in AWS Security Finding Format (BatchImportFindings): each checked
for ASFF's required fields and read into a hub finding. The identity is Security Hub's (the
product ARN and the finding's own `Id`), so importing the same finding again updates it
(findings.imported applies the version rule), with two exceptions that keep one hub finding
per problem: GuardDuty's findings sent as ASFF (product `aws/guardduty`, Id the finding's
ARN) are the GuardDuty finding itself, and control findings are one per Security Hub control
and resource (findings.standards). The document as sent is kept as the finding's evidence
and given back by GetFindings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from vigil import clock
from vigil.errors import VigilError
from vigil.findings.export import asff
from vigil.findings.imported import Imported, initial_state
from vigil.findings.standards import control_of
from vigil.model.finding import Finding, Hit, finding_id

REQUIRED: Final = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId",
                   "Types", "CreatedAt", "UpdatedAt", "Severity", "Title", "Description",
                   "Resources")  # fmt: skip
LABEL_SEVERITY: Final = {"INFORMATIONAL": 0.0, "LOW": 2.0, "MEDIUM": 5.0, "HIGH": 7.0,
                         "CRITICAL": 9.0}  # fmt: skip
MAX_BYTES: Final = 240 * 1024
UNIT_PREFIX: Final = "asff/"
GUARDDUTY_PRODUCT: Final = ":product/aws/guardduty"
GUARDDUTY_FINDING: Final = re.compile(
    r"^arn:[^:]+:guardduty:[^:]*:\d*:detector/[^/]+/finding/([^/]+)$"
)


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
    created: int = 0  # of the successes: new findings,
    updated: int = 0  # later versions taken,
    unchanged: int = 0  # and equal or older versions, ignored as Security Hub ignores them


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


def iso(doc: dict[str, Any], key: str) -> str:
    """A document's time as ISO 8601 with milliseconds, or AsffInvalid naming the field."""
    try:
        return clock.iso(clock.parse_iso(str(doc[key])), "milliseconds")
    except (ValueError, TypeError):
        raise AsffInvalid(f"{key} {doc[key]!r} is not an ISO 8601 time") from None


def _checked(doc: Any) -> dict[str, Any]:
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
    return doc


def read(doc: Any) -> Imported:
    """One ASFF finding as a hub finding, or AsffInvalid saying what is wrong. A GuardDuty
    finding sent as ASFF is the same hub finding as GuardDuty's own document; a control
    finding is one per control and resource, whichever standard it came under."""
    doc = _checked(doc)
    account, arn, ident = str(doc["AwsAccountId"]), str(doc["ProductArn"]), str(doc["Id"])
    created, updated = iso(doc, "CreatedAt"), iso(doc, "UpdatedAt")
    first = iso(doc, "FirstObservedAt") if doc.get("FirstObservedAt") else created
    last = iso(doc, "LastObservedAt") if doc.get("LastObservedAt") else updated
    resource = doc["Resources"][0]
    region = str(doc.get("Region") or resource.get("Region") or _region(arn) or "us-east-1")
    source = fid = identity(arn, ident)
    key: dict[str, Any] = {"Id": ident, "ProductArn": arn}
    product, name, kind = "securityhub", _product_name(doc), str(doc["Types"][0])
    control = None
    if arn.endswith(GUARDDUTY_PRODUCT):
        product, name, kind = "guardduty", "GuardDuty", guardduty_type(doc["Types"])
        found = GUARDDUTY_FINDING.match(ident)
        source = fid = identity(ident, found[1]) if found else fid
    else:
        control = control_of(doc)
        if control is not None and control.control:
            where = f"{account}/{region}/{resource.get('Id', '')}"
            fid = identity(f"security-control/{control.control}", where)
            key["SecurityControlId"] = control.control
    title = str(doc["Title"])[:256]
    finding = Finding(
        id=fid, unit=f"{UNIT_PREFIX}{name}", type=kind, title=title,
        description=str(doc["Description"])[:1024], severity=_severity(doc), account=account,
        region=region, resource_type=str(resource.get("Type", "Other")),
        resource_id=str(resource.get("Id", "")), key=key, first_seen=first, last_seen=last,
        count=1, actor=None, summary=title, evidence_query="", sample_evidence=[],
        record_state=initial_state(doc), product=product, product_name=name,
        product_severity=_product_severity(doc),
        standards=list(control.standards) if control else [],
    )  # fmt: skip
    hit = Hit(fid, created, first, last, 1, None, title)
    standard = control.standard if control else ""
    return Imported(finding, hit, source, updated, doc, standard, _names(doc["Resources"]))


def guardduty_type(types: list[str]) -> str:
    """GuardDuty's finding type inside the ASFF Types it sends (`TTPs/Command and Control/
    Backdoor:EC2-C&CActivity.B!DNS` → `Backdoor:EC2/C&CActivity.B!DNS`); else the first type."""
    for t in types:
        last = t.rsplit("/", 1)[-1]
        purpose, colon, rest = last.partition(":")
        if purpose and colon and "-" in rest:
            return f"{purpose}:{rest.replace('-', '/', 1)}"
    return types[0]


def _region(product_arn: str) -> str:
    parts = product_arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _product_name(doc: dict[str, Any]) -> str:
    return str(doc.get("ProductName") or str(doc["ProductArn"]).rsplit("/", 1)[-1])


def _product_severity(doc: dict[str, Any]) -> str:
    """The product's own severity as it gave it: Original (FindingProviderFields' first),
    else the Label, else Normalized."""
    provider = doc.get("FindingProviderFields")
    given = provider.get("Severity") if isinstance(provider, dict) else None
    for sev in (given, doc.get("Severity")):
        if isinstance(sev, dict) and sev.get("Original") not in (None, ""):
            return str(sev["Original"])[:64]
    sev = doc["Severity"] if isinstance(doc["Severity"], dict) else {}
    return str(sev.get("Label") or sev.get("Normalized") or "")


def _names(resources: list[dict[str, Any]]) -> tuple[str, ...]:
    """Every resource's id, and the network interfaces and user an ASFF resource's Details
    name (links find GuardDuty's and Vigil's findings by those)."""
    out = [str(r["Id"]) for r in resources if r.get("Id")]
    for r in resources:
        details = r.get("Details") if isinstance(r.get("Details"), dict) else {}
        assert isinstance(details, dict)
        instance = details.get("AwsEc2Instance") or {}
        for nic in instance.get("NetworkInterfaces") or [] if isinstance(instance, dict) else []:
            if isinstance(nic, dict) and nic.get("NetworkInterfaceId"):
                out.append(str(nic["NetworkInterfaceId"]))
        key = details.get("AwsIamAccessKey") or {}
        if isinstance(key, dict) and (key.get("PrincipalName") or key.get("UserName")):
            out.append(str(key.get("PrincipalName") or key.get("UserName")))
    return tuple(out)


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
    if f.standards:  # every standard the control came under (one finding for all of them)
        given = doc.get("Compliance")
        compliance: dict[str, Any] = given if isinstance(given, dict) else {}
        doc["Compliance"] = {**compliance, "AssociatedStandards": [
            {"StandardsId": s} for s in f.standards]}  # fmt: skip
        if f.key.get("SecurityControlId"):
            doc["Compliance"]["SecurityControlId"] = f.key["SecurityControlId"]
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
