"""Configuration snapshots: what each account and region says about its logging set-up.

A snapshot maps account → region → API call → response, with the AWS CLI's names
(`cloudtrail describe-trails`); per-resource calls hold a mapping resource → response
(`cloudtrail get-trail-status` by trail name, `s3 get-bucket-logging` by bucket). It comes from
boto3 (`collect`) or from saved CLI output (`import`):
`<dir>/<account>/<region>/<service>-<op>.json`, and `<service>-<op>--<resource>.json` for
per-resource calls. What is missing stays missing, and
checks that need it say NOT_AVAILABLE. Snapshots are kept by time under `<home>/posture/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from vigil import clock
from vigil.config import Settings
from vigil.errors import SourceError
from vigil.inputs import InputError, expect_mapping, load_json

GLOBAL: Final = "global"  # IAM, S3 bucket settings: region-less calls
CALLS: Final = (
    "cloudtrail describe-trails",
    "cloudtrail get-trail-status",
    "cloudtrail get-event-selectors",
    "cloudtrail get-insight-selectors",
    "ec2 describe-vpcs",
    "ec2 describe-subnets",
    "ec2 describe-network-interfaces",
    "ec2 describe-instances",
    "ec2 describe-nat-gateways",
    "ec2 describe-flow-logs",
    "ec2 describe-traffic-mirror-sessions",
    "ec2 describe-traffic-mirror-filters",
    "ec2 describe-traffic-mirror-targets",
    "logs describe-metric-filters",
    "logs describe-log-groups",
    "cloudwatch describe-alarms",
    "sns list-topics",
    "sns list-subscriptions",
    "guardduty list-detectors",
    "guardduty get-detector",
    "securityhub describe-hub",
    "s3 get-bucket-logging",
    "s3 get-bucket-encryption",
    "s3 get-public-access-block",
    "s3 get-bucket-lifecycle-configuration",
    "s3 get-bucket-policy-status",
    "s3 get-bucket-policy",
)


SERVICE_ALIASES: Final = {"s3api": "s3"}  # `aws s3api get-bucket-logging` is S3's call


@dataclass
class Snapshot:
    taken_at: str
    source: str
    accounts: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, account: str, region: str, call: str) -> Any:
        """The response, or None when the snapshot does not have it."""
        return self.accounts.get(account, {}).get(region, {}).get(call)

    def regions(self, account: str) -> list[str]:
        return sorted(r for r in self.accounts.get(account, {}) if r != GLOBAL)

    def errors(self) -> dict[str, str]:
        """`account region call` → why AWS refused it."""
        return {
            f"{account} {region} {call}": why
            for account, regions in self.accounts.items()
            for region, calls in regions.items()
            for call, why in (calls.get("_errors") or {}).items()
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at,
            "source": self.source,
            "accounts": self.accounts,
            "warnings": self.warnings,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Snapshot:
        return cls(doc["taken_at"], doc["source"], doc["accounts"], doc.get("warnings") or [])


def now() -> str:
    return clock.iso(clock.utc_now())


def import_dir(folder: Path) -> Snapshot:
    """Saved CLI output; a file that is not JSON is left out with a warning (its checks say
    NOT_AVAILABLE), a file name that is no known call is kept and warned about."""
    if not folder.is_dir():
        raise SourceError(
            f"{folder}: no such directory", hint="<dir>/<account>/<region>/<service>-<op>.json"
        )
    snap = Snapshot(now(), f"import:{folder}")
    for path in sorted(folder.glob("*/*/*.json")):
        account, region = path.parent.parent.name, path.parent.name
        stem, _, resource = path.stem.partition("--")
        service, _, op = stem.partition("-")
        call = f"{SERVICE_ALIASES.get(service, service)} {op}"
        if call not in CALLS:
            snap.warnings.append(f"{path}: `{call}` is not a call any check reads (kept)")
        try:
            value = load_json(path)
        except InputError as exc:
            snap.warnings.append(f"{exc}; left out")
            continue
        calls = snap.accounts.setdefault(account, {}).setdefault(region, {})
        if resource:
            calls.setdefault(call, {})[resource] = value
        else:
            calls[call] = value
    if not snap.accounts:
        raise SourceError(
            f"{folder}: no readable <account>/<region>/*.json files",
            hint="e.g. 111122223333/us-east-1/cloudtrail-describe-trails.json",
        )
    return snap


def snapshots_dir(settings: Settings) -> Path:
    return settings.home / "posture" / "snapshots"


def _order(path: Path) -> tuple[str, int]:
    stamp, _, seq = path.stem.partition("Z-")  # 2026-11-26T123000Z-1: the second that second
    return stamp.removesuffix("Z"), int(seq) if seq.isdigit() else 0


def save(settings: Settings, snap: Snapshot) -> Path:
    """Kept by time; two snapshots in the same second get a sequence number, and saving the same
    snapshot again (a re-run) keeps the one already there."""
    folder = snapshots_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = snap.taken_at.replace(":", "")
    text = json.dumps(snap.to_json(), default=str)
    path, seq = folder / f"{stamp}.json", 0
    while path.exists():
        if path.read_text() == text:
            return path
        seq += 1
        path = folder / f"{stamp}-{seq}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.rename(path)
    return path


def history(settings: Settings) -> list[Path]:
    """Every kept snapshot, oldest first."""
    folder = snapshots_dir(settings)
    return sorted(folder.glob("*.json"), key=_order) if folder.is_dir() else []


def load(path: Path) -> Snapshot:
    doc = expect_mapping(load_json(path), str(path), "a posture snapshot")
    try:
        return Snapshot.from_json(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"not a posture snapshot ({type(exc).__name__}: {exc})", source=str(path)
        ) from exc


def find(settings: Settings, ref: str | None = None) -> Snapshot:
    """A kept snapshot: None or `latest`, `previous`, a file name, or its time (or a prefix of
    it, e.g. `2026-11-26`: the last one that day)."""
    found = history(settings)
    if not found:
        raise SourceError(
            "no configuration snapshot yet", hint="vigil posture collect, or posture import DIR"
        )
    if ref in (None, "latest"):
        return load(found[-1])
    if ref == "previous":
        if len(found) < 2:
            raise SourceError("only one snapshot is kept", hint="collect or import another one")
        return load(found[-2])
    wanted = str(ref).replace(":", "").removesuffix(".json")
    matches = [p for p in found if p.stem.startswith(wanted)]
    if not matches:
        raise SourceError(
            f"no snapshot {ref!r}", hint="vigil posture history lists them (time or file name)"
        )
    return load(matches[-1])


def latest(settings: Settings) -> Snapshot:
    return find(settings)
