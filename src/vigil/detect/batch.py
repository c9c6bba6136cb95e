"""Detection on one committed batch, at once: the record rules (built-in units without a
threshold, and Sigma record rules) run over just the batch's new lake files, for the windows
its events fall in. The files are hard-linked into a scratch lake of the same layout, so the
units' own SQL runs unchanged.

Windowed units (a HAVING threshold, or a Sigma correlation) count across batches, so they are
left to the periodic incremental run over the whole lake (`detect.runner.detect`), which also
settles the counts of findings a batch touched: a batch sees only its own events."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final

from vigil.config import Settings
from vigil.detect.runner import FindingSink, align, data_range, detection_connection, snapshot_view
from vigil.detect.sigma_import import imported_units
from vigil.detect.sql import run_unit
from vigil.detect.units import Unit, UnitError, load_units

_THRESHOLD: Final = re.compile(r"\bHAVING\b", re.IGNORECASE)


@dataclass
class BatchReport:
    units: int = 0
    changed: list[str] = field(default_factory=list)  # finding ids new or changed
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def record_rule(unit: Unit) -> bool:
    """A unit that decides on each event alone (so a batch can be judged by itself)."""
    if unit.sigma is not None:
        return unit.sigma.correlation is None
    return not _THRESHOLD.search(unit.query) and "threshold" not in unit.parameters


def record_units(settings: Settings) -> tuple[list[Unit], list[str]]:
    units, problems = load_units(None, None, settings.content_dir)
    sigma, sigma_problems = imported_units(settings.home / "sigma")
    chosen = [u for u in [*units, *sigma] if u.enabled and record_rule(u)]
    return chosen, [str(p) for p in problems] + sigma_problems


def _scratch(lake: Path, written: dict[str, list[Path]], into: Path) -> None:
    for paths in written.values():
        for path in paths:
            target = into / path.relative_to(lake)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)


def detect_batch(
    settings: Settings,
    store: FindingSink,
    written: dict[str, list[Path]],
    units: list[Unit] | None = None,
) -> BatchReport:
    began = time.perf_counter()
    report = BatchReport()
    if units is None:
        units, report.errors = record_units(settings)
    tables = {t for t, paths in written.items() if paths}
    chosen = [u for u in units if u.source in tables]
    if not chosen:
        return report
    accounts, egress = snapshot_view(settings)
    with tempfile.TemporaryDirectory(prefix="batch-", dir=settings.home) as tmp:
        scratch = Path(tmp)
        _scratch(settings.lake_dir, written, scratch)
        con = detection_connection(scratch, settings.home / "intel", accounts=accounts,
                                   egress=egress)  # fmt: skip
        try:
            ranges = {t: data_range(con, t) for t in tables}
            for unit in chosen:
                low, high = ranges[unit.source]
                if low is None or high is None:
                    continue
                window = timedelta(minutes=float(unit.parameters.get("window_minutes", 60)))
                report.units += 1
                try:
                    results = run_unit(con, unit, align(low, window), high + timedelta(seconds=1))
                except UnitError as exc:
                    report.errors.append(str(exc))
                    continue
                for finding, hit in results:
                    if store.record(finding, [hit]) and finding.id not in report.changed:
                        report.changed.append(finding.id)
        finally:
            con.close()
    report.seconds = time.perf_counter() - began
    return report
