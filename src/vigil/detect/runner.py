"""`vigil detect`: run enabled units over the lake, merge their hits into findings.

Each unit has a watermark: an incremental run evaluates from the watermark (less a lateness
allowance, aligned down to the unit's window) to the end of the data. Hits are keyed by window,
so the re-evaluated windows replace their earlier hits: re-runs neither miss late data nor
count anything twice, and an explicit `--since/--until` backfill merges into the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, Protocol

from vigil import clock
from vigil.config import Settings
from vigil.detect.sigma_import import every_unit
from vigil.detect.sql import run_unit
from vigil.detect.tuning import load as load_tuning
from vigil.detect.tuning import problems as tuning_problems
from vigil.detect.tuning import tuned
from vigil.detect.units import Unit, UnitError
from vigil.intel import dga
from vigil.intel import lists as intel
from vigil.intel.accounts import load_accounts, register_accounts
from vigil.intel.aws_ranges import register_ranges
from vigil.model.finding import Finding, Hit
from vigil.query.engine import Engine, open_lake_engine, translated
from vigil.query.s3_requests import READS

LATENESS: Final = timedelta(hours=1)  # CloudTrail can deliver 15+ minutes late
TIME_EXPR: Final = {"flow_logs": 'to_timestamp("start")', "cloudtrail": "event_ts",
                     "dns_logs": "query_ts", "s3_access_logs": "request_ts"}  # fmt: skip


def tables_read(source: str) -> tuple[str, ...]:
    """The lake tables a unit's source reads: itself, or those a derived relation unites
    (`s3_requests`: S3 server access logs and CloudTrail)."""
    return READS.get(source, (source,))


class FindingSink(Protocol):
    """Where hits go and watermarks are kept: the findings hub (the service layer passes it)."""

    def watermark(self, unit: str) -> str | None: ...

    def set_watermark(self, unit: str, until: str) -> None: ...

    def record(self, meta: Finding, hits: Iterable[Hit]) -> bool: ...


@dataclass
class DetectReport:
    units: int = 0
    errors: list[str] = field(default_factory=list)
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    hits: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # unit → findings touched
    changed: int = 0
    changed_ids: list[str] = field(default_factory=list)  # the findings created or updated
    events: int = 0  # findings put on the event bus
    since: str | None = None  # a run over the last N days: from when


def detect(
    settings: Settings,
    store: FindingSink,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: list[str] | None = None,
    content: Path | None = None,
    tables: set[str] | None = None,
    windowed: bool = False,
) -> DetectReport:
    units, problems = every_unit(settings.content_dir, settings.home / "sigma", ids, content,
                                 cases=False)  # fmt: skip
    units, tuning_problems = tuned_units(settings, units)
    report = DetectReport(errors=problems + tuning_problems)
    con = detection_connection(settings.lake_dir, settings.home / "intel",
                               view=snapshot_view(settings), how=settings)  # fmt: skip
    ranges: dict[str, tuple[datetime | None, datetime | None]] = {}  # each table's, once a run
    try:
        for unit in units:
            if (not unit.enabled and not ids) or (
                tables is not None and not tables.intersection(tables_read(unit.source))
            ):
                continue
            if unit.silent:  # a correlation's base rule without `generate`
                continue
            if windowed and unit.new_terms is not None:
                continue  # judged on each committed batch, against its own state
            report.units += 1
            try:
                _run(con, store, unit, since, until, report, ranges)
            except UnitError as exc:
                report.errors.append(str(exc))
    finally:
        con.close()
    return report


def tuned_units(settings: Settings, units: list[Unit]) -> tuple[list[Unit], list[str]]:
    """The units as `<home>/tuning.yaml` sets them, and what is wrong with the file."""
    tuning = load_tuning(settings.home)
    return [tuned(u, tuning) for u in units], tuning_problems(tuning, units)


@dataclass(frozen=True)
class SnapshotView:
    """What detection reads from the newest posture snapshot: the organization's accounts,
    their public egress addresses (instances, NAT gateways, interfaces), resource tags."""

    accounts: list[str] = field(default_factory=list)
    egress: list[tuple[str, str]] = field(default_factory=list)
    tags: list[tuple[str, str, str]] = field(default_factory=list)


def snapshot_view(settings: Settings) -> SnapshotView:
    from vigil.detect.resource_tags import resource_tags
    from vigil.intel.aws_ranges import egress_addresses
    from vigil.posture import snapshot

    kept = snapshot.history(settings)
    if not kept:
        return SnapshotView()
    snap = snapshot.load(kept[-1])
    return SnapshotView(
        sorted(snap.accounts), egress_addresses(snap.accounts), resource_tags(snap.accounts)
    )


def detection_connection(
    lake: Path,
    intel_dir: Path | None,
    extra: dict[str, list[str]] | None = None,
    view: SnapshotView | None = None,
    how: Settings | None = None,
) -> Engine:
    """An engine over `lake` with what units read beside it: threat lists, the organization's
    accounts, AWS's ranges, resource tags, the DGA model. `how` chooses the engine (its
    `engine` and `spark` settings); None: DuckDB."""
    from vigil.detect import resource_tags

    view = view or SnapshotView()
    engine = open_lake_engine(lake, how, read_only=False, memory_limit="2GB")
    intel.register(engine, intel_dir, extra)
    own = load_accounts(intel_dir) + view.accounts + (extra or {}).get("accounts", [])
    register_accounts(engine, own)
    register_ranges(engine, intel_dir, view.egress, extra)
    resource_tags.register(engine, view.tags)
    dga.register(engine)
    return engine


def _run(
    con: Engine,
    store: FindingSink,
    unit: Unit,
    since: datetime | None,
    until: datetime | None,
    report: DetectReport,
    ranges: dict[str, tuple[datetime | None, datetime | None]],
) -> None:
    incremental = since is None and until is None
    since = clock.utc(since) if since else None
    until = clock.utc(until) if until else None
    # The table's whole range is read only where the window leaves an end open (a scan of
    # every file): a server's runs over the windows its batches touched give both.
    if not (since and until) and unit.source not in ranges:
        ranges[unit.source] = data_range(con, unit.source)
    low, high = (since, until) if since and until else ranges[unit.source]
    if low is None or high is None:
        return
    window = timedelta(minutes=float(unit.parameters.get("window_minutes", 60)))
    mark = store.watermark(unit.id) if incremental else None
    start = since or (datetime.fromisoformat(mark) - LATENESS if mark else low)
    start = align(start, window)
    end = until or high + timedelta(seconds=1)
    if start >= end:
        return
    results = run_unit(con, unit, start, end)
    report.windows[unit.id] = (start.isoformat(), end.isoformat())
    record(store, results, report, unit.id)
    if incremental:
        store.set_watermark(unit.id, end.isoformat())


def record(
    store: FindingSink, results: list[tuple[Finding, Hit]], report: DetectReport, unit: str
) -> None:
    grouped: dict[str, tuple[Finding, list[Hit]]] = {}
    for finding, hit in results:
        grouped.setdefault(finding.id, (finding, []))[1].append(hit)
    for finding, hits in grouped.values():
        if store.record(finding, hits):
            report.changed += 1
            report.changed_ids.append(finding.id)
        report.hits += len(hits)
    report.findings[unit] = len(grouped)


def data_range(con: Engine, table: str) -> tuple[datetime | None, datetime | None]:
    """The first and last time of a table's records; of a derived relation, of the tables it
    reads together (their files' statistics, not the relation's joins)."""
    if table in READS:
        found = [r for r in (data_range(con, t) for t in READS[table]) if r[0] and r[1]]
        if not found:
            return None, None
        return min(r[0] for r in found if r[0]), max(r[1] for r in found if r[1])
    expr = TIME_EXPR[table]
    rows = con.rows(translated(con, f"SELECT min({expr}), max({expr}) FROM {table}"))
    row = rows[0] if rows else None
    if row is None or row[0] is None:
        return None, None
    return clock.utc(row[0]), clock.utc(row[1])


def align(moment: datetime, window: timedelta) -> datetime:
    """Down to a multiple of the window since the epoch: the same buckets on every run."""
    seconds = window.total_seconds()
    epoch = clock.utc(moment).timestamp()
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)
