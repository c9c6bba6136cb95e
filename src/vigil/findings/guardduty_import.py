"""GuardDuty findings (the `detail` of a "GuardDuty Finding" event, a line of the S3 export,
an element of GetFindings) read into the hub: its resource named from the resource block
(instance id, access key id or user name, bucket, cluster, function, database) with its ASFF
resource type, GuardDuty's own severity number kept as given, and the version to compare
(`updatedAt`; §13.2: the largest wins, `service.count` is a running total)."""

from __future__ import annotations

import json
from typing import Any, Final

from vigil.findings.asff_import import UNIT_PREFIX, AsffInvalid, identity, iso
from vigil.findings.imported import Imported, initial_state
from vigil.model.finding import Finding, Hit

# GuardDuty's resource.resourceType → the ASFF resource type Security Hub gives it
ASFF_TYPES: Final = {
    "Instance": "AwsEc2Instance", "AccessKey": "AwsIamAccessKey", "S3Bucket": "AwsS3Bucket",
    "EKSCluster": "AwsEksCluster", "ECSCluster": "AwsEcsCluster", "Container": "Container",
    "Lambda": "AwsLambdaFunction", "RDSDBInstance": "AwsRdsDbInstance",
    "RDSLimitlessDB": "AwsRdsDbCluster", "EC2NetworkInterface": "AwsEc2NetworkInterface",
}  # fmt: skip
PRODUCT_NAME: Final = "GuardDuty"


def _block(resource: dict[str, Any], name: str) -> dict[str, Any]:
    value = resource.get(name)
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def resource_of(resource: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(ASFF resource type, the resource's id, every name it goes by) from GuardDuty's block."""
    kind = str(resource.get("resourceType") or "Other")
    instance = _block(resource, "instanceDetails")
    key = _block(resource, "accessKeyDetails")
    candidates = [
        instance.get("instanceId"), key.get("accessKeyId"), key.get("userName"),
        _block(resource, "s3BucketDetails").get("name"),
        _block(resource, "eksClusterDetails").get("name"),
        _block(resource, "ecsClusterDetails").get("name"),
        _block(resource, "lambdaDetails").get("functionName"),
        _block(resource, "rdsDbInstanceDetails").get("dbInstanceIdentifier"),
        _block(resource, "containerDetails").get("id"),
    ]  # fmt: skip
    names = [str(c) for c in candidates if isinstance(c, str) and c]
    nics = instance.get("networkInterfaces")
    for nic in nics if isinstance(nics, list) else []:
        if isinstance(nic, dict) and nic.get("networkInterfaceId"):
            names.append(str(nic["networkInterfaceId"]))
    if key.get("principalId"):
        names.append(str(key["principalId"]))
    return ASFF_TYPES.get(kind, "Other"), (names[0] if names else ""), names


def read_guardduty(doc: Any) -> Imported:
    """A GuardDuty finding as a hub finding, or AsffInvalid saying which field is wrong."""
    if not isinstance(doc, dict):
        raise AsffInvalid("a GuardDuty finding is a JSON object")
    missing = [k for k in ("id", "type", "severity", "accountId", "region", "createdAt",
                           "updatedAt") if doc.get(k) in (None, "")]  # fmt: skip
    if missing:
        raise AsffInvalid(f"the GuardDuty finding lacks {', '.join(missing)}")
    service = doc.get("service") if isinstance(doc.get("service"), dict) else {}
    assert isinstance(service, dict)
    created, updated = iso(doc, "createdAt"), iso(doc, "updatedAt")
    first = iso(service, "eventFirstSeen") if service.get("eventFirstSeen") else created
    last = iso(service, "eventLastSeen") if service.get("eventLastSeen") else updated
    arn = str(doc.get("arn") or f"arn:aws:guardduty:{doc['region']}:{doc['accountId']}:finding")
    fid = identity(arn, str(doc["id"]))
    severity = doc["severity"]
    if (
        isinstance(severity, bool)
        or not isinstance(severity, int | float)
        or not (0 <= severity <= 10)
    ):
        raise AsffInvalid("severity: a number from 0 to 10 (GuardDuty's 1.0-8.9 scale)")
    count = service.get("count") or 1
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 2**53:
        raise AsffInvalid("service.count: a whole number of occurrences, 1 or more")
    resource = doc.get("resource") if isinstance(doc.get("resource"), dict) else {}
    assert isinstance(resource, dict)
    kind, resource_id, names = resource_of(resource)
    title = str(doc.get("title") or doc["type"])[:256]
    finding = Finding(
        id=fid, unit=f"{UNIT_PREFIX}{PRODUCT_NAME}", type=str(doc["type"]), title=title,
        description=str(doc.get("description") or "")[:1024], severity=float(severity),
        account=str(doc["accountId"]), region=str(doc["region"]), resource_type=kind,
        resource_id=resource_id, key={"Id": str(doc["id"]), "ProductArn": arn},
        first_seen=first, last_seen=last, count=count, actor=None, summary=title,
        evidence_query="", sample_evidence=[], record_state=initial_state(doc),
        product="guardduty", product_name=PRODUCT_NAME, product_severity=json.dumps(severity),
    )  # fmt: skip
    # the document is kept, as an ASFF import's is: its resource, actor and network show
    hit = Hit(fid, created, first, last, count, None, title)
    return Imported(finding, hit, fid, updated, doc, "", tuple(names))
