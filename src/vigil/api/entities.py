"""Entity pages, as GuardDuty's and Detective's: a principal (an IAM ARN, a role session, an
access key), an instance or network interface, an address, a bucket, an account — its
findings, its activity over a window of the lake (calls and flows per hour or day, first and
last seen, accounts and Regions), the entities it touched, and its newest records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from vigil import clock
from vigil.api.entity_links import NamingFinding as NamingFinding
from vigil.api.entity_links import findings_naming, named_in_findings, search_link
from vigil.config import Settings
from vigil.errors import ConfigError, VigilError
from vigil.intel.context import address_context
from vigil.lake.catalog import table_files
from vigil.model.entity import EntityRef as EntityRef
from vigil.model.entity import Kind as Kind
from vigil.model.entity import check
from vigil.model.entity import classify as classify
from vigil.posture.attachments import attached
from vigil.posture.snapshot import latest
from vigil.query.answer import Cancel
from vigil.query.engine import read_only_session
from vigil.query.entities import RECORDS, Window, related_of, statement

WINDOWS: Final = {"1d": 1, "7d": 7, "14d": 14, "30d": 30, "90d": 90}
DEFAULT_WINDOW: Final = "14d"
FINDINGS_SHOWN: Final = 50
COUNTED: Final = {"cloudtrail": "calls", "flow_logs": "flows", "dns_logs": "queries"}
SOURCES: Final = {"cloudtrail": "CloudTrail", "flow_logs": "VPC Flow Logs",
                  "dns_logs": "Route 53 Resolver query logs"}  # fmt: skip
DAY: Final = 86_400


@dataclass(frozen=True)
class Value:
    value: str
    count: int
    first: str | None
    last: str | None
    href: str | None  # the value's own entity page, when it is one


@dataclass(frozen=True)
class RelatedGroup:
    title: str
    source: str  # CloudTrail or VPC Flow Logs
    values: list[Value]


@dataclass
class EntityPage:
    ref: EntityRef
    window: str
    start: str  # ISO 8601
    end: str
    first_seen: str | None = None
    last_seen: str | None = None
    calls: int = 0
    flows: int = 0
    queries: int = 0  # DNS queries (Route 53 Resolver query logs)
    accounts: list[Value] = field(default_factory=list)
    regions: list[Value] = field(default_factory=list)
    related: list[RelatedGroup] = field(default_factory=list)
    chart: dict[str, Any] | None = None  # uPlot's columns
    trail_records: list[dict[str, Any]] = field(default_factory=list)
    flow_records: list[dict[str, Any]] = field(default_factory=list)
    trail_more: bool = False
    flow_more: bool = False
    dns_records: list[dict[str, Any]] = field(default_factory=list)
    dns_more: bool = False
    findings: list[NamingFinding] = field(default_factory=list)  # the newest first
    context: Any = None  # an address's AddressContext
    search_link: str = ""  # the Search page over this window for the entity


def find(settings: Settings, text: str) -> list[EntityRef]:
    """What a search box's text names: the kinds its shape allows, then entities the findings
    name whose id holds the text (a user name, part of an ARN)."""

    found = classify(text)
    wanted = text.strip().lower()
    if len(wanted) >= 3 and all(r.kind == Kind.BUCKET for r in found):  # a plain word
        for ref in named_in_findings(settings):
            if wanted in ref.id.lower() and ref not in found:
                found.append(ref)
    return found[:50]


def newest_day(settings: Settings) -> datetime | None:
    """The end of the newest day partition of CloudTrail and flow logs (a lake of older logs
    opens on its own last days, as the flow explorer does)."""

    newest = ""
    for table in ("cloudtrail", "flow_logs", "dns_logs"):
        for path in table_files(settings.lake_dir, table):
            part = next((p for p in path.parts if p.startswith("date=")), "")
            newest = max(newest, part[5:])
    if not newest:
        return None
    try:
        return datetime.fromisoformat(newest).replace(tzinfo=UTC)
    except ValueError:
        return None


def window_of(settings: Settings, window: str, end: str | None) -> tuple[int, int]:
    days = WINDOWS.get(window)
    if days is None:
        raise ConfigError(f"no window {window!r}", hint=", ".join(WINDOWS))
    if end:
        try:
            end_s = int(clock.parse_iso(end).timestamp())
        except (ValueError, TypeError):
            raise ConfigError(f"end {end!r} is not an ISO 8601 time",
                              hint="2026-11-24T12:00:00Z") from None  # fmt: skip
    else:
        newest = newest_day(settings)
        end_s = int(newest.timestamp()) + DAY if newest else clock.now_ms() // 1000
        end_s = min(end_s, clock.now_ms() // 1000 + DAY)
    return end_s - days * DAY, end_s


def page(settings: Settings, kind: str, ident: str, *, window: str = DEFAULT_WINDOW,
         end: str | None = None, offset: int = 0, flow_offset: int = 0, dns_offset: int = 0,
         cancel: Cancel | None = None) -> EntityPage:  # fmt: skip
    """One entity's page; a malformed kind or id is a ConfigError saying why."""

    try:
        ref = check(kind, ident)
    except ValueError as exc:
        raise ConfigError(str(exc), hint="search for it with the box at the top") from None
    start_s, end_s = window_of(settings, window, end)
    step = 3600 if WINDOWS[window] <= 14 else DAY
    span = Window(start_s, end_s, step)
    out = EntityPage(ref, window, _iso(start_s), _iso(end_s))
    attached = _attached(settings, ref)
    interfaces = tuple(a for a in attached if a.startswith("eni-"))
    series: dict[str, dict[int, int]] = {}
    with read_only_session(settings, cancel) as run:
        for table, skip in (("cloudtrail", offset), ("flow_logs", flow_offset),
                            ("dns_logs", dns_offset)):  # fmt: skip
            sql = statement(table, ref, span, skip, interfaces)
            if sql is None:
                continue
            rows = run(sql).to_pylist()
            series[table] = _read(out, table, rows, related_of(table, ref), RECORDS)
    if attached:
        values = [Value(a, 0, None, None, _href(a)) for a in attached]  # no count: a fact
        out.related.insert(0, RelatedGroup("Attached", "posture snapshot", values))
    out.chart = _chart(series, start_s, end_s, step)
    out.findings = findings_naming(settings, ref)[:FINDINGS_SHOWN]
    out.search_link = search_link(ref, start_s * 1000, end_s * 1000)
    if ref.kind == Kind.ADDRESS:
        out.context = address_context(settings.home, ref.id)
    return out


