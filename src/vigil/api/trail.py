"""CloudTrail log-file integrity: validate digests and log files, as
`aws cloudtrail validate-logs` does, and keep the verdicts for the lake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vigil import clock
from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.trail.record import record
from vigil.trail.validate import Objects, load_keys
from vigil.trail.validate import Report as Report
from vigil.trail.validate import Verdict as Verdict
from vigil.trail.validate import validate as check

KEYS_HINT = (
    "save them once: aws cloudtrail list-public-keys --start-time 2024-03-01 > keys.json, "
    "then --public-keys keys.json"
)


@dataclass(frozen=True)
class ValidateRequest:
    source: str  # a local copy (the folder holding AWSLogs/) or s3://bucket/prefix
    start_ms: int
    end_ms: int
    public_keys: Path | None = None  # a saved ListPublicKeys response (else fetched live)
    region: str | None = None
    bucket: str | None = None  # for local copies: the bucket the digests name
    endpoint_url: str | None = None


def validate(settings: Settings, request: ValidateRequest) -> Report:
    begin = datetime.fromtimestamp(request.start_ms / 1000, UTC)
    finish = datetime.fromtimestamp(request.end_ms / 1000, UTC)
    if begin >= finish:
        raise ConfigError(
            f"--start {clock.iso(begin)} is not before --end {clock.iso(finish)}",
            hint="give --start earlier than --end (e.g. --start 2d --end 1d)",
        )
    keys_file = request.public_keys
    if keys_file is not None and not keys_file.is_file():
        raise ConfigError(f"{keys_file}: no such file", hint=KEYS_HINT)
    if keys_file is None and not request.source.startswith("s3://"):
        raise ConfigError(
            f"{request.source} is a local copy: validating it needs the public keys, saved "
            "(--public-keys)",
            hint=KEYS_HINT,
        )
    keys = load_keys(keys_file, request.region, request.endpoint_url, begin, finish)
    report = check(Objects(request.source, request.endpoint_url), keys, begin, finish,
                   request.bucket)  # fmt: skip
    record(settings, report)
    return report
