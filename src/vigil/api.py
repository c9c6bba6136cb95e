"""The library facade: what the shells (CLI, later HTTP) call. One call per user action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.findings.store import Filter, FindingStore
from vigil.formats.flowlog_fields import parse_format
from vigil.ingest.classify import LogType
from vigil.ingest.pipeline import IngestOptions, IngestReport
from vigil.ingest.pipeline import ingest as _ingest
from vigil.ingest.quarantine import Entry
from vigil.ingest.retry import Overrides, RetryReport
from vigil.lake import maintenance
from vigil.lake.catalog import run_query
from vigil.model.finding import Finding, RecordState, Workflow
from vigil.sources.objects import SourceObject


def check_format(fmt: str | None) -> tuple[str, ...] | None:
    """A `--format` string read before any work starts (an unknown field is an error)."""
    return parse_format(fmt) if fmt is not None else None


def ingest(
    settings: Settings,
    sources: list[str],
    *,
    log_type: LogType = "auto",
    fmt: str | None = None,
    since: date | None = None,
    until: date | None = None,
    endpoint_url: str | None = None,
    account: str | None = None,
    region: str | None = None,
    workers: int = 2,
    batch_rows: int = 500_000,
    flow_logs_to: str | None = None,
    cloudtrail_to: str | None = None,
    reprocess: bool = False,
    events: bool = True,
    on_listed: Callable[[int], None] | None = None,
    on_object: Callable[[SourceObject, int], None] | None = None,
) -> IngestReport:
    options = IngestOptions(
        log_type=log_type,
        fmt=parse_format(fmt) if fmt is not None else None,
        since=since,
        until=until,
        endpoint_url=endpoint_url,
        account=account,
        region=region,
        workers=workers,
        batch_rows=batch_rows,
        flow_logs_to=flow_logs_to,
        cloudtrail_to=cloudtrail_to,
        reprocess=reprocess,
    )
    return ingest_with(settings, sources, options, on_listed, on_object, events=events)


def ingest_with(
    settings: Settings,
    sources: list[str],
    options: IngestOptions,
    on_listed: Callable[[int], None] | None = None,
    on_object: Callable[[SourceObject, int], None] | None = None,
    *,
    events: bool = True,
) -> IngestReport:
    """Ingest, then what follows every ingest: Vigil's own metrics, and the bus (CloudTrail
    write calls while rules listen, and a health event)."""
    report = _ingest(settings, sources, options, on_listed, on_object)
    return _after_ingest(settings, report, events=events)


def _after_ingest(settings: Settings, report: IngestReport, *, events: bool) -> IngestReport:
    from vigil.events import emit
    from vigil.logs.groups import now_ms
    from vigil.metrics import own

    own.ingested(settings, report.records, report.rejected, now_ms())
    if events and emit.wanted(settings):
        report.events = emit.emit_cloudtrail(settings, report.written.get("cloudtrail", []))
    if events:
        summary = {
            "records": report.records,
            "rejected": report.rejected,
            "quarantined": len(report.quarantined),
            "objects": report.ingested,
        }
        emit.emit_health(settings, "Vigil Ingest Completed", summary)
    return report


@dataclass
class QuarantineDetail:
    entry: Entry
    rejected: list[dict[str, Any]]


def query(settings: Settings, sql: str) -> pa.Table:
    return run_query(settings.lake_dir, sql)


def lake_info(settings: Settings) -> dict[str, Any]:
    return asdict(maintenance.lake_info(settings))


def compact(settings: Settings, table: str | None = None) -> dict[str, Any]:
    return asdict(maintenance.compact(settings, table))


def expire(
    settings: Settings,
    older_than: str,
    table: str | None = None,
    *,
    dry_run: bool = False,
    confirmed: bool = False,
) -> dict[str, Any]:
    from vigil.lake.expire import expire as expire_partitions

    report = expire_partitions(settings, older_than, table, dry_run=dry_run, confirmed=confirmed)
    return asdict(report)


# Detection and findings -------------------------------------------------------------------


def content_list(settings: Settings | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Every detection unit: the built-in ones and, with a home, its imported Sigma rules."""
    from vigil.detect.units import load_units

    units, errors = load_units()
    rows = [
        {
            "id": u.id,
            "type": u.type,
            "severity": u.severity,
            "source": u.source,
            "logic": u.logic,
            "enabled": u.enabled,
            "cases": len(u.cases),
            "origin": "built-in",
        }
        for u in units
    ]
    for rule in sigma_rules(settings) if settings is not None else []:
        rows.append({"id": rule["id"], "type": rule["type"], "severity": rule["severity"],
                     "source": "cloudtrail", "logic": "sigma", "enabled": rule["enabled"],
                     "cases": 0, "origin": "imported Sigma"})  # fmt: skip
    return rows, [str(e) for e in errors]


