"""A week of normal work in AnyCompany's three accounts, as CloudTrail records: what must not
raise a high-severity finding. Engineers signing in through IAM Identity Center and browsing
the console, CI/CD roles deploying through CloudFormation, Terraform plans, auto scaling,
backups and snapshot lifecycle, a security scanner from known addresses, AWS services acting
through service-linked roles (Config, Security Hub, Access Analyzer), SSM agents, applications
reading their secrets, an administrator on-boarding a read-only user.

`vigil demo --benign DAYS` writes it; tests run every detection over it."""

from __future__ import annotations

import gzip
import json
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vigil.config import Settings
from vigil.demo import scenario as sc
from vigil.demo.benign_actors import Actors, Record
from vigil.demo.trail import CLI_AGENT, SDK_AGENT
from vigil.model.finding import Finding

ACCOUNTS = (sc.SECURITY, sc.PRODUCTION, sc.DEVELOPMENT)
WORKLOADS = (sc.PRODUCTION, sc.DEVELOPMENT)


def week(start: datetime, days: int = 7, seed: int = 17) -> Iterator[Record]:
    """Every record of `days` days from `start` (midnight UTC), in no particular order."""
    rng = random.Random(seed)
    for day in range(days):
        when = start + timedelta(days=day)
        for account in ACCOUNTS:
            yield from _day(Actors(rng, account, when), account)


def _day(a: Actors, account: str) -> Iterator[Record]:
    yield from a.scanner()  # the security team's posture scanner, every six hours
    yield from a.aws_services()  # Config, Security Hub, Access Analyzer, KMS rotation
    yield from a.responder()  # the security team's read-only look-around
    yield from a.infrequent()  # the week's rarer changes that look like an attack's
    if account not in WORKLOADS:
        return
    for person in a.people():
        yield from a.engineer(person)
    for run in range(a.rng.randint(3, 6)):
        yield from a.deployment(run)
    yield from a.terraform_plans()
    yield from a.auto_scaling()
    yield from a.backups()
    yield from a.ssm_agents()
    yield from a.application()
    yield from a.legacy_cli_users()
    if a.day.weekday() == 2 and account == sc.PRODUCTION:
        yield from a.onboard_read_only_user()


def write(records: Iterator[Record], root: Path) -> list[Path]:
    """The organization trail's layout, an object per account, Region and five minutes."""
    files: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for rec in records:
        stamp = rec["eventTime"][:15] + str(int(rec["eventTime"][15]) // 5 * 5)
        files[(rec["recipientAccountId"], rec["awsRegion"], stamp)].append(rec)
    written = []
    for (account, region, stamp), recs in sorted(files.items()):
        day = datetime.strptime(stamp[:10], "%Y-%m-%d")
        folder = (
            root
            / "AWSLogs"
            / sc.ORG_ID
            / account
            / "CloudTrail"
            / region
            / f"{day:%Y}"
            / f"{day:%m}"
            / f"{day:%d}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        name = (
            f"{account}_CloudTrail_{region}_{stamp.replace('-', '').replace(':', '')}Z_week.json.gz"
        )
        path = folder / name
        path.write_bytes(gzip.compress(json.dumps({"Records": recs}).encode(), 1, mtime=0))
        written.append(path)
    return written


def generate(root: Path, start: str = "2026-11-16", days: int = 7, seed: int = 17) -> list[Path]:
    begin = datetime.fromisoformat(start + "T00:00:00+00:00")
    return write(week(begin, days, seed), root)


def counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """Records per kind of actor: what the corpus holds (for the README and the test)."""
    out: dict[str, int] = defaultdict(int)
    for rec in records:
        agent = rec.get("userAgent") or ""
        kind = (
            "aws"
            if rec.get("userIdentity", {}).get("type") == "AWSService"
            else "cli"
            if agent == CLI_AGENT
            else "sdk"
            if agent == SDK_AGENT
            else "other"
        )
        out[kind] += 1
    return dict(out)


@dataclass
class QuietWeek:
    """What every detection made of a week without an attack."""

    root: Path
    files: int
    records: int
    seconds: float
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def by_unit(self) -> dict[str, dict[str, Any]]:
        """Per unit: its findings, their highest severity and the first summary."""
        units: dict[str, dict[str, Any]] = {}
        for f in sorted(self.findings, key=lambda f: (-f.severity, f.first_seen)):
            unit = units.setdefault(
                f.unit,
                {
                    "findings": 0,
                    "severity": f.severity,
                    "type": f.type,
                    "example": f.summary or f.title,
                },
            )
            unit["findings"] += 1
        return dict(sorted(units.items(), key=lambda kv: (-kv[1]["severity"], kv[0])))


def quiet_week(
    settings: Settings,
    start: str = "2026-11-16",
    days: int = 7,
    on_listed: Any = None,
    on_object: Any = None,
) -> QuietWeek:
    """Generate `days` of normal work into the home, ingest it and run every detection."""
    from vigil.api import detect as detect_api
    from vigil.api import lake as lake_api
    from vigil.findings.store import Filter, FindingStore
    from vigil.ingest.pipeline import IngestOptions

    settings.ensure()
    began = time.monotonic()
    root = settings.home / "benign-data"
    paths = generate(root, start, days)
    report = lake_api.ingest_with(settings, [str(root)], IngestOptions(), on_listed, on_object)
    detected = detect_api.run(settings)
    store = FindingStore(settings.state_db)
    try:
        findings = store.find(Filter())
    finally:
        store.close()
    return QuietWeek(
        root,
        len(paths),
        sum(report.records.values()),
        time.monotonic() - began,
        findings,
        detected.errors,
    )
