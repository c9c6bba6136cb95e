"""`vigil demo`: generate AnyCompany's day, ingest it, and run the showcase queries."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from vigil.api import access, detect, lake
from vigil.config import Settings
from vigil.demo import alarms as demo_alarms
from vigil.demo import posture as demo_posture
from vigil.demo import response
from vigil.demo import scenario as sc
from vigil.demo.generate import Generated, generate
from vigil.demo.receiver import Receiver
from vigil.findings.store import Filter, FindingStore
from vigil.formats.flowlog_fields import DEFAULT_FORMAT
from vigil.ingest.pipeline import IngestOptions, IngestReport
from vigil.intel.catalog import add as add_list
from vigil.model.finding import Finding
from vigil.query.engine import engine_kept

SHOWCASE: Final[tuple[tuple[str, str], ...]] = (
    (
        "Top rejected talkers",
        "SELECT srcaddr, count(*) AS rejected_flows, count(DISTINCT dstport) AS ports, "
        "sum(packets) AS packets FROM flow_logs WHERE action = 'REJECT' "
        "GROUP BY srcaddr ORDER BY rejected_flows DESC LIMIT 5",
    ),
    (
        "Rejected RDP (TCP 3389), as in the course's example record",
        "SELECT srcaddr, interface_id, count(*) AS flows, min(start_time) AS first_seen "
        "FROM flow_logs WHERE dstport = 3389 AND protocol = 6 AND action = 'REJECT' "
        "GROUP BY ALL ORDER BY flows DESC LIMIT 5",
    ),
    (
        "Accepted RDP sessions: the busiest 10 minutes per source give the brute force away",
        "SELECT srcaddr, interface_id, max(n) AS busiest_10_min, sum(n) AS sessions_today "
        "FROM (SELECT srcaddr, interface_id, time_bucket(INTERVAL 10 MINUTE, start_time) AS w, "
        "count(*) AS n FROM flow_logs WHERE dstport = 3389 AND protocol = 6 AND action = 'ACCEPT' "
        "GROUP BY ALL) GROUP BY ALL ORDER BY busiest_10_min DESC LIMIT 5",
    ),
    (
        "Who stopped or deleted a trail",
        "SELECT eventtime, recipientaccountid AS account, useridentity.arn AS who, "
        "sourceipaddress, eventname, json_extract_string(requestparameters, '$.name') AS trail "
        "FROM cloudtrail WHERE eventsource = 'cloudtrail.amazonaws.com' "
        "AND eventname IN ('StopLogging', 'DeleteTrail') ORDER BY eventtime",
    ),
    (
        "Console sign-ins without MFA",
        "SELECT eventtime, recipientaccountid AS account, useridentity.type AS identity, "
        "sourceipaddress FROM cloudtrail WHERE eventname = 'ConsoleLogin' "
        "AND json_extract_string(additionaleventdata, '$.MFAUsed') <> 'Yes' ORDER BY eventtime",
    ),
)


@dataclass
class DemoResult:
    generated: Generated
    reports: list[IngestReport]
    seconds: float
    results: list[tuple[str, str, pa.Table]] = field(default_factory=list)
    attacks: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    detect_errors: list[str] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)  # CIS alarms that fired
    response: dict[str, Any] = field(default_factory=dict)  # deliveries and playbook plans
    integrity: dict[str, Any] = field(default_factory=dict)  # `vigil trail validate` of the day
    posture: dict[str, Any] = field(default_factory=dict)  # the configuration audit
    console: dict[str, str] = field(default_factory=dict)  # a sign-in for `vigil serve`


def run_demo(
    settings: Settings,
    scale: str = "small",
    day: str = "2026-11-24",
    on_listed: Any = None,
    on_object: Any = None,
) -> DemoResult:
    settings.ensure()
    with engine_kept(settings):  # on Spark: started once for every step on the lake
        return _run(settings, scale, day, on_listed, on_object)


def _run(settings: Settings, scale: str, day: str, on_listed: Any, on_object: Any) -> DemoResult:
    began = time.monotonic()
    root = settings.home / "demo-data"
    gen = generate(root, scale, day)
    group = demo_alarms.prepare(settings)
    receiver = Receiver(settings.home)
    try:
        response.install_rules(settings, receiver)
        trails = IngestOptions(cloudtrail_to=group)
        exported = IngestOptions(
            log_type="flowlogs", fmt=DEFAULT_FORMAT, region=sc.PROD_USE1.region
        )
        reports = [
            lake.ingest_with(settings, [str(gen.s3_root)], trails, on_listed, on_object),
            lake.ingest_with(settings, [str(gen.cloudwatch_root)], exported, on_listed, on_object),
            lake.ingest_with(
                settings, [str(gen.access_log_root)], IngestOptions(), on_listed, on_object
            ),
        ]
        add_list(settings.home / "intel", "threat", gen.threat_list)
        add_list(settings.home / "intel", "threat", gen.domain_list, category="c2")
        report = detect.run(settings)
        result = DemoResult(gen, reports, time.monotonic() - began, detect_errors=report.errors)
        result.response = response.deliver(settings, receiver)
    finally:
        receiver.close()
    result.alarms = demo_alarms.replay_day(settings, day)
    result.integrity = integrity(settings, gen, day)
    result.posture = demo_posture.run(settings, gen.root, day)
    for title, sql in SHOWCASE:  # DuckDB's SQL, on the configured engine
        result.results.append((title, sql, lake.query(settings, sql, dialect="duckdb").table))
    store = FindingStore(settings.state_db)
    try:
        result.findings = store.find(Filter())
    finally:
        store.close()
    result.attacks = [
        {**attack, "found_by": _found_by(attack, result.findings)}
        for attack in json.loads(Path(gen.ground_truth).read_text())["attacks"]
    ]
    result.console = console_sign_in(settings)
    return result


CONSOLE_USER: Final = "demo"


def console_sign_in(settings: Settings) -> dict[str, str]:
    """An admin who can sign in to the demo home's console, with a new password each run
    (the demo home is a sandbox; a real home gets its users from `vigil users create`)."""
    import secrets

    password = secrets.token_urlsafe(12)
    if any(u.name == CONSOLE_USER for u in access.users(settings)):
        access.set_password(settings, CONSOLE_USER, password)
    else:
        access.create_user(settings, CONSOLE_USER, "admin", password)
    return {"user": CONSOLE_USER, "password": password, "url": "http://127.0.0.1:8700/",
            "serve": f"vigil --home {settings.home} serve"}  # fmt: skip


def _found_by(attack: dict[str, Any], findings: list[Finding]) -> str | None:
    """The finding that reports a planted attack: its type, seen while the attack ran."""
    start, end = attack["start"], attack["end"]
    for f in findings:
        if f.type == attack["finding_type"] and f.first_seen <= end and f.last_seen >= start:
            return f.id
    return None


def integrity(settings: Settings, gen: Generated, day: str) -> dict[str, Any]:
    """Validate the day's CloudTrail digests and log files, as `vigil trail validate` does."""
    from datetime import UTC, datetime, timedelta

    from vigil.trail.record import record
    from vigil.trail.validate import Objects, load_keys, validate

    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    end = start + timedelta(days=1)
    keys = load_keys(gen.root / "trail-public-keys.json", None, None, start, end)
    report = validate(Objects(str(gen.s3_root)), keys, start, end, sc.BUCKET)
    record(settings, report)
    invalid = [{"file": v.uri, "reason": v.reason} for v in report.verdicts if not v.valid]
    return {"summary": report.summary(), "invalid": invalid, "ok": report.ok}
