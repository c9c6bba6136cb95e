"""Findings in the formats other tools read: AWS Security Finding Format (Security Hub),
OCSF Detection Finding (class 2004), and GuardDuty's finding JSON."""

from __future__ import annotations

from typing import Any, Final

from vigil import __version__, clock
from vigil.model.attack import TACTICS, v18_names
from vigil.model.finding import Finding, FindingKind, RecordState

PRODUCT: Final = "vigil"
ASFF_LABEL_NORMALIZED: Final = {
    "INFORMATIONAL": 0,
    "LOW": 1,
    "MEDIUM": 40,
    "HIGH": 70,
    "CRITICAL": 90,
}
ASFF_RESOURCE_TYPE: Final = {
    "Instance": "AwsEc2NetworkInterface",
    "AwsAccount": "AwsAccount",
    "AwsIamUser": "AwsIamUser",
    "AwsIamRole": "AwsIamRole",
    "AwsIamPrincipal": "AwsIamUser",
    "AwsS3Bucket": "AwsS3Bucket",
    "AwsEc2SecurityGroup": "AwsEc2SecurityGroup",
    "AwsCloudTrailTrail": "AwsCloudTrailTrail",
    "AwsKmsKey": "AwsKmsKey",
    "AwsEc2Snapshot": "AwsEc2Snapshot",
    "AwsGuardDutyDetector": "Other",
    "AwsEc2FlowLog": "Other",
    # GuardDuty's resources, already in ASFF terms (findings.guardduty_import)
    **{
        t: t
        for t in (
            "AwsEc2Instance",
            "AwsIamAccessKey",
            "AwsEksCluster",
            "AwsEcsCluster",
            "AwsLambdaFunction",
            "AwsRdsDbInstance",
            "AwsEc2NetworkInterface",
        )
    },
}
# GuardDuty's threat purpose (before the colon) → ASFF finding-type namespace/category.
ASFF_TYPE: Final = {
    "Recon": "TTPs/Discovery",
    "UnauthorizedAccess": "TTPs/Initial Access",
    "Persistence": "TTPs/Persistence",
    "Stealth": "TTPs/Defense Evasion",
    "Policy": "Software and Configuration Checks/Industry and Regulatory Standards",
    "Impact": "Effects/Resource Consumption",
    "Backdoor": "Effects/Denial of Service",
    "CryptoCurrency": "Effects/Resource Consumption",
    "Exfiltration": "Effects/Data Exfiltration",
    "PenTest": "TTPs/Discovery",
    "Sigma": "TTPs",
}


def _ms(text: str) -> str:
    """ISO 8601 with milliseconds and Z, as ASFF and GuardDuty write times."""
    if not text:
        return text
    return clock.iso(clock.parse_iso(text), "milliseconds")


def _epoch_ms(text: str) -> int:
    return clock.to_ms(clock.parse_iso(text))


def _partition(region: str) -> str:
    return (
        "aws-cn"
        if region.startswith("cn-")
        else "aws-us-gov"
        if region.startswith("us-gov-")
        else "aws"
    )


NO_REGION: Final = ("", "unknown", "-", "global")  # account-wide or region-less: us-east-1


def asff(f: Finding) -> dict[str, Any]:
    """One finding as Security Hub's BatchImportFindings expects it (every required field)."""
    region = f.region if f.region not in NO_REGION else "us-east-1"
    partition = _partition(region)
    account = f.account if f.account.isdigit() and len(f.account) == 12 else "000000000000"
    purpose = f.type.split(":", 1)[0].split("/", 1)[0]
    resource_type = ASFF_RESOURCE_TYPE.get(f.resource_type, "Other")
    resource = {
        "Type": resource_type,
        "Id": f.resource_id or f.account,
        "Partition": partition,
        "Region": region,
    }
    extra: dict[str, Any] = {}
    if f.note:
        extra["Note"] = {"Text": f.note, "UpdatedBy": "vigil", "UpdatedAt": _ms(f.updated_at)}
    fields = {"mitre": ",".join(f.mitre), "tactics": ",".join(_tactic_names(f.tactics)),
              "tactics_v18": ",".join(v18_names(f.tactics))}  # fmt: skip
    if any(fields.values()):
        extra["UserDefinedFields"] = {k: v for k, v in fields.items() if v}
    if f.kind is FindingKind.CONTROL:  # a control finding: Security Hub's Compliance block
        from vigil.findings.compliance import compliance_status

        extra["Compliance"] = {"Status": compliance_status(f.summary, f.note)}
        control = f.type.rsplit("/", 1)[-1]
        if "." in control:  # a Security Hub control id (check.yaml `securityhub`)
            extra["Compliance"]["SecurityControlId"] = control
        if f.standards:
            extra["Compliance"]["AssociatedStandards"] = [{"StandardsId": s} for s in f.standards]
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"vigil/{f.id}",
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": "Vigil",
        "CompanyName": "Vigil",
        "GeneratorId": f"vigil/detections/{f.unit}",
        "AwsAccountId": account,
        "Region": region,
        # The classifier is the finding type with "/" as "-", as GuardDuty's own ASFF has it.
        "Types": [f.type]
        if f.kind is FindingKind.CONTROL
        else [f"{ASFF_TYPE.get(purpose, 'Unusual Behaviors')}/{f.type.replace('/', '-')}"],
        "FirstObservedAt": _ms(f.first_seen),
        "LastObservedAt": _ms(f.last_seen),
        "CreatedAt": _ms(f.created_at),
        "UpdatedAt": _ms(f.updated_at),
        "Severity": {
            "Label": f.severity_label,
            "Normalized": ASFF_LABEL_NORMALIZED[f.severity_label],
            "Original": f"{f.severity:.1f}",
        },
        "Title": f.title,
        "Description": (f.summary or f.description)[:1024],
        "Resources": [resource],
        "RecordState": f.record_state.value,
        "Workflow": {"Status": f.workflow.value},
        "ProductFields": {
            "vigil/Type": f.type,
            "vigil/Count": str(f.count),
            "vigil/EvidenceQuery": f.evidence_query[:2048],
            "vigil/Version": __version__,
        },
        **extra,
    }


