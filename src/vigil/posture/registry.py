"""Which logic each check unit uses (the folder name under content/checks is the key)."""

from __future__ import annotations

from typing import Any, Final

from vigil.model.severity import CheckStatus
from vigil.posture import buckets as b
from vigil.posture import checks as c
from vigil.posture import cloudwatch as cw
from vigil.posture import network as net


def _kms_trail(t: dict[str, Any]) -> tuple[CheckStatus, str]:
    return (
        (CheckStatus.PASSED, f"SSE-KMS with {t['KmsKeyId']}")
        if t.get("KmsKeyId")
        else (CheckStatus.FAILED, "not encrypted with KMS")
    )


def _validation(t: dict[str, Any]) -> tuple[CheckStatus, str]:
    if t.get("LogFileValidationEnabled"):
        return CheckStatus.PASSED, "digest files are written"
    return CheckStatus.FAILED, "log file validation is off: tampering would go unnoticed"


def _multi_region(t: dict[str, Any]) -> tuple[CheckStatus, str]:
    if t.get("IsMultiRegionTrail"):
        return CheckStatus.PASSED, "multi-region"
    return CheckStatus.WARNING, f"records {t.get('HomeRegion') or t['_region']} only"


def _logging(value: Any) -> tuple[CheckStatus, str]:
    if (value or {}).get("LoggingEnabled"):
        return CheckStatus.PASSED, f"access logs to {value['LoggingEnabled'].get('TargetBucket')}"
    return CheckStatus.FAILED, "server access logging is off"


def _lifecycle(value: Any) -> tuple[CheckStatus, str]:
    rules = (value or {}).get("Rules") or []
    if any(r.get("Status") == "Enabled" for r in rules):
        return CheckStatus.PASSED, f"{len(rules)} lifecycle rule(s)"
    return CheckStatus.WARNING, "no lifecycle rule: logs are kept (and paid for) forever"


def _guardduty(found: Any, calls: dict[str, Any]) -> bool:
    """A detector, and (when the snapshot has get-detector) one that is not suspended."""
    ids = found.get("DetectorIds") or []
    states = calls.get("guardduty get-detector") or {}
    known = [states[i] for i in ids if states.get(i)]
    return bool(ids) and (not known or any(d.get("Status") == "ENABLED" for d in known))


def _cis_patterns() -> dict[int, list[str]]:
    from vigil.metrics.packs import load_pack

    out = {int(u.control.split(".")[1]): [u.pattern] for u in load_pack("cis")}
    out[2].append('{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}')
    return out


def checks() -> dict[str, c.Check]:
    patterns = _cis_patterns()
    registry: dict[str, c.Check] = {
        "cloudtrail-1": c.cloudtrail_1,
        "cloudtrail-2": c.per_trail("cloudtrail-2", _kms_trail),
        "cloudtrail-3": c.cloudtrail_3,
        "cloudtrail-4": c.per_trail("cloudtrail-4", _validation),
        "cloudtrail-5": c.cloudtrail_5,
        "cloudtrail-6": b.bucket_check(
            "cloudtrail-6", "s3 get-public-access-block", b.public_blocked
        ),
        "cloudtrail-7": b.bucket_check("cloudtrail-7", "s3 get-bucket-logging", _logging),
        "cloudtrail-insights": c.cloudtrail_insights,
        "ec2-6": net.ec2_6,
        "flowlog-coverage": net.flowlog_coverage,
        "flowlog-format": net.flowlog_format,
        "trails-per-region": c.trails_per_region,
        "single-region-trails": c.per_trail("single-region-trails", _multi_region),
        "duplicate-org-trails": c.org_trails,
        "log-group-retention": c.log_group_retention,
        "log-bucket-lifecycle": b.bucket_check(
            "log-bucket-lifecycle",
            "s3 get-bucket-lifecycle-configuration",
            _lifecycle,
            flow_logs=True,
        ),
        "log-bucket-kms": b.bucket_check(
            "log-bucket-kms", "s3 get-bucket-encryption", b.kms_encrypted, flow_logs=True
        ),
        "guardduty-enabled": c.service_enabled("guardduty list-detectors", _guardduty, "GuardDuty"),
        "securityhub-enabled": c.service_enabled(
            "securityhub describe-hub", lambda v, _: bool(v.get("HubArn")), "Security Hub"
        ),
    }
    for n in range(1, 15):
        registry[f"cloudwatch-{n}"] = cw.cloudwatch(n, patterns)
    return registry


SEVERITIES: Final = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
