"""What Vigil puts on its bus: findings (GuardDuty- and Security Hub-shaped), CloudTrail write
calls ("AWS API Call via CloudTrail", as EventBridge delivers them) and its own health.

Event ids are derived from what they report (a finding's id and update time, a CloudTrail
eventID), so running a job again puts nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from vigil import clock
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.events.bus import EventStore, envelope
from vigil.findings.export import NO_REGION, asff, guardduty
from vigil.model.finding import Finding, FindingKind
from vigil.query.engine import open_engine

NAMESPACE: Final = uuid.UUID("5b3c1d1e-7a43-4c55-9a3e-6f0d7f0e9a11")
HEALTH_SOURCE: Final = "vigil.health"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\0".join(parts)))


def finding_events(findings: list[Finding]) -> list[dict[str, Any]]:
    out = []
    for f in findings:
        region = f.region if f.region not in NO_REGION else "us-east-1"
        moment = clock.parse_iso(f.updated_at)
        if f.kind is not FindingKind.CONTROL:  # a control finding is Security Hub's alone
            out.append(_guardduty_event(f, region, moment))
        hub = asff(f)
        out.append(
            envelope(
                "aws.securityhub",
                "Security Hub Findings - Imported",
                {"findings": [hub]},
                account=f.account,
                region=region,
                resources=[f"{hub['ProductArn']}/{hub['Id']}"],
                time=moment,
                event_id=_id("sh", f.id, f.updated_at, f.workflow.value, f.note or ""),
            )
        )
    return out


def _guardduty_event(f: Finding, region: str, moment: datetime) -> dict[str, Any]:
    return envelope(
        "aws.guardduty",
        "GuardDuty Finding",
        guardduty(f),
        account=f.account,
        region=region,
        time=moment,
        event_id=_id("gd", f.id, f.updated_at),
    )


def emit_findings(settings: Settings, findings: list[Finding]) -> int:
    now = now_ms()
    with EventStore(settings) as store:
        return sum(store.append(e, now) for e in finding_events(findings))


_SIGN_IN: Final = {"AwsConsoleSignIn": ("aws.signin", "AWS Console Sign In via CloudTrail")}


def cloudtrail_events(files: list[Path]) -> list[dict[str, Any]]:
    """Write management calls from freshly written lake files, as EventBridge would deliver."""
    if not files:
        return []
    from vigil.formats.cloudtrail_json import record_of  # with the lake's Arrow schema

    with open_engine(None) as engine:
        rows = engine.query(
            f"SELECT * FROM {engine.files(files, hive=True)} "
            "WHERE coalesce(readonly, false) = false AND coalesce(managementevent, true) "
            "AND event_ts IS NOT NULL ORDER BY event_ts"
        ).to_pylist()
    out = []
    for row in rows:
        record = record_of(row)
        service = str(record.get("eventSource", "")).split(".", 1)[0]
        source, detail_type = _SIGN_IN.get(
            str(record.get("eventType")), (f"aws.{service}", "AWS API Call via CloudTrail")
        )
        out.append(
            envelope(
                source,
                detail_type,
                record,
                account=str(record.get("recipientAccountId", "")),
                region=str(record.get("awsRegion", "")),
                time=row["event_ts"],
                event_id=_id("ct", str(record.get("eventID")), str(row.get("eventtime"))),
            )
        )
    return out


def wanted(settings: Settings) -> bool:
    """CloudTrail calls go on the (default) bus only while an enabled pattern rule or an
    archive there would read them: a busy trail makes many (the lake holds every record)."""
    from vigil.events.archive import ArchiveStore
    from vigil.events.rules import load_rules

    rules = load_rules(settings)[0]
    if any(r.enabled and r.pattern is not None and r.bus == "default" for r in rules):
        return True
    with ArchiveStore(settings) as archives:
        return archives.on_bus("default")


def emit_cloudtrail(settings: Settings, files: list[Path]) -> int:
    now = now_ms()
    events = cloudtrail_events(files)
    with EventStore(settings) as store:
        return sum(store.append(e, now) for e in events)


def emit_health(settings: Settings, detail_type: str, detail: dict[str, Any]) -> None:
    with EventStore(settings) as store:
        store.append(
            envelope(HEALTH_SOURCE, detail_type, detail, account="000000000000", region="local"),
            now_ms(),
        )