def sigma_rules(settings: Settings) -> list[dict[str, Any]]:
    """The imported Sigma rules, enabled or not, with what each would report."""
    from vigil.detect.sigma_import import rule_files, unit_id
    from vigil.detect.sigma_rules import SigmaRejected, load_file

    out = []
    for path, enabled in rule_files(settings.home / "sigma"):
        try:
            logic = load_file(path)
        except SigmaRejected as exc:
            out.append({"id": unit_id(path), "file": path.name, "enabled": enabled,
                        "title": None, "type": None, "severity": None, "rule_id": None,
                        "problem": str(exc)})  # fmt: skip
            continue
        title, rule_id = str(logic.rule.title), logic.rule.id
        out.append({"id": unit_id(path), "file": path.name, "enabled": enabled, "title": title,
                    "type": f"Sigma/{title}", "severity": logic.severity,
                    "rule_id": str(rule_id) if rule_id else None, "problem": None})  # fmt: skip
    return out


def sigma_rule_set(settings: Settings, ref: str, action: str) -> dict[str, Any]:
    """enable, disable or remove an imported Sigma rule (by unit id, file name or Sigma id)."""
    from vigil.detect.sigma_import import remove_rule, set_enabled, unit_id

    folder = settings.home / "sigma"
    if action == "remove":
        path = remove_rule(folder, ref)
        return {"id": unit_id(path), "file": path.name, "removed": True}
    path = set_enabled(folder, ref, action == "enable")
    return {"id": unit_id(path), "file": path.name, "enabled": action == "enable"}


