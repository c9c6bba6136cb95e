"""Controls proven by events: the CloudTrail events already in the lake, replayed through the
metric filter the account actually configured for each CIS control (CloudWatch.1-14).

"effective": the configured filter matches every event the control's pattern matches (a real
root login is counted); "ineffective": it misses some (listed); "untested": the lake holds no
such event; "not configured": no filter on the trail's log group carries the control's metric.
Vigil's own pack is replayed the same way (`own=True`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final

from vigil.config import Settings
from vigil.formats.cloudtrail_json import record_of
from vigil.logs.pattern_match import compile_pattern
from vigil.metrics.packs import load_pack
from vigil.posture.snapshot import Snapshot
from vigil.query.engine import open_engine, translated

LIMIT: Final = 500_000  # the most recent events replayed


@dataclass(frozen=True)
class Proof:
    control: str
    verdict: str  # effective | ineffective | untested | not configured
    pattern: str | None
    should_match: int = 0
    missed: list[str] = field(default_factory=list)  # eventIDs
    metric: str | None = None  # the configured filter's metric


def _events(settings: Settings) -> list[tuple[str, str]]:
    with open_engine(settings) as engine:
        sql = f"SELECT * FROM cloudtrail ORDER BY event_ts DESC LIMIT {LIMIT}"
        rows = engine.query(translated(engine, sql)).to_pylist()
    return [(str(r.get("eventid")), json.dumps(record_of(r))) for r in rows]


def configured(snap: Snapshot) -> dict[str, str]:
    """Metric name → filter pattern, for filters on log groups that multi-region trails feed."""
    out: dict[str, str] = {}
    for account, regions in snap.accounts.items():
        for region in regions:
            for f in (snap.get(account, region, "logs describe-metric-filters") or {}).get(
                "metricFilters", []
            ):
                for t in f.get("metricTransformations", []):
                    out.setdefault(str(t.get("metricName")), str(f.get("filterPattern", "")))
    return out


def _best(patterns: dict[str, str], should: list[tuple[str, str]]) -> tuple[str, str] | None:
    """A filter under another metric name that counts the most of the events the control is
    about (the account named its metric its own way), or None when none counts any."""
    best, hits = None, 0
    for metric, pattern in sorted(patterns.items()):
        try:
            matcher = compile_pattern(pattern)
        except Exception:  # a pattern Vigil cannot read is no proof of anything
            continue
        n = sum(1 for _, text in should if matcher.matches(text))
        if n > hits:
            best, hits = (metric, pattern), n
    return best


def prove(settings: Settings, snap: Snapshot | None, own: bool = False) -> list[Proof]:
    events = _events(settings)
    if not events:  # nothing in the lake to replay: nothing proven either way
        return []
    patterns = configured(snap) if snap is not None else {}
    proofs = []
    for unit in load_pack("cis"):
        canonical = compile_pattern(unit.pattern)
        should = [(eid, text) for eid, text in events if canonical.matches(text)]
        metric: str | None = unit.metric_name
        pattern = unit.pattern if own else patterns.get(unit.metric_name)
        if pattern is None and should:
            metric, pattern = _best(patterns, should) or (None, None)
        if pattern is None:
            proofs.append(Proof(unit.control, "not configured", None, len(should)))
            continue
        if not should:
            proofs.append(Proof(unit.control, "untested", pattern))
            continue
        actual = compile_pattern(pattern)
        missed = [eid for eid, text in should if not actual.matches(text)]
        proofs.append(
            Proof(
                unit.control,
                "ineffective" if missed else "effective",
                pattern,
                len(should),
                missed[:20],
                metric,
            )
        )
    return proofs
