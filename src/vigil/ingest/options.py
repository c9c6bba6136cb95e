"""What an ingest run is asked to do, and what it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal

from vigil.formats.rejects import Reject

# what `--type` names: the lake's log types, and findings other products wrote
LogType = Literal["auto", "flowlogs", "cloudtrail", "dns", "s3access", "guardduty", "securityhub"]
FINDING_TYPES: Final = ("guardduty", "securityhub")

INGESTED: Final = ("flow_logs", "cloudtrail", "dns_logs", "s3_access_logs")  # the lake tables

# Findings found in an object go to the hub, not the lake: the ingest hands them, with their
# line numbers, to whoever runs it (the service layer), which says which it refused and why.
FindingsSink = Callable[[str, list[tuple[int, Any]], str], list[Reject]]


@dataclass(frozen=True)
class IngestOptions:
    log_type: LogType = "auto"
    fmt: tuple[str, ...] | None = None
    since: date | None = None
    until: date | None = None
    endpoint_url: str | None = None
    account: str | None = None  # for sources whose keys do not say (CloudWatch exports)
    region: str | None = None
    workers: int = 2
    batch_rows: int = 500_000
    flow_logs_to: str | None = None  # also deliver new flow-log records to this log group
    cloudtrail_to: str | None = None  # also deliver new CloudTrail records to this log group
    batch_bytes: int = 64 << 20  # CloudTrail rows are ~1 KB: bound memory by size too
    reprocess: bool = False  # read objects already ingested again, replacing their rows
    # "collect": bad records and objects are quarantined and reported, the rest goes on;
    # "raise": the first one (quarantined all the same) stops the run with a FormatError
    errors: Literal["raise", "collect"] = "collect"

    def recorded(self) -> dict[str, str | None]:
        """What a quarantine entry keeps, so that a retry reads the object the same way."""
        return {
            "type": self.log_type,
            "format": " ".join("${" + f + "}" for f in self.fmt) if self.fmt else None,
            "account": self.account,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
        }


@dataclass
class IngestReport:
    files: int = 0
    ingested: int = 0
    already_seen: int = 0
    retried: int = 0  # objects rejected before, read again
    reprocessed: int = 0  # objects ingested before whose rows were replaced
    outside_window: int = 0
    duplicates: int = 0
    digests: int = 0
    records: dict[str, int] = field(default_factory=lambda: {name: 0 for name in INGESTED})
    rejected: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)
    released: int = 0  # quarantined objects now ingested cleanly (their entries removed)
    unknown_account: dict[str, int] = field(default_factory=dict)  # table → records
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    repaired_batches: int = 0
    written: dict[str, list[Path]] = field(default_factory=dict)  # table → new lake files
    routed: dict[str, int] = field(default_factory=dict)  # log group → events delivered
    events: int = 0  # CloudTrail write calls put on the event bus
    findings: dict[str, int] = field(default_factory=dict)  # product → findings taken

    @property
    def clean(self) -> bool:
        return self.rejected == 0 and not self.quarantined

    @property
    def nothing_taken(self) -> bool:
        """Every object given this run was quarantined: no record reached the lake and none of
        them had been taken before (a cron job must notice)."""
        taken = sum(self.records.values()) + sum(self.findings.values())
        taken += self.digests + self.already_seen + self.duplicates
        return bool(self.quarantined) and taken == 0
