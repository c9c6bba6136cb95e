"""Ingest sources the server follows: an SQS queue of S3 notifications, an S3 prefix to poll,
a directory to watch, or a log group whose pushed events are CloudTrail or flow-log records.
Each is `<home>/sources/<name>.yaml` (the file name is the name); `vigil.yaml` may list more
under `sources:`. A source's position, lag and last error are kept in the state store."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.inputs import expect_mapping, load_yaml
from vigil.state import Store

KINDS: Final = ("sqs", "s3", "dir", "log_group")
TYPES: Final = ("auto", "cloudtrail", "flowlogs", "dns", "s3access", "guardduty", "securityhub")
# what a log group's pushed events can be: records of a lake table
GROUP_TABLES: Final = {"cloudtrail": "cloudtrail", "flowlogs": "flow_logs", "dns": "dns_logs",
                       "s3access": "s3_access_logs"}  # fmt: skip
_NAME: Final = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
CLOUDTRAIL_GROUPS: Final = "aws-cloudtrail-logs-"


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # sqs | s3 | dir | log_group
    target: str  # the queue URL, s3://bucket/prefix, the directory, or the log group
    type: str = "auto"
    format: str | None = None  # a flow-log format
    endpoint_url: str | None = None
    account: str | None = None
    region: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    interval: float = 5.0  # seconds between polls (S3 and directories)
    visibility_timeout: int = 30  # SQS: seconds a received message stays invisible (1-30)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def table(self) -> str | None:
        """The lake table pushed records go to (log-group sources)."""
        kind = self.type
        if kind == "auto" and self.kind == "log_group":
            kind = "cloudtrail" if self.target.startswith(CLOUDTRAIL_GROUPS) else "auto"
        return GROUP_TABLES.get(kind)


def check(doc: Any, where: str) -> Source:
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: a source is a mapping (name, and one of sqs, s3, dir, "
                          "log_group)")  # fmt: skip
    name = str(doc.get("name", ""))
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: name {name!r}: 1-64 of A-Z a-z 0-9 . - _")
    given = [k for k in KINDS if doc.get(k)]
    if len(given) != 1:
        raise ConfigError(f"{where}: source {name}: give exactly one of --sqs, --s3, --dir, "
                          "--log-group")  # fmt: skip
    kind = given[0]
    target = str(doc[kind])
    if kind == "s3" and not target.startswith("s3://"):
        raise ConfigError(f"{where}: source {name}: --s3 takes s3://bucket/prefix")
    if kind == "sqs" and not target.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: source {name}: --sqs takes the queue URL (https://…)")
    kind_of = str(doc.get("type", "auto"))
    if kind_of not in TYPES:
        raise ConfigError(f"{where}: source {name}: type {kind_of!r}: one of {', '.join(TYPES)}")
    if kind == "log_group" and kind_of == "auto" and not target.startswith(CLOUDTRAIL_GROUPS):
        raise ConfigError(f"{where}: source {name}: say what the group holds with --type "
                          f"cloudtrail, flowlogs, dns or s3access (only {CLOUDTRAIL_GROUPS}* "
                          "groups are CloudTrail by default)")  # fmt: skip
    if kind == "log_group" and kind_of not in ("auto", *GROUP_TABLES):
        raise ConfigError(f"{where}: source {name}: a log group's events are records: --type "
                          f"{', '.join(GROUP_TABLES)}")  # fmt: skip
    if doc.get("profile") and doc.get("role_arn"):
        raise ConfigError(f"{where}: source {name}: --profile or --role-arn, not both")
    known = {"name", *KINDS, "type", "format", "endpoint_url", "account", "region", "profile",
             "role_arn", "interval", "visibility_timeout"}  # fmt: skip
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ConfigError(f"{where}: source {name}: unknown key(s) {', '.join(unknown)}")
    visibility = int(doc.get("visibility_timeout", 30))
    if not 1 <= visibility <= 30:
        raise ConfigError(f"{where}: source {name}: visibility_timeout 1 to 30 seconds")
    return Source(name, kind, target, kind_of, doc.get("format"), doc.get("endpoint_url"),
                  doc.get("account"), doc.get("region"), doc.get("profile"),
                  doc.get("role_arn"), float(doc.get("interval", 5.0)), visibility)  # fmt: skip


def folder(settings: Settings) -> Path:
    return settings.home / "sources"


def to_doc(source: Source) -> dict[str, Any]:
    doc = source.as_dict()
    doc[source.kind] = doc.pop("target")
    doc.pop("kind")
    for key, default in (("interval", 5.0), ("visibility_timeout", 30)):
        if doc.get(key) == default:
            doc.pop(key)
    return doc


def add(settings: Settings, doc: dict[str, Any]) -> Source:
    source = check(doc, "source")
    if source.name in {s.name for s in configured(settings)}:
        raise ConfigError(f"source {source.name} is set in vigil.yaml", hint="edit it there")
    path = folder(settings) / f"{source.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(to_doc(source), sort_keys=False))
    return source


def remove(settings: Settings, name: str) -> None:
    path = folder(settings) / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"no source {name!r}", hint="vigil sources list")
    path.unlink()
    with Cursors(settings) as cursors:
        cursors.forget(name)


def configured(settings: Settings) -> list[Source]:
    """The sources listed under `sources:` in `<home>/vigil.yaml`."""
    path = settings.home / "vigil.yaml"
    if not path.is_file():
        return []
    doc = expect_mapping(load_yaml(path) or {}, str(path), "the server settings")
    listed = doc.get("sources") or []
    if not isinstance(listed, list):
        raise ConfigError(f"{path}: sources: a list of sources")
    return [check(d, f"{path}: sources[{i}]") for i, d in enumerate(listed)]


def all_sources(settings: Settings) -> list[Source]:
    where = folder(settings)
    files = sorted(where.glob("*.yaml")) if where.is_dir() else []
    found = [check(load_yaml(p), str(p)) for p in files]
    return sorted(found + configured(settings), key=lambda s: s.name)


def for_group(settings: Settings, group: str) -> Source | None:
    """The source that declares this log group, or the default for aws-cloudtrail-logs-*."""
    for s in all_sources(settings):
        if s.kind == "log_group" and s.target == group:
            return s
    if group.startswith(CLOUDTRAIL_GROUPS):
        return Source(f"group:{group}", "log_group", group, "cloudtrail")
    return None


@dataclass
class Position:
    """Where a source is: its cursor (kind-specific), counts, lag and last error."""

    cursor: dict[str, Any] = field(default_factory=dict)
    objects: int = 0
    records: int = 0
    rejected: int = 0
    lag_seconds: float | None = None
    last_error: str | None = None
    last_error_ms: int | None = None
    last_ok_ms: int | None = None
    recent: list[list[int]] = field(default_factory=list)  # [minute (ms), records] of late


@dataclass(frozen=True)
class SourceStatus:
    """A source with where it is, and its records a second over the last five minutes."""

    source: Source
    position: Position
    records_per_second: float


RATE_WINDOW_MS: Final = 5 * 60_000


def counted(recent: list[list[int]], records: int, now: int) -> list[list[int]]:
    """The per-minute record counts with this commit's added, the old minutes dropped."""
    minute = now - now % 60_000
    kept = [[m, n] for m, n in recent if m > now - RATE_WINDOW_MS]
    if kept and kept[-1][0] == minute:
        kept[-1][1] += records
    else:
        kept.append([minute, records])
    return kept


def rate(recent: list[list[int]], now: int) -> float:
    """Records a second over the last five minutes."""
    total = sum(n for m, n in recent if m > now - RATE_WINDOW_MS)
    return total / (RATE_WINDOW_MS / 1000)


class Cursors(Store):
    def get(self, name: str) -> Position:
        row = self.state.db.execute("SELECT data FROM cursors WHERE source = ?",
                                    (name,)).fetchone()  # fmt: skip
        return Position(**json.loads(row[0])) if row else Position()

    def put(self, name: str, position: Position, now: int) -> None:
        with self.state.transaction() as db:
            db.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)",
                       (name, json.dumps(asdict(position)), now))  # fmt: skip

    def forget(self, name: str) -> None:
        with self.state.transaction() as db:
            db.execute("DELETE FROM cursors WHERE source = ?", (name,))

    def seen_request(self, ident: str, now: int) -> bool:
        """Record a delivery's request id; True when it was seen before (a retry)."""
        with self.state.transaction() as db:
            cur = db.execute("INSERT OR IGNORE INTO seen_requests VALUES (?, ?)", (ident, now))
            db.execute("DELETE FROM seen_requests WHERE ts < ?", (now - 7 * 86_400_000,))
            return cur.rowcount == 0
