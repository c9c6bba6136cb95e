"""Detection on one committed batch, at once: the record rules (built-in units without a
threshold or a baseline, and Sigma record rules) run over just the batch's new lake files,
for the windows its events fall in. The files are hard-linked into a scratch lake of the same
layout and held in memory, so the units' own SQL runs unchanged, on one kept engine.

Windowed units (a HAVING threshold, a baseline, a Sigma correlation) count across batches,
so they are left to a run over the whole lake on just the windows the batches touched (the
report's `touched` range, which the server gathers and runs every `detect_interval`); that run
also settles the counts of findings a batch touched: a batch sees only its own events."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from vigil.config import Settings
from vigil.detect.new_terms import State, batch_rows_sql, hit_row, seed_sql
from vigil.detect.routing import event_names, matches
from vigil.detect.runner import (
    FindingSink,
    align,
    data_range,
    detection_connection,
    snapshot_view,
    tables_read,
    tuned_units,
)
from vigil.detect.sigma_import import every_unit
from vigil.detect.sql import results, run_unit
from vigil.detect.templates import render
from vigil.detect.units import Unit, UnitError
from vigil.model.finding import Finding, Hit
from vigil.query.engine import Engine, open_engine
from vigil.state import StateDB

_HISTORY: Final = re.compile(r"\bHAVING\b|\bPRECEDING\b|lookback", re.IGNORECASE)


@dataclass
class BatchReport:
    units: int = 0
    changed: list[str] = field(default_factory=list)  # finding ids new or changed
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    touched: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)  # table → range
    skipped: int = 0  # units whose event names the batch does not hold


def record_rule(unit: Unit) -> bool:
    """A unit that decides on each event alone, so a batch can be judged by itself: not a
    Sigma correlation, no threshold (HAVING), no baseline over earlier days (a lookback), not
    new terms (those keep their own state: `vigil.detect.new_terms`)."""
    if unit.new_terms is not None:
        return False
    if unit.record_rule is not None:  # the unit says so
        return unit.record_rule
    if unit.sigma is not None:
        return unit.sigma.correlation is None
    if any(k in unit.parameters for k in ("threshold", "lookback_days")):
        return False
    return not _HISTORY.search(unit.query)


def record_units(settings: Settings) -> tuple[list[Unit], list[str]]:
    """The units a committed batch is judged by at once: record rules and new terms."""
    units, problems = every_unit(settings.content_dir, settings.home / "sigma", cases=False)
    units, tuning = tuned_units(settings, units)
    problems += tuning
    chosen = [u for u in units if u.enabled and not u.silent
              and (record_rule(u) or u.new_terms is not None)]  # fmt: skip
    return chosen, problems


class BatchDetector:
    """Kept by a long-running ingest: the record units and one engine over a scratch lake
    (`<home>/.batch`), both made again every `refresh` seconds (new content, new intel)."""

    def __init__(self, settings: Settings, refresh: float = 60.0) -> None:
        self.settings = settings
        self.scratch = settings.home / ".batch"
        self.refresh = refresh
        self.units: list[Unit] = []
        self.problems: list[str] = []
        self.con: Engine | None = None
        self.terms: StateDB | None = None  # new terms' state
        self.made = 0.0

    def _ready(self) -> Engine:
        if self.con is None or time.monotonic() - self.made > self.refresh:
            self.close()
            self.units, self.problems = record_units(self.settings)
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch.mkdir(parents=True)
            self.con = detection_connection(self.scratch, self.settings.home / "intel",
                                            view=snapshot_view(self.settings))  # fmt: skip
            self.made = time.monotonic()
        return self.con

    def detect(self, store: FindingSink, written: dict[str, list[Path]]) -> BatchReport:
        began = time.perf_counter()
        report = BatchReport()
        tables = sorted(t for t, paths in written.items() if paths)
        con = self._ready()
        report.errors = list(self.problems)
        chosen = [u for u in self.units if set(tables_read(u.source)) & set(tables)]
        if not tables:
            return report
        for child in self.scratch.iterdir():
            shutil.rmtree(child, ignore_errors=True)
        _scratch(self.settings.lake_dir, written, self.scratch)
        con.refresh(tables)
        ranges = {t: data_range(con, t) for t in tables}
        report.touched = {t: (lo, hi) for t, (lo, hi) in ranges.items() if lo and hi}
        for source in {u.source for u in chosen} - set(ranges):  # derived: its tables' range
            ranges[source] = data_range(con, source)
        present = _names_in(con) if "cloudtrail" in tables else frozenset()
        for unit in chosen:
            low, high = ranges[unit.source]
            if low is None or high is None:
                continue
            if unit.source == "cloudtrail" and not matches(event_names(unit), present):
                report.skipped += 1  # none of the event names it watches is in the batch
                continue
            window = timedelta(minutes=float(unit.parameters.get("window_minutes", 60)))
            report.units += 1
            try:
                if unit.new_terms is not None:
                    found = self._new_terms(con, unit, low, high + timedelta(seconds=1))
                else:
                    found = run_unit(con, unit, align(low, window), high + timedelta(seconds=1))
            except UnitError as exc:
                report.errors.append(str(exc))
                continue
            for finding, hit in found:
                if store.record(finding, [hit]) and finding.id not in report.changed:
                    report.changed.append(finding.id)
        report.seconds = time.perf_counter() - began
        return report

    def _new_terms(self, con: Engine, unit: Unit, low: datetime,
                   high: datetime) -> list[tuple[Finding, Hit]]:  # fmt: skip
        """The batch's records against the state of what each combination was last seen
        (seeded from the lake once, with the window before the batch)."""
        spec, logic = unit.new_terms, unit.sigma
        assert spec is not None and logic is not None
        if self.terms is None:
            self.terms = StateDB(self.settings.state_db)
        state = State(self.terms.db)
        if not state.seeded(unit.id):
            last, first = seed_sql(logic, spec)
            with open_engine(self.settings, engine="duckdb") as lake:  # a server's own
                moments = {"until": low, "until_date": low.date()}
                state.seed(unit.id, lake.query(render(last, moments)).to_pylist(),
                           lake.query(first).to_pylist(), spec.keys)  # fmt: skip
        moments = {"since": low, "until": high, "until_date": high.date()}
        rows = con.query(render(batch_rows_sql(logic, spec), moments)).to_pylist()
        fired = state.observe(unit.id, spec, rows)
        state.forget(unit.id, spec, high)
        return results(unit, [hit_row(unit.title, spec, r) for r in fired])

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
        if self.terms is not None:
            self.terms.close()
            self.terms = None


def _names_in(con: Engine) -> frozenset[str]:
    rows = con.rows("SELECT DISTINCT lower(eventname) FROM cloudtrail")
    return frozenset(str(r[0]) for r in rows if r[0] is not None)


def _scratch(lake: Path, written: dict[str, list[Path]], into: Path) -> None:
    for paths in written.values():
        for path in paths:
            target = into / path.relative_to(lake)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
