"""Packs of metric filters with their alarms, as content: `content/metric_filters/<pack>/<id>/
filter.yaml` (the folder name is the id). The CIS pack holds Security Hub's CloudWatch.1-14.

Each unit carries CloudTrail records it must and must not match; `check_unit` runs them
through both the streaming matcher and the SQL compiler.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.content import content_root
from vigil.content.kit import Case, CaseResult, Strict, read_meta
from vigil.errors import ConfigError
from vigil.logs.groups import LogStore
from vigil.logs.pattern import lint, parse
from vigil.metrics import dashboards
from vigil.metrics.alarms import Alarm, AlarmStore
from vigil.metrics.filters import FilterStore, MetricFilter


@dataclass(frozen=True)
class PackUnit:
    id: str
    path: Path
    control: str
    title: str
    pattern: str
    metric_name: str
    namespace: str
    metric_value: str
    alarm: dict[str, Any]
    matches: tuple[dict[str, Any], ...]
    misses: tuple[dict[str, Any], ...]
    cases: tuple[Case, ...] = ()


def pack_dir(pack: str, root: Path | None = None) -> Path:
    return (root or content_root()) / "metric_filters" / pack


class MetricSpec(Strict):
    name: str
    namespace: str
    value: str = "1"


class FilterMeta(Strict):
    """`filter.yaml`: a metric filter with its alarm; each case is a CloudTrail record as
    CloudTrail sends it to CloudWatch Logs, and whether the pattern matches it."""

    control: str
    title: str
    cis: list[str] = Field(default_factory=list)
    pattern: str
    metric: MetricSpec
    alarm: dict[str, Any]
    cases: list[Case] = Field(min_length=2)


def pack_names(root: Path | None = None) -> list[str]:
    base = (root or content_root()) / "metric_filters"
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def pack_root(pack: str, user_dir: Path | None) -> Path:
    """Where a pack lives: the user's content when it has a pack of that name, else built-in."""
    if user_dir is not None and pack_dir(pack, user_dir).is_dir():
        return user_dir
    return content_root()


def load_pack(pack: str, root: Path | None = None) -> list[PackUnit]:
    folder = pack_dir(pack, root)
    if not folder.is_dir():
        known = sorted(p.name for p in folder.parent.iterdir()) if folder.parent.is_dir() else []
        raise ConfigError(f"no pack {pack!r}", hint="packs: " + ", ".join(known))
    units = []
    for path in sorted(p for p in folder.iterdir() if (p / "filter.yaml").is_file()):
        meta = read_meta(path / "filter.yaml", FilterMeta)
        parse(meta.pattern)  # a broken unit fails loudly, with the column
        units.append(PackUnit(
            id=path.name, path=path, control=meta.control, title=meta.title,
            pattern=meta.pattern, metric_name=meta.metric.name, namespace=meta.metric.namespace,
            metric_value=meta.metric.value, alarm=dict(meta.alarm),
            matches=tuple(c.input for c in meta.cases if c.expect is True),
            misses=tuple(c.input for c in meta.cases if c.expect is False),
            cases=tuple(meta.cases),
        ))  # fmt: skip
    return sorted(units, key=lambda u: (len(u.control), u.control))


@dataclass
class Installed:
    filters: list[str]
    alarms: list[str]
    warnings: list[str]
    dashboard: str | None = None  # a dashboard of the pack's alarms (PutDashboard's body)


def install_pack(
    settings: Settings, pack: str, group: str, actions: list[str] | None = None
) -> Installed:
    """Put the pack's metric filters on a log group and an alarm on each metric (a pack of the
    user's own, in <home>/content/metric_filters/, or a built-in one)."""
    units = load_pack(pack, pack_root(pack, settings.content_dir))
    with LogStore(settings) as logs:
        info = logs.group(group)
    done = Installed([], [], [])
    now = now_ms()
    arns: list[tuple[str, str]] = []
    with FilterStore(settings) as filters, AlarmStore(settings) as alarms:
        for u in units:
            done.warnings += [f"{u.id}: {w}" for w in lint(parse(u.pattern))]
            filters.put(
                MetricFilter(group, u.id, u.pattern, u.metric_name, u.namespace, u.metric_value)
            )
            done.filters.append(u.id)
            a = u.alarm
            alarms.put(Alarm(
                name=str(a["name"]), namespace=u.namespace, metric_name=u.metric_name,
                threshold=float(a["threshold"]), comparison=str(a["comparison"]),
                period=int(a["period"]), evaluation_periods=int(a["evaluation_periods"]),
                statistic=str(a["statistic"]), treat_missing_data=str(a["treat_missing_data"]),
                description=f"{u.control} {u.title} ({pack} pack, log group {group})",
                alarm_actions=tuple(actions or ()), account=info.account, region=info.region,
            ), now)  # fmt: skip
            done.alarms.append(str(a["name"]))
            arns.append((f"{u.control} {u.title}", alarms.get(str(a["name"])).alarm.arn))
    done.dashboard = f"{pack.upper()}-alarms"
    messages = dashboards.put(settings, done.dashboard, alarm_dashboard(pack, group, arns))
    done.warnings += [f"dashboard {m['DataPath']}: {m['Message']}" for m in messages]
    return done


def alarm_dashboard(pack: str, group: str, alarms: list[tuple[str, str]]) -> str:
    """A CloudWatch DashboardBody: a text widget, then one alarm widget per alarm, four to a
    row of the 24-column grid."""
    widgets: list[dict[str, Any]] = [{
        "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
        "properties": {"markdown": f"# {pack.upper()} alarms\nThe {len(alarms)} alarms of the "
                                   f"{pack} pack on the log group `{group}`."},
    }]  # fmt: skip
    for i, (title, arn) in enumerate(alarms):
        widgets.append({"type": "alarm", "x": (i % 4) * 6, "y": 2 + (i // 4) * 3, "width": 6,
                        "height": 3, "properties": {"title": title, "alarms": [arn]}})  # fmt: skip
    return json.dumps({"widgets": widgets})


def run_cases(unit: PackUnit) -> list[CaseResult]:
    """Each case's record through the pattern twice, as the streaming matcher and as SQL: both
    must say what `expect` says."""
    import pyarrow as pa  # loads when cases run, not with the command line

    from vigil.logs.pattern_match import compile_pattern
    from vigil.logs.pattern_sql import filter_sql
    from vigil.query.engine import open_engine

    matcher = compile_pattern(unit.pattern)
    messages = [json.dumps(c.input) for c in unit.cases]
    with open_engine(None) as engine:
        engine.load_table(
            "events", pa.table({"i": list(range(len(messages))), "message": messages})
        )
        in_sql = {r[0] for r in engine.rows(filter_sql("SELECT * FROM events", unit.pattern))}
    out = []
    for i, (case, message) in enumerate(zip(unit.cases, messages, strict=True)):
        streaming, sql = matcher.matches(message), i in in_sql
        found = {"streaming": streaming, "sql": sql}
        passed = streaming is bool(case.expect) and sql is bool(case.expect)
        out.append(CaseResult(f"{unit.path.parent.name}/{unit.id}", case.name, passed,
                              bool(case.expect), found, kind="metric_filter"))  # fmt: skip
    return out


def case_messages(unit: PackUnit) -> tuple[list[str], list[str]]:
    """The unit's records as the log events CloudTrail sends to CloudWatch Logs (one JSON
    record per event)."""
    return [json.dumps(r) for r in unit.matches], [json.dumps(r) for r in unit.misses]
