"""`vigil agent --config agent.yaml`: the CloudWatch agent's own keys for files
(`logs.logs_collected.files.collect_list`: `file_path`, `log_group_name`, `log_stream_name`
with `{hostname}`, `{instance_id}`, `{ip_address}`, `timestamp_format`,
`multi_line_start_pattern`, `retention_in_days`), so an existing agent file works (JSON is
YAML). Vigil adds `format: json|text` per file, a `syslog` receiver, and where to send
(`endpoint_url`, `region`, `profile`) and keep checkpoints (`state_file`)."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from vigil.errors import ConfigError
from vigil.inputs import expect_mapping, load_yaml

_FIELDS: Final = {"file_path", "log_group_name", "log_stream_name", "timestamp_format",
                  "multi_line_start_pattern", "retention_in_days", "encoding", "format",
                  "timezone", "log_group_class", "filters", "auto_removal"}  # fmt: skip
RETENTION: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                    2192, 2557, 2922, 3288, 3653)  # fmt: skip


@dataclass(frozen=True)
class FileSpec:
    file_path: str  # a glob
    log_group: str
    log_stream: str  # placeholders filled
    timestamp_format: str | None = None
    multi_line_start: re.Pattern[str] | None = None
    retention_days: int | None = None
    json: bool = False
    encoding: str = "utf-8"


@dataclass(frozen=True)
class SyslogSpec:
    log_group: str
    log_stream: str
    udp: int | None = None
    tcp: int | None = None
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class AgentConfig:
    files: list[FileSpec]
    syslog: SyslogSpec | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    state_file: Path = Path("vigil-agent.state.json")
    flush_interval: float = 5.0
    poll_interval: float = 0.5
    placeholders: dict[str, str] = field(default_factory=dict)


def placeholders() -> dict[str, str]:
    host = socket.gethostname()
    try:
        address = socket.gethostbyname(host)
    except OSError:
        address = "127.0.0.1"
    return {"hostname": host, "local_hostname": host, "ip_address": address,
            "instance_id": _instance_id() or host}  # fmt: skip


def _instance_id() -> str | None:
    """EC2's instance id from IMDSv2, when running on EC2 (a short timeout elsewhere)."""
    import urllib.request

    try:
        token_req = urllib.request.Request(
            "http://169.254.169.254/latest/api/token", method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})  # fmt: skip
        with urllib.request.urlopen(token_req, timeout=0.2) as r:
            token = r.read().decode()
        req = urllib.request.Request("http://169.254.169.254/latest/meta-data/instance-id",
                                     headers={"X-aws-ec2-metadata-token": token})  # fmt: skip
        with urllib.request.urlopen(req, timeout=0.2) as r:
            return str(r.read().decode())
    except OSError:
        return None


def _fill(template: str, values: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m[1] not in values:
            raise ConfigError(f"{where}: unknown placeholder {{{m[1]}}} (known: "
                              + ", ".join(sorted(values)) + ")")  # fmt: skip
        return values[m[1]]

    return re.sub(r"\{(\w+)\}", sub, template)


def load(path: Path, values: dict[str, str] | None = None) -> AgentConfig:
    doc = expect_mapping(load_yaml(path) or {}, str(path), "the agent's settings")
    values = values if values is not None else placeholders()
    collected = (doc.get("logs") or {}).get("logs_collected") or {}
    listed = ((collected.get("files") or {}).get("collect_list")) or []
    if not isinstance(listed, list):
        raise ConfigError(f"{path}: logs.logs_collected.files.collect_list: a list")
    files = [_file(f, f"{path}: collect_list[{i}]", values) for i, f in enumerate(listed)]
    syslog = _syslog(doc.get("syslog"), f"{path}: syslog", values)
    if not files and syslog is None:
        raise ConfigError(f"{path}: nothing to collect", hint="list files under logs."
                          "logs_collected.files.collect_list, or set syslog")  # fmt: skip
    state = Path(str(doc.get("state_file") or path.with_suffix(".state.json")))
    return AgentConfig(files, syslog, doc.get("endpoint_url"), doc.get("region"),
                       doc.get("profile"), state, float(doc.get("flush_interval", 5.0)),
                       float(doc.get("poll_interval", 0.5)), values)  # fmt: skip


def _file(raw: Any, where: str, values: dict[str, str]) -> FileSpec:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a mapping with file_path and log_group_name")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    for key in ("file_path", "log_group_name"):
        if not raw.get(key):
            raise ConfigError(f"{where}: {key} is required")
    pattern = raw.get("multi_line_start_pattern")
    fmt = raw.get("timestamp_format")
    if pattern == "{timestamp_format}":
        if not fmt:
            raise ConfigError(f"{where}: multi_line_start_pattern {{timestamp_format}} needs "
                              "timestamp_format")  # fmt: skip
        from vigil.agent.records import format_regex

        pattern = "^" + format_regex(fmt)
    try:
        start = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise ConfigError(f"{where}: multi_line_start_pattern: {exc}") from None
    retention = raw.get("retention_in_days")
    if retention is not None and retention not in RETENTION:
        raise ConfigError(f"{where}: retention_in_days {retention}: one of "
                          + ", ".join(map(str, RETENTION)))  # fmt: skip
    fmt_kind = str(raw.get("format", "text"))
    if fmt_kind not in ("text", "json"):
        raise ConfigError(f"{where}: format {fmt_kind!r}: text or json")
    stream = _fill(str(raw.get("log_stream_name") or "{instance_id}"), values, where)
    group = _fill(str(raw["log_group_name"]), values, where)
    return FileSpec(str(raw["file_path"]), group, stream, fmt, start, retention,
                    fmt_kind == "json", str(raw.get("encoding", "utf-8")))  # fmt: skip


def _syslog(raw: Any, where: str, values: dict[str, str]) -> SyslogSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("log_group_name"):
        raise ConfigError(f"{where}: a mapping with log_group_name and udp or tcp (ports)")
    if not raw.get("udp") and not raw.get("tcp"):
        raise ConfigError(f"{where}: give a udp or tcp port (or both)")
    return SyslogSpec(_fill(str(raw["log_group_name"]), values, where),
                      _fill(str(raw.get("log_stream_name") or "{hostname}"), values, where),
                      int(raw["udp"]) if raw.get("udp") else None,
                      int(raw["tcp"]) if raw.get("tcp") else None,
                      str(raw.get("host", "127.0.0.1")))  # fmt: skip
