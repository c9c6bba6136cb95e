"""Detection: run the units over the lake into the findings hub; imported Sigma rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil import clock
from vigil.config import Settings
from vigil.detect import sigma_import
from vigil.detect.runner import DetectReport
from vigil.detect.runner import detect as _detect
from vigil.detect.sigma_import import ImportedRule as ImportedRule
from vigil.detect.sigma_import import ImportResult as ImportResult
from vigil.detect.sigma_import import remove_rule, rule_files, set_enabled, unit_id
from vigil.detect.sigma_rules import SigmaRejected, load_file
from vigil.findings.store import FindingStore
from vigil.lake.expire import parse_age
from vigil.live import follow


def sigma_rules(settings: Settings) -> list[ImportedRule]:
    """The imported Sigma rules, enabled or not, with what each would report."""

    out = []
    for path, enabled in rule_files(settings.home / "sigma"):
        try:
            logic = load_file(path)
        except SigmaRejected as exc:
            out.append(ImportedRule(unit_id(path), path.name, enabled, problem=str(exc)))
            continue
        title, rule_id = str(logic.rule.title), logic.rule.id
        out.append(ImportedRule(unit_id(path), path.name, enabled, title, f"Sigma/{title}",
                                logic.severity, str(rule_id) if rule_id else None))  # fmt: skip
    return out


@dataclass(frozen=True)
class RuleChange:
    """An imported rule enabled, disabled or removed."""

    id: str
    file: str
    enabled: bool  # after the change (False once removed)
    removed: bool = False


def set_sigma_rule(settings: Settings, ref: str, action: str) -> RuleChange:
    """enable, disable or remove an imported Sigma rule (by unit id, file name or Sigma id)."""

    folder = settings.home / "sigma"
    if action == "remove":
        path = remove_rule(folder, ref)
        return RuleChange(unit_id(path), path.name, False, removed=True)
    path = set_enabled(folder, ref, action == "enable")
    return RuleChange(unit_id(path), path.name, action == "enable")


def import_rules(settings: Settings, paths: list[Path]) -> list[ImportResult]:
    settings.ensure()
    return sigma_import.import_rules(paths, settings.home / "sigma")


def recent(settings: Settings, age: str) -> DetectReport:
    """Detection over the stored data of the last `age` (7d, 24h), e.g. with a new list."""

    now = datetime.now(UTC)
    since = now - parse_age(age)
    report = run(settings, since, now + timedelta(seconds=1))
    report.since = clock.iso(since)
    return report


def run(
    settings: Settings,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: list[str] | None = None,
    tables: set[str] | None = None,
    windowed: bool = False,
) -> DetectReport:
    """Run the enabled units (or those named; those over `tables` only, if given) over the
    lake into the findings hub; what changed goes on the event bus, with a health event for
    the run. `windowed`: a server's run over the windows its batches touched, without the
    new-terms units (each committed batch is judged against their state already)."""

    settings.ensure()
    with FindingStore(settings.state_db) as store:
        report = _detect(settings, store, since, until, ids, tables=tables, windowed=windowed)
    summary = {"units": report.units, "hits": report.hits, "errors": report.errors}
    report.events = follow.after_detection(settings, report.changed_ids, summary)
    return report
