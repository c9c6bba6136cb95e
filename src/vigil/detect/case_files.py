"""A unit case's Route 53 Resolver query logs and S3 server access logs, written as AWS
delivers them (the harness ingests them through the real pipeline).

- `dns_logs`: a list of records (JSON objects as the query log has them), or templates
  `{record: {...}, repeat: N, every: seconds}`: each copy's `query_timestamp` advanced by
  `every` seconds and `{i}` in any text value replaced by its number (0, 1, …).
- `s3_access_logs`: `{account, region, bucket, records: [...]}`: each record a log line, or a
  template `{line: "...", repeat: N, every: seconds, start: ISO time}` where `{i}` is the copy's
  number and `{time}` its bracketed time (`[09/Mar/2024:02:00:00 +0000]`). The object goes under
  the partitioned key layout, so the account and Region are the case's (default 111122223333,
  us-east-1).
"""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from vigil import clock


def write_dns(records: list[Any], src: Path) -> None:
    expanded = [r for item in records for r in record_copies(item, "query_timestamp")]
    if not expanded:
        return
    account = str(expanded[0].get("account_id") or "111122223333")
    vpc = str(expanded[0].get("vpc_id") or "vpc-0case")
    folder = src / "AWSLogs" / account / "vpcdnsquerylogs" / vpc / "2024" / "01" / "01"
    name = f"{vpc}_vpcdnsquerylogs_{account}_20240101T0000Z_case0001.log.gz"
    text = "\n".join(json.dumps(r, separators=(",", ":")) for r in expanded) + "\n"
    _gz(folder / name, text)


def write_s3_access(spec: dict[str, Any], src: Path) -> None:
    account = str(spec.get("account", "111122223333"))
    region = str(spec.get("region", "us-east-1"))
    bucket = str(spec.get("bucket", "case-bucket"))
    lines = [line for item in spec.get("records") or [] for line in _s3_copies(item)]
    if not lines:
        return
    folder = src / "s3-access" / account / region / bucket / "2024" / "01" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2024-01-01-00-00-00-CA5E0000CA5E0000").write_text("\n".join(lines) + "\n")


def record_copies(item: Any, time_field: str) -> list[dict[str, Any]]:
    """A record, or `{record, repeat, every}`: copies with `time_field` advanced `every`
    seconds a copy and `{i}` in any text value replaced by the copy's number."""
    if not isinstance(item, dict) or "record" not in item:
        return [item]
    base = clock.parse_iso(str(item["record"][time_field]))
    out = []
    for i in range(int(item.get("repeat", 1))):
        record = filled(item["record"], i)
        when = base + timedelta(seconds=i * float(item.get("every", 1)))
        record[time_field] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(record)
    return out


def filled(value: Any, i: int) -> Any:
    if isinstance(value, str):
        return value.replace("{i}", str(i))
    if isinstance(value, dict):
        return {k: filled(v, i) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, i) for v in value]
    return value


def _s3_copies(item: Any) -> list[str]:
    if isinstance(item, str):
        return [item]
    start = clock.parse_iso(str(item.get("start", "2024-01-01T00:00:00Z")))
    out = []
    for i in range(int(item.get("repeat", 1))):
        when = start + timedelta(seconds=i * float(item.get("every", 1)))
        stamp = when.strftime("[%d/%b/%Y:%H:%M:%S +0000]")
        out.append(str(item["line"]).replace("{i}", str(i)).replace("{time}", stamp))
    return out


def _gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