def content_test(ids: list[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    from vigil.detect.harness import run_cases
    from vigil.detect.units import load_units

    units, errors = load_units(None, ids)
    results = [asdict(r) for u in units for r in run_cases(u)]
    return results, [str(e) for e in errors]


def check_age(text: str, option: str) -> None:
    from vigil.lake.expire import parse_age

    try:
        parse_age(text)
    except ConfigError as exc:
        raise ConfigError(f"{option}: {exc}", hint=exc.hint) from exc


def detect_recent(settings: Settings, age: str) -> dict[str, Any]:
    """Detection over the stored data of the last `age` (7d, 24h), e.g. with a new list."""
    from datetime import timedelta

    from vigil.lake.expire import parse_age

    now = datetime.now(UTC)
    since = now - parse_age(age)
    report = detect(settings, since, now + timedelta(seconds=1))
    return {**report, "since": since.strftime("%Y-%m-%dT%H:%M:%SZ")}


def detect(
    settings: Settings,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: list[str] | None = None,
) -> dict[str, Any]:
    from vigil.detect.runner import detect as _detect

    settings.ensure()
    began = datetime.now(UTC)
    report = asdict(_detect(settings, since, until, ids))
    from vigil.events import emit
    from vigil.logs.groups import now_ms
    from vigil.metrics import own

    active = findings_list(settings)
    own.findings(settings, [f.severity_label for f in active], now_ms())
    changed = [f for f in active if f.updated_at and _when(f.updated_at) >= began]
    report["events"] = emit.emit_findings(settings, changed)
    emit.emit_health(
        settings,
        "Vigil Detection Completed",
        {
            "units": report["units"],
            "hits": report["hits"],
            "changed": len(changed),
            "errors": report["errors"],
        },
    )
    return report


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def findings_list(
    settings: Settings,
    severity: float | None = None,
    type_: str | None = None,
    status: str | None = None,
    since: str | None = None,
    archived: bool = False,
) -> list[Finding]:
    store = FindingStore(settings.state_db)
    try:
        state = "ARCHIVED" if archived else "ACTIVE"
        return store.find(Filter(severity, type_, status, state, since))
    finally:
        store.close()


def findings_get(settings: Settings, fid: str) -> Finding:
    store = FindingStore(settings.state_db)
    try:
        return store.get(fid)
    finally:
        store.close()


def findings_update(
    settings: Settings,
    fid: str,
    workflow: Workflow | None,
    state: RecordState | None,
    note: str | None,
) -> Finding:
    store = FindingStore(settings.state_db)
    try:
        return store.update(fid, workflow, state, note)
    finally:
        store.close()


def finding_dict(f: Finding) -> dict[str, Any]:
    from vigil.detect.sql import render as render_sql

    data = asdict(f)
    data["severity_label"] = f.severity_label
    data["workflow"] = f.workflow.value
    data["record_state"] = f.record_state.value
    if f.evidence_query:
        data["evidence_query"] = render_sql(
            f.evidence_query,
            {"first_seen": _ts(f.first_seen), "last_seen": _ts(f.last_seen)},
        )
    return data


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def intel_add(settings: Settings, kind: str, path: Path) -> tuple[int, list[str]]:
    """Add a threat, trusted-IP or organization-account list (checked first)."""
    from vigil.intel import catalog

    settings.ensure()
    return catalog.add(settings.home / "intel", kind, path)


def aws_ranges_update(settings: Settings, path: Path) -> dict[str, Any]:
    from vigil.intel.aws_ranges import update

    settings.ensure()
    ranges = update(settings.home / "intel", path)
    return {"syncToken": ranges.sync_token, "createDate": ranges.create_date,
            "ipv4_prefixes": len(ranges.v4), "ipv6_prefixes": ranges.v6}  # fmt: skip


def intel_list(settings: Settings) -> list[dict[str, Any]]:
    from vigil.intel import catalog

    return [asdict(x) for x in catalog.listing(settings.home / "intel")]


def intel_remove(settings: Settings, name: str, kind: str | None = None) -> dict[str, Any]:
    from vigil.intel import catalog

    return asdict(catalog.remove(settings.home / "intel", name, kind))


def rules_import(settings: Settings, paths: list[Path]) -> list[dict[str, Any]]:
    from vigil.detect.sigma_import import import_rules

    settings.ensure()
    return [asdict(r) for r in import_rules(paths, settings.home / "sigma")]


def suppressions(settings: Settings) -> dict[str, dict[str, str]]:
    store = FindingStore(settings.state_db)
    try:
        return store.suppressions()
    finally:
        store.close()


def suppression_delete(settings: Settings, name: str) -> dict[str, str]:
    """Delete a suppression rule; findings it archived stay archived (as in GuardDuty)."""
    store = FindingStore(settings.state_db)
    try:
        return store.unsuppress(name)
    finally:
        store.close()


def findings_suppress(settings: Settings, name: str, pairs: list[str]) -> int:
    from vigil.findings.suppression import parse_criteria

    criteria = parse_criteria(pairs)
    store = FindingStore(settings.state_db)
    try:
        return store.suppress(name, criteria)
    finally:
        store.close()


def findings_export(settings: Settings, fmt: str, archived: bool = False) -> list[dict[str, Any]]:
    from vigil.errors import ConfigError
    from vigil.findings.export import FORMATS

    convert = FORMATS.get(fmt.lower())
    if convert is None:
        raise ConfigError(f"no export format {fmt!r}", hint=f"choose {', '.join(FORMATS)}")
    store = FindingStore(settings.state_db)
    try:
        found = store.find(Filter(record_state=None if archived else "ACTIVE"))
    finally:
        store.close()
    return [convert(f) for f in found]


# Quarantine ----------------------------------------------------------------------------------


def quarantine_list(settings: Settings) -> list[Entry]:
    from vigil.ingest import quarantine

    return quarantine.entries(settings.quarantine_dir)


def quarantine_show(settings: Settings, ident: str, lines: int = 20) -> QuarantineDetail:
    from vigil.ingest import quarantine

    entry = quarantine.chosen(settings.quarantine_dir, [ident])[0]
    return QuarantineDetail(entry, quarantine.rejected_lines(entry, lines))


def quarantine_retry(
    settings: Settings,
    ids: list[str],
    overrides: Overrides,
    on_object: Callable[[SourceObject, int], None] | None = None,
) -> RetryReport:
    """Read quarantined objects again (all, or those named), then what follows an ingest."""
    from vigil.ingest.retry import retry

    settings.ensure()
    report = retry(settings, ids, overrides, on_object)
    for part in report.ingest:
        _after_ingest(settings, part, events=True)
    return report


def quarantine_purge(settings: Settings, ids: list[str], every: bool = False) -> list[Entry]:
    """Drop entries (the named ones, or all with `every`). An object rejected as a whole is then
    marked `purged`, so later runs stop retrying it until it changes (or --reprocess)."""
    from vigil.errors import ConfigError
    from vigil.ingest import quarantine
    from vigil.lake.manifest import Manifest

    if not ids and not every:
        raise ConfigError("name the entries to purge", hint="give IDs, or --all for every entry")
    gone = quarantine.chosen(settings.quarantine_dir, [] if every else ids)
    if settings.state_db.exists():
        manifest = Manifest(settings.state_db)
        try:
            failed = [e.uri for e in gone if e.status == "failed"]
            manifest.set_status(failed, "purged", "purged from quarantine")
        finally:
            manifest.close()
    for entry in gone:
        quarantine.remove(entry)
    return gone