def _attached(settings: Settings, ref: EntityRef) -> list[str]:
    """The instance, interfaces and addresses the newest posture snapshot ties to the entity."""
    if ref.kind not in (Kind.INSTANCE, Kind.ADDRESS):
        return []

    try:
        snap = latest(settings)
    except VigilError:  # no snapshot yet
        return []
    return attached(snap, ref.id)


def _read(out: EntityPage, table: str, rows: list[dict[str, Any]], related: list[Any],
          shown: int) -> dict[int, int]:  # fmt: skip
    buckets: dict[int, int] = {}
    records: list[dict[str, Any]] = []
    groups: dict[int, list[Value]] = {}
    for row in rows:
        section = row["section"]
        if section == "summary":
            setattr(out, COUNTED[table], row["n"])
            out.first_seen = _earliest(out.first_seen, _ts(row["first"]))
            out.last_seen = _latest(out.last_seen, _ts(row["last"]))
        elif section == "bucket":
            buckets[int(row["value"])] = row["n"]
        elif section == "record":
            records.append(json.loads(row["value"]))
        elif section in ("account", "region"):
            target = out.accounts if section == "account" else out.regions
            _merge(target, _value(row, Kind.ACCOUNT if section == "account" else None))
        elif section.startswith("related:"):
            index = int(section.split(":", 1)[1])
            groups.setdefault(index, []).append(_value(row, related[index].kind))
    for index, values in sorted(groups.items()):
        out.related.append(RelatedGroup(related[index].title, SOURCES[table], values))
    prefix = {"cloudtrail": "trail", "flow_logs": "flow", "dns_logs": "dns"}[table]
    setattr(out, f"{prefix}_records", records[:shown])
    setattr(out, f"{prefix}_more", len(records) > shown)
    return buckets


def _href(ident: str) -> str | None:
    refs = classify(ident)
    return refs[0].href if len(refs) == 1 else None


def _value(row: dict[str, Any], kind: Kind | None) -> Value:
    text = str(row["value"])
    href = None
    if kind is not None:
        refs = [r for r in classify(text) if r.kind == kind]
        href = refs[0].href if refs else None
    return Value(text, int(row["n"]), _ts(row["first"]), _ts(row["last"]), href)


def _merge(values: list[Value], new: Value) -> None:
    for i, old in enumerate(values):
        if old.value == new.value:
            values[i] = Value(old.value, old.count + new.count, _earliest(old.first, new.first),
                              _latest(old.last, new.last), old.href)  # fmt: skip
            return
    values.append(new)


def _chart(series: dict[str, dict[int, int]], start: int, end: int,
           step: int) -> dict[str, Any] | None:  # fmt: skip
    series = {t: counts for t, counts in series.items() if counts}  # a table with none: no line
    if not series:
        return None
    xs = list(range(start - start % step, end, step))
    labels = {"cloudtrail": "API calls", "flow_logs": "Flows", "dns_logs": "DNS queries"}
    return {"x": xs, "series": [{"label": labels[t], "values": [counts.get(x, 0) for x in xs],
                                 **({"scale": "y2"} if t != "cloudtrail" and len(series) > 1
                                    else {})}
                                for t, counts in series.items()]}  # fmt: skip


def _ts(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return clock.iso(value.astimezone(UTC), "seconds")
    return str(value)


def _earliest(a: str | None, b: str | None) -> str | None:
    return min(x for x in (a, b) if x) if a or b else None


def _latest(a: str | None, b: str | None) -> str | None:
    return max(x for x in (a, b) if x) if a or b else None


def _iso(seconds: int) -> str:
    return clock.iso(datetime.fromtimestamp(seconds, UTC), "seconds")