OCSF_SEVERITY: Final = {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
OCSF_STATUS: Final = {"NEW": 1, "NOTIFIED": 2, "SUPPRESSED": 3, "RESOLVED": 4}


def ocsf(f: Finding) -> dict[str, Any]:
    """OCSF 1.1 Detection Finding (category 2 Findings, class 2004), activity Create/Update."""
    severity_id = OCSF_SEVERITY[f.severity_label]
    activity_id = 1 if f.created_at == f.updated_at else 2
    return {
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "activity_id": activity_id,
        "activity_name": "Create" if activity_id == 1 else "Update",
        "type_uid": 2004 * 100 + activity_id,
        "severity_id": severity_id,
        "severity": f.severity_label.capitalize(),
        "status_id": OCSF_STATUS[f.workflow.value],
        "status": f.workflow.value.capitalize(),
        "time": _epoch_ms(f.updated_at),
        "count": f.count,
        "message": f.summary or f.title,
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "Vigil", "vendor_name": "Vigil", "version": __version__},
            "uid": f.id,
        },
        "finding_info": {
            "uid": f.id,
            "title": f.title,
            "desc": f.description,
            "types": [f.type],
            "first_seen_time": _epoch_ms(f.first_seen),
            "last_seen_time": _epoch_ms(f.last_seen),
            "created_time": _epoch_ms(f.created_at),
            "modified_time": _epoch_ms(f.updated_at),
            "analytic": {"uid": f.unit, "name": f.unit, "type_id": 1, "type": "Rule"},
            "attacks": _attacks(f),
        },
        "resources": [{"uid": f.resource_id, "type": f.resource_type, "region": f.region}],
        "cloud": {"provider": "AWS", "region": f.region, "account": {"uid": f.account}},
        "evidences": [{"data": {"query": f.evidence_query, "sample": f.sample_evidence}}],
        "unmapped": {"key": f.key},
    }


def _tactic_names(tactics: list[str]) -> list[str]:
    return [TACTICS[t].name for t in tactics if t in TACTICS]


def _attacks(f: Finding) -> list[dict[str, Any]]:
    """OCSF attacks: each technique with the unit's tactics, named as ATT&CK v19 names them
    and as v18 did (Stealth and Defense Impairment were Defense Evasion)."""
    tactics = [TACTICS[t] for t in f.tactics if t in TACTICS]
    named = [{"name": t.name, **({"uid": t.uid} if t.uid else {})} for t in tactics]
    older = [{"name": t.v18, "uid": t.v18_uid} for t in tactics]
    older = [dict(p) for p in dict.fromkeys(tuple(sorted(o.items())) for o in older)]
    shown = [{"technique": {"uid": t}} for t in f.mitre] or ([{}] if tactics else [])
    return [{**a, "tactics": named, "version": "19", "tactics_v18": older} for a in shown]


def guardduty(f: Finding) -> dict[str, Any]:
    """The finding in GuardDuty's own JSON shape (as GetFindings and EventBridge carry it)."""
    region = f.region if f.region not in NO_REGION else "us-east-1"
    partition = _partition(region)
    return {
        "schemaVersion": "2.0",
        "accountId": f.account,
        "region": region,
        "partition": partition,
        "id": f.id,
        "arn": f"arn:{partition}:guardduty:{region}:{f.account}:detector/vigil/finding/{f.id}",
        "type": f.type,
        "severity": f.severity,
        "title": f.title,
        "description": f.summary or f.description,
        "createdAt": _ms(f.created_at),
        "updatedAt": _ms(f.updated_at),
        "resource": {"resourceType": f.resource_type, "resourceId": f.resource_id},
        "service": {
            "serviceName": "vigil",
            "detectorId": "vigil",
            "archived": f.record_state is RecordState.ARCHIVED,
            "count": f.count,
            "eventFirstSeen": _ms(f.first_seen),
            "eventLastSeen": _ms(f.last_seen),
            "resourceRole": "TARGET",
            "additionalInfo": {"unit": f.unit, "key": f.key, "evidenceQuery": f.evidence_query},
        },
    }


FORMATS: Final = {"asff": asff, "ocsf": ocsf, "guardduty": guardduty}
