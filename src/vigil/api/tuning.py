"""Tuning detections as a team needs it: a unit's effective settings and where each comes from
(`vigil content show`), changes to `<home>/tuning.yaml` (the API and console), and a backtest
of a unit over stored data that records nothing (`vigil content backtest`)."""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from vigil.config import Settings
from vigil.content.kit import ContentError
from vigil.detect import tuning
from vigil.detect.runner import data_range, detection_connection, snapshot_view
from vigil.detect.sigma_import import every_unit
from vigil.detect.sql import run_unit
from vigil.errors import BusyError, ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    value: Any
    source: str  # built-in, tuning


@dataclass(frozen=True)
class UnitView:
    id: str
    title: str
    type: str
    severity: float
    logic: str
    source: str
    origin: str  # built-in, user, imported Sigma
    enabled: Setting
    parameters: list[Setting]
    exceptions: dict[str, Any]  # from tuning (empty: none)
    tactics: list[str]
    mitre: list[str]
    aliases: list[str]
    tuning: str  # the file in force
    problems: list[str]


def _units(settings: Settings) -> tuple[list[Any], list[str]]:
    """The units without their test cases: reading those is nine tenths of loading them."""
    return every_unit(settings.content_dir, settings.home / "sigma", cases=False)


def _find(units: list[Any], unit_id: str) -> Any:
    found = next((u for u in units if u.id == unit_id), None)
    if found is None:
        raise ConfigError(f"no detection unit {unit_id!r}", hint="see vigil content list")
    return found


def show(settings: Settings, unit_id: str) -> UnitView:
    """A unit as it runs here: each parameter with its source, exceptions, enabled."""

    units, problems = _units(settings)
    base = _find(units, unit_id)
    loaded = tuning.load(settings.home)
    unit = tuning.tuned(base, loaded)

    def source(name: str) -> str:
        return "tuning" if name in unit.tuned else "built-in"

    origin = ("imported Sigma" if base.path.parent == settings.home / "sigma"
              else "user" if settings.content_dir in base.path.parents else "built-in")  # fmt: skip
    return UnitView(
        unit.id, unit.title, unit.type, unit.severity, unit.logic, unit.source, origin,
        Setting("enabled", unit.enabled, source("enabled")),
        [Setting(k, v, source(k)) for k, v in sorted(unit.parameters.items())],
        unit.exceptions.model_dump() if unit.exceptions is not None else {},
        list(unit.tactics), list(unit.mitre), list(unit.aliases), loaded.source,
        [p for p in problems + tuning.problems(loaded, units) if unit_id in p or "tuning" in p],
    )  # fmt: skip


def set_unit(settings: Settings, unit_id: str, doc: dict[str, Any]) -> UnitView:
    """Set a unit's entry in `<home>/tuning.yaml` ({enabled, parameters, exceptions}; an empty
    document removes it), checked before the file is written."""

    candidate = _candidate(settings, unit_id, doc)
    candidate.replace(settings.home / tuning.FILE)
    return show(settings, unit_id)


def _candidate(settings: Settings, unit_id: str, doc: dict[str, Any] | None) -> Path:
    """`<home>/tuning.yaml` with the unit's entry set to `doc`, written beside it under a name
    of its own and checked (a ConfigError naming the entry's field if it is wrong)."""

    units, _ = _units(settings)
    unit = _find(units, unit_id)
    path = settings.home / tuning.FILE
    current = (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
    entries = dict(current.get("units") or {}) if isinstance(current, dict) else {}
    if doc:
        entries[unit_id] = doc
    else:
        entries.pop(unit_id, None)
    text = yaml.safe_dump({"units": entries}, sort_keys=True)
    settings.home.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".tuning.", suffix=".yaml", dir=settings.home)
    candidate = Path(name)
    with open(fd, "w") as out:
        out.write(text)
    try:
        checked = tuning.load(settings.home, candidate)
    except ContentError as exc:
        candidate.unlink()
        raise ConfigError(str(exc).replace(str(candidate), f"units.{unit_id}"),
                          hint="enabled, parameters, exceptions") from None  # fmt: skip
    wrong = [p for p in tuning.problems(checked, [unit]) if unit_id in p]
    if wrong:
        candidate.unlink()
        raise ConfigError(wrong[0].replace(str(candidate), "tuning"))
    return candidate


