"""Run a unit's test cases: the case's raw AWS records are written as AWS delivers them,
ingested through the real pipeline into a scratch lake, and the unit's findings compared with
the case's expectation (each expected grouping key found, nothing else)."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from vigil import clock
from vigil.config import Settings
from vigil.content.kit import CaseResult
from vigil.detect.case_files import record_copies, write_dns, write_s3_access
from vigil.detect.runner import data_range, detection_connection
from vigil.detect.sql import run_unit
from vigil.detect.templates import render
from vigil.detect.units import Case, Unit, UnitError
from vigil.errors import QueryError
from vigil.formats.flowlog_fields import DEFAULT_FORMAT, parse_format
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.model.finding import Finding, Hit
from vigil.query.engine import Engine, translated

_SLOT: Final = re.compile(r"\{(i|t)([+-]\d+)?\}")


def run_cases(unit: Unit, how: Settings | None = None) -> list[CaseResult]:
    """Every case of the unit, on the engine `how` chooses (None: DuckDB)."""
    return [run_case(unit, case, how) for case in unit.cases]


def run_case(unit: Unit, case: Case, how: Settings | None = None) -> CaseResult:
    try:
        results = case_results(unit, case, how)
    except UnitError as exc:
        return CaseResult(unit.id, case.name, False, case.expect, [], str(exc))
    found = found_keys(results)
    return CaseResult(unit.id, case.name, matches(case.expect, found), case.expect, found)


def found_keys(results: list[tuple[Finding, Hit]]) -> list[dict[str, Any]]:
    """Each finding's key, with its severity (an expectation may name it beside the key)."""
    keys = {f.id: {**f.key, "severity": f.severity} for f, _ in results}
    return sorted(keys.values(), key=lambda k: json.dumps(k, sort_keys=True))


def case_results(unit: Unit, case: Case, how: Settings | None = None) -> list[tuple[Finding, Hit]]:
    """The findings and hits the unit raises over the case's records, each finding's evidence
    query checked to return rows (on the engine `how` chooses; None: DuckDB)."""
    with tempfile.TemporaryDirectory(prefix="vigil-case-") as tmp:
        root = Path(tmp)
        settings = Settings.load(root / "home")
        _write(case, root / "src")
        report = ingest(settings, [str(root / "src")], IngestOptions())
        if not report.clean:
            raise UnitError(f"case data was rejected: {'; '.join(report.problems[:3])}")
        con = detection_connection(settings.lake_dir, None, case.intel, how=how)
        try:
            low, high = data_range(con, unit.source)
            if low is None or high is None:
                return []
            results = run_unit(con, unit, low - timedelta(days=1), high + timedelta(days=1))
            for finding, hit in results:
                _check_evidence(con, finding.evidence_query, hit.first_seen, hit.last_seen)
            return results
        finally:
            con.close()


def _check_evidence(con: Engine, template: str, first: str, last: str) -> None:
    """A finding's evidence query must return the records it speaks of."""
    if not template:
        raise UnitError("the unit has no evidence query")
    moments = {"first_seen": clock.parse_iso(first), "last_seen": clock.parse_iso(last)}
    try:
        rows = con.rows(translated(con, render(template, moments)))
    except QueryError as exc:
        raise UnitError(f"the evidence query failed: {exc}") from exc
    if not rows:
        raise UnitError(f"the evidence query returned no rows: {render(template, moments)}")


def matches(expected: list[dict[str, Any]], found: list[dict[str, Any]]) -> bool:
    if len(expected) != len(found):
        return False
    remaining = list(found)
    for want in expected:
        match = next(
            (f for f in remaining if all(str(f.get(k)) == str(v) for k, v in want.items())), None
        )
        if match is None:
            return False
        remaining.remove(match)
    return True


def _write(case: Case, src: Path) -> None:
    flows = case.data.get("flow_logs")
    if flows:
        fmt = flows.get("format", "default")
        fields = DEFAULT_FORMAT if fmt == "default" else parse_format(fmt)
        account = str(flows.get("account", "111122223333"))
        region = str(flows.get("region", "us-east-1"))
        lines = [" ".join(fields), *_expand(flows.get("records") or [])]
        folder = src / "AWSLogs" / account / "vpcflowlogs" / region / "2024" / "01" / "01"
        name = f"{account}_vpcflowlogs_{region}_fl-0case_20240101T0000Z_case.log.gz"
        _gz(folder / name, "\n".join(lines) + "\n")
    records = case.data.get("cloudtrail")
    if records:
        expanded = []
        for item in records:
            expanded += _expand_record(item)
        account = str(expanded[0].get("recipientAccountId", "111122223333"))
        folder = src / "AWSLogs" / account / "CloudTrail" / "us-east-1" / "2024" / "01" / "01"
        name = f"{account}_CloudTrail_us-east-1_20240101T0000Z_case.json.gz"
        _gz(folder / name, json.dumps({"Records": expanded}))
    if case.data.get("dns_logs"):
        write_dns(list(case.data["dns_logs"]), src)
    if case.data.get("s3_access_logs"):
        write_s3_access(dict(case.data["s3_access_logs"]), src)


def _gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode(), mtime=0))


def _expand(items: list[Any]) -> list[str]:
    """Literal lines, or {line, repeat, start, every} with {i}, {t}, {t+N} filled in."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
            continue
        start, every = int(item.get("start", 0)), int(item.get("every", 1))
        for i in range(int(item.get("repeat", 1))):
            t = start + i * every

            def fill(m: re.Match[str], i: int = i, t: int = t) -> str:
                base = i if m.group(1) == "i" else t
                return str(base + int(m.group(2) or 0))

            out.append(_SLOT.sub(fill, str(item["line"])))
    return out


def _expand_record(item: dict[str, Any]) -> list[dict[str, Any]]:
    """A record, or {record, repeat, every} with eventTime advanced, eventID numbered and
    `{i}` in any text value replaced by the copy's number (keys, request ids)."""
    copies = record_copies(item, "eventTime")
    if "record" in item:
        for i, rec in enumerate(copies):
            rec["eventID"] = f"{rec.get('eventID', 'case')}-{i}"
    return copies
