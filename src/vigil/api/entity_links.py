"""Between findings and entities: the entities a finding names (its links, with each address's
context), the findings that name an entity, and the Search page around a finding or entity
(the actor and resource over first seen - 1 h … last seen + 1 h) and its sample records."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

from vigil import clock
from vigil.config import Settings
from vigil.findings.entities import FindingEntities, Named, entities_of
from vigil.findings.store import Filter, FindingStore
from vigil.intel.context import address_context
from vigil.model.entity import ACCESS_KEY, INTERFACE_ID, SERVICE_PRINCIPAL, EntityRef, Kind
from vigil.model.finding import Finding

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000
TRAIL_FIELDS: Final = ("fields @timestamp, eventsource, eventname, useridentity.arn, "
                       "sourceipaddress, awsregion, errorcode, eventid")  # fmt: skip
FLOW_FIELDS: Final = "fields @timestamp, interface_id, srcaddr, srcport, dstaddr, dstport, action"


@dataclass
class FindingLinks:
    named: list[Named] = field(default_factory=list)
    threats: list[str] = field(default_factory=list)
    contexts: dict[str, Any] = field(default_factory=dict)  # address → AddressContext
    searches: list[tuple[str, str]] = field(default_factory=list)  # (label, /search?…)
    records: list[tuple[str, str]] = field(default_factory=list)  # (sample record, its link)
    query: str = ""  # what entity links add: their window ends a day after the finding's end


@dataclass(frozen=True)
class NamingFinding:
    """A finding that names an entity, and as what ("Actor", "Resource", …)."""

    finding: Finding
    role: str


_lock = threading.Lock()
_read: dict[str, tuple[tuple[int, str], list[tuple[Finding, FindingEntities]]]] = {}


def _all(settings: Settings) -> list[tuple[Finding, FindingEntities]]:
    """Every finding with its entities, read again only when a finding changed (the hub's
    pulse: how many, and the newest change)."""
    key = str(settings.state_db)
    with FindingStore(settings.state_db) as store:
        pulse = store.pulse()
        with _lock:
            held = _read.get(key)
        if held is not None and held[0] == pulse:
            return held[1]
        found = store.find(Filter(record_state=None))
    named = [(f, entities_of(f)) for f in found]
    with _lock:
        _read[key] = (pulse, named)
    return named


def named_in_findings(settings: Settings) -> list[EntityRef]:
    seen: dict[tuple[Kind, str], EntityRef] = {}
    for _, named in _all(settings):
        for n in named.named:
            seen.setdefault((n.entity.kind, n.entity.id), n.entity)
    return list(seen.values())


def findings_naming(settings: Settings, ref: EntityRef) -> list[NamingFinding]:
    """The findings (any state) whose actor, resource, key or document names the entity, the
    newest first."""

    sessions = _sessions_of(ref)
    found = []
    for f, named in _all(settings):
        role = next((n.role for n in named.named if _names(n.entity, ref, sessions)), None)
        if role is not None:
            found.append(NamingFinding(f, role))
    found.sort(key=lambda n: str(n.finding.last_seen), reverse=True)
    return found


def _names(named: EntityRef, ref: EntityRef, sessions: str) -> bool:
    if named.kind != ref.kind:
        return False
    return named.id == ref.id or (bool(sessions) and named.id.startswith(sessions))


def _sessions_of(ref: EntityRef) -> str:
    """A role's sessions' ARN prefix (`arn:aws:sts::A:assumed-role/R/`), "" for others: a
    role's page lists the findings about its sessions too."""
    match = re.match(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([^/]+)$", ref.id)
    if ref.kind != Kind.PRINCIPAL or not match:
        return ""
    partition, account, name = match.groups()
    return f"arn:{partition}:sts::{account}:assumed-role/{name}/"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def trail_filter(ref: EntityRef) -> str | None:
    """An Insights filter for CloudTrail rows about the entity."""
    v = _quote(ref.id)
    if ref.kind == Kind.PRINCIPAL:
        if ACCESS_KEY.match(ref.id):
            return f"useridentity.accesskeyid = {v}"
        if SERVICE_PRINCIPAL.match(ref.id):
            return f"useridentity.invokedby = {v}"
        return f"useridentity.arn = {v} or useridentity.sessioncontext.sessionissuer.arn = {v}"
    if ref.kind == Kind.ADDRESS:
        return f"sourceipaddress = {v}"
    if ref.kind in (Kind.INSTANCE, Kind.BUCKET):
        return f"requestparameters like {v} or responseelements like {v}"
    return None


def flow_filter(ref: EntityRef) -> str | None:
    v = _quote(ref.id)
    if ref.kind == Kind.ADDRESS:
        return f"srcaddr = {v} or dstaddr = {v}"
    if ref.kind == Kind.INSTANCE:
        return f"{'interface_id' if INTERFACE_ID.match(ref.id) else 'instance_id'} = {v}"
    return None


def _search(table: str, fields: str, filters: list[str], start_ms: int, end_ms: int) -> str:
    query = f"{fields} | filter {' or '.join(filters)} | sort @timestamp desc | limit 500"
    return "/search?" + urlencode({"table": table, "q": query, "start": clock.iso_ms(start_ms),
                                   "end": clock.iso_ms(end_ms), "run": "1"})  # fmt: skip


def search_link(ref: EntityRef, start_ms: int, end_ms: int) -> str:
    """The Search page over the entity's CloudTrail rows (its flows when only those name it)."""
    trail = trail_filter(ref)
    if trail:
        return _search("cloudtrail", TRAIL_FIELDS, [trail], start_ms, end_ms)
    flows = flow_filter(ref)
    return _search("flow_logs", FLOW_FIELDS, [flows], start_ms, end_ms) if flows else ""


def of_finding(settings: Settings, f: Finding) -> FindingLinks:
    """A finding's entity links, the context of its addresses, the Search page around it."""

    named = entities_of(f)
    links = FindingLinks(named.named, named.threats)
    for n in named.named:
        if n.entity.kind == Kind.ADDRESS:
            links.contexts[n.entity.id] = address_context(settings.home, n.entity.id)
    try:
        start = clock.to_ms(clock.parse_iso(f.first_seen)) - HOUR_MS
        end = clock.to_ms(clock.parse_iso(f.last_seen)) + HOUR_MS
    except (ValueError, TypeError):
        return links
    links.query = "?" + urlencode({"end": clock.iso_ms(end - HOUR_MS + DAY_MS)})
    # the actor and the resource: the first two entities, the account aside
    about = [n.entity for n in named.named if n.entity.kind != Kind.ACCOUNT][:3]
    trail = [t for t in (trail_filter(r) for r in about) if t]
    flows = [t for t in (flow_filter(r) for r in about) if t]
    if trail:
        links.searches.append(("CloudTrail around this",
                               _search("cloudtrail", TRAIL_FIELDS, trail, start, end)))  # fmt: skip
    if flows:
        links.searches.append(("Flow logs around this",
                               _search("flow_logs", FLOW_FIELDS, flows, start, end)))  # fmt: skip
    for record in f.sample_evidence if not f.unit.startswith("asff/") else []:
        if record and len(record) <= 128 and "{" not in record:  # an event id
            query = f"fields @timestamp, @message | filter eventid = {_quote(record)}"
            links.records.append((record, "/search?" + urlencode({
                "table": "cloudtrail", "q": query, "start": clock.iso_ms(start),
                "end": clock.iso_ms(end), "run": "1"})))  # fmt: skip
    return links