@dataclass(frozen=True)
class Group:
    key: dict[str, Any]
    hits: int
    first_seen: str
    last_seen: str
    sample: list[str]  # event ids


@dataclass
class Backtest:
    unit: str
    since: str
    until: str
    tuning: str
    findings: int = 0
    hits: int = 0
    by_day: dict[str, int] = field(default_factory=dict)  # UTC day of first sight → findings
    top: list[Group] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def backtest(settings: Settings, unit_id: str, since: datetime | None = None,
             until: datetime | None = None, tuning_file: Path | None = None,
             top: int = 10, entry: dict[str, Any] | None = None) -> Backtest:  # fmt: skip
    """Run a unit (enabled or not) over stored data with today's tuning, a candidate file or a
    candidate entry for the unit (`entry`, as `set_unit` takes it), recording nothing: the
    findings it would raise, per UTC day of first sight, its busiest groups with a sample of
    their event ids."""
    if not _RUNNING.acquire(blocking=False):
        raise BusyError("another backtest is running", hint="try again when it has finished")
    try:
        return _backtest(settings, unit_id, since, until, tuning_file, top, entry)
    finally:
        _RUNNING.release()


_RUNNING = threading.BoundedSemaphore(1)  # a server runs one backtest at a time: each may read
# the whole lake


def _backtest(settings: Settings, unit_id: str, since: datetime | None, until: datetime | None,
              tuning_file: Path | None, top: int,
              entry: dict[str, Any] | None) -> Backtest:  # fmt: skip
    if entry is not None:
        candidate = _candidate(settings, unit_id, entry)
        try:
            tried = _backtest(settings, unit_id, since, until, candidate, top, None)
            tried.tuning = f"{settings.home / 'tuning.yaml'} with a candidate entry for {unit_id}"
            tried.problems = [p.replace(str(candidate), "candidate") for p in tried.problems]
            return tried
        finally:
            candidate.unlink(missing_ok=True)

    units, _ = _units(settings)
    loaded = tuning.load(settings.home, tuning_file)
    unit = tuning.tuned(_find(units, unit_id), loaded)
    end = until or datetime.now(UTC)
    start = since or end - timedelta(days=30)
    report = Backtest(unit.id, start.isoformat(), end.isoformat(), loaded.source,
                      problems=tuning.problems(loaded, [unit]))  # fmt: skip
    con = detection_connection(settings.lake_dir, settings.home / "intel",
                               view=snapshot_view(settings), how=settings)  # fmt: skip
    try:
        low, high = data_range(con, unit.source)
        if low is None or high is None:
            return report
        results = run_unit(con, unit, max(start, low), min(end, high + timedelta(seconds=1)))
    finally:
        con.close()
    groups: dict[str, list[Any]] = {}
    for finding, hit in results:
        groups.setdefault(finding.id, [finding, []])[1].append(hit)
    report.findings, report.hits = len(groups), len(results)
    days: Counter[str] = Counter()
    rows = []
    for finding, hits in groups.values():
        first = min(h.first_seen for h in hits)
        days[first[:10]] += 1
        sample = [e for h in hits for e in h.evidence][:10]
        rows.append(Group(finding.key, sum(h.count for h in hits), first,
                          max(h.last_seen for h in hits), sample))  # fmt: skip
    report.by_day = dict(sorted(days.items()))
    report.top = sorted(rows, key=lambda g: (-g.hits, g.first_seen))[:top]
    return report
