"""Findings: the hub's list, one finding, triage, suppression rules and exports."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from vigil import clock
from vigil.access.store import AccessStore, AuditEntry
from vigil.api.access import audit_log
from vigil.config import Settings
from vigil.detect.templates import render as render_sql
from vigil.detect.units import type_aliases
from vigil.errors import ConfigError
from vigil.findings import links
from vigil.findings.asff_filter import FilterInvalid, check, matches
from vigil.findings.asff_import import (
    GUARDDUTY_FINDING,
    GUARDDUTY_PRODUCT,
    asff_of,
    identity,
    original,
    read,
)
from vigil.findings.asff_import import ImportFailure as ImportFailure
from vigil.findings.asff_import import ImportResult as ImportResult
from vigil.findings.compliance import check_of
from vigil.findings.export import FORMATS as FORMATS
from vigil.findings.guardduty_import import read_guardduty
from vigil.findings.imported import Imported, source_finding
from vigil.findings.store import Filter, FindingStore
from vigil.findings.suppression import parse_criteria
from vigil.findings.triage import FindingPage as FindingPage
from vigil.findings.triage import FindingQuery as FindingQuery
from vigil.findings.triage import select
from vigil.live import intake
from vigil.model.finding import PRODUCTS, Finding, Hit, RecordState, Related, Workflow
from vigil.posture.audit import load_checks
from vigil.state.saved import SavedView as SavedView
from vigil.state.saved import SavedViews

DocReader = Callable[[Any], Imported]  # one document sent in, as a hub finding


def list_findings(
    settings: Settings,
    severity: float | None = None,
    type_: str | None = None,
    status: str | None = None,
    since: str | None = None,
    archived: bool = False,
    product: str | None = None,
) -> list[Finding]:
    """Findings, most severe first; `product` keeps one product's (vigil, guardduty or
    securityhub)."""
    if product is not None and product.lower() not in PRODUCTS:
        raise ConfigError(f"no product {product!r}", hint=f"choose {', '.join(PRODUCTS)}")
    with FindingStore(settings.state_db) as store:
        state = "ARCHIVED" if archived else "ACTIVE"
        wanted = Filter(severity, current_type(settings, type_), status, state, since, product)
        return store.find(wanted)


def current_type(settings: Settings, type_: str | None) -> str | None:
    """A finding type as units name it now: a unit's earlier name (its `aliases`, a type
    GuardDuty renamed) is read as the current one."""
    if not type_ or "*" in type_:
        return type_

    return type_aliases(settings.content_dir).get(type_, type_)


def get(settings: Settings, fid: str) -> Finding:
    with FindingStore(settings.state_db) as store:
        return store.get(fid)


def related(settings: Settings, fid: str) -> list[Related]:
    """Other products' findings on the same resource about the same behaviour (both ways):
    GuardDuty's beside Vigil's detection, Security Hub's control beside Vigil's check."""
    with FindingStore(settings.state_db) as store:
        return links.related(store.db, store.get(fid).id)


def hits(settings: Settings, fid: str) -> list[Hit]:
    """Why a finding fired: each window's hit with the ids of the records in it (its unit's
    parameters are on the finding)."""
    with FindingStore(settings.state_db) as store:
        return store.hits(store.get(fid).id)


def update(
    settings: Settings,
    fid: str,
    workflow: Workflow | None,
    state: RecordState | None,
    note: str | None,
) -> Finding:
    with FindingStore(settings.state_db) as store:
        return store.update(fid, workflow, state, note)


def search(settings: Settings, query: FindingQuery) -> FindingPage:
    """The triage view: filtered, sorted, paged (threat and control findings told apart)."""
    with FindingStore(settings.state_db) as store:
        found = store.find(Filter(record_state=query.record_state))
    return select(found, query)


def bulk_update(
    settings: Settings,
    ids: list[str],
    workflow: Workflow | None,
    state: RecordState | None,
    note: str | None,
) -> tuple[list[str], list[str]]:
    """One change to many findings at once: (the ids changed, the ids not found)."""
    with FindingStore(settings.state_db) as store:
        done = store.update_many(ids, workflow, state, note)
    seen = set(done)
    return done, [i for i in ids if i not in seen]


def assign(settings: Settings, ids: list[str], user: str | None) -> int:
    """Give findings to a user of the server (None: to nobody); how many changed."""
    if user:
        with AccessStore(settings) as access:
            access.user(user)  # an unknown user is an error, not a silent assignment
    with FindingStore(settings.state_db) as store:
        return store.assign(ids, user)


def pulse(settings: Settings) -> tuple[int, str]:
    """(how many findings, when one last changed): for live views to ask cheaply."""
    with FindingStore(settings.state_db) as store:
        return store.pulse()


def history(settings: Settings, fid: str, limit: int = 100) -> list[AuditEntry]:
    """Who changed this finding, what and when (from the audit log), newest first."""

    return audit_log(settings, limit, target=fid)


def evidence_query(f: Finding) -> str:
    """The finding's evidence query as it runs: its window (first and last seen) filled in;
    "" when it has none."""

    if not f.evidence_query:
        return f.evidence_query
    window = {"first_seen": _ts(f.first_seen), "last_seen": _ts(f.last_seen)}
    return render_sql(f.evidence_query, window)


def _ts(text: str) -> datetime:
    return clock.parse_iso(text)


def suppressions(settings: Settings) -> dict[str, dict[str, str]]:
    with FindingStore(settings.state_db) as store:
        return store.suppressions()


def delete_suppression(settings: Settings, name: str) -> dict[str, str]:
    """Delete a suppression rule; findings it archived stay archived (as in GuardDuty)."""
    with FindingStore(settings.state_db) as store:
        return store.unsuppress(name)


def suppress(settings: Settings, name: str, pairs: list[str]) -> int:
    criteria = parse_criteria(pairs)
    if "type" in criteria:
        criteria["type"] = current_type(settings, criteria["type"]) or criteria["type"]
    with FindingStore(settings.state_db) as store:
        return store.suppress(name, criteria)


def export(settings: Settings, fmt: str, archived: bool = False) -> list[dict[str, Any]]:
    """Every active finding (archived ones too with `archived`) as ASFF, OCSF or GuardDuty's
    JSON: documents in AWS's own shape (OCSF's for OCSF)."""

    convert = FORMATS.get(fmt.lower())
    if convert is None:
        raise ConfigError(f"no export format {fmt!r}", hint=f"choose {', '.join(FORMATS)}")
    with FindingStore(settings.state_db) as store:
        found = store.find(Filter(record_state=None if archived else "ACTIVE"))
    return [convert(f) for f in found]


# -- Security Hub's API: BatchImportFindings, GetFindings, BatchUpdateFindings -------------------
def import_asff(settings: Settings, docs: list[Any]) -> ImportResult:
    """Import ASFF findings (each checked alone); new and changed ones go onto the event bus
    as "Security Hub Findings - Imported"."""

    return import_with(settings, docs, read)


def import_guardduty(settings: Settings, docs: list[Any]) -> ImportResult:
    """Import GuardDuty findings (the detail of "GuardDuty Finding" events)."""

    return import_with(settings, docs, read_guardduty)


def import_with(settings: Settings, docs: list[Any], read: DocReader) -> ImportResult:
    """Read each document into a hub finding and record it (`vigil.live.intake`): a later
    version replaces the finding, an equal or older one is ignored but still succeeds."""

    return intake.import_with(settings, docs, read)


def find_asff(settings: Settings, filters: Any) -> list[dict[str, Any]]:
    """GetFindings: every finding (active and archived) whose ASFF matches the filters, as
    documents in AWS's own shape (an imported one as it came, with the hub's triage)."""

    try:
        wanted = check(filters)
    except FilterInvalid as exc:
        raise ConfigError(str(exc)) from None
    with FindingStore(settings.state_db) as store:
        found = store.find(Filter(record_state=None))
    docs = [asff_of(f) for f in found]
    return [d for d in docs if matches(wanted, d)]


def hub_id(settings: Settings, ident: str, product_arn: str) -> str:
    """The hub id behind a Security Hub FindingIdentifier (Id and ProductArn)."""

    if ident.startswith("vigil/"):
        return ident.removeprefix("vigil/")
    source = identity(product_arn, ident)
    with FindingStore(settings.state_db) as store:
        found = source_finding(store, source)
    if found is not None:  # a control read into its consolidated finding, say
        return found
    guardduty = GUARDDUTY_FINDING.match(ident)
    if product_arn.endswith(GUARDDUTY_PRODUCT) and guardduty:
        return identity(ident, guardduty[1])
    return source


def saved_views(settings: Settings, owner: str, kind: str = "findings") -> list[SavedView]:
    with SavedViews(settings) as views:
        return views.listing(kind, owner)


def save_view(settings: Settings, owner: str, name: str, data: dict[str, Any],
              kind: str = "findings") -> None:  # fmt: skip

    with SavedViews(settings) as views:
        views.save(kind, owner, name, data)


def delete_view(settings: Settings, owner: str, name: str, kind: str = "findings") -> None:
    with SavedViews(settings) as views:
        views.delete(kind, owner, name)


def suppression_like(f: Finding) -> dict[str, str]:
    """A suppression rule prefilled from a finding: its type, account and resource."""

    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{f.type}-{f.resource_id}")[:60].strip("-")
    criteria = [f"type={f.type}", f"account={f.account}"]
    if f.resource_id:
        criteria.append(f"resource_id={f.resource_id}")
    return {"name": name or "suppress", "criteria": "\n".join(criteria)}


def flow_link(f: Finding) -> dict[str, str] | None:
    """Where the flow explorer opens for a flow-log finding: its network interface, else the
    address it is about (a port sweep across instances); None for other findings."""
    value = f.key.get("interface_id")
    if isinstance(value, str) and value.startswith("eni-"):
        return {"interface": value}
    if f.resource_id.startswith("eni-"):
        return {"interface": f.resource_id}
    for name in ("srcaddr", "remote_ip"):
        address = f.key.get(name)
        if isinstance(address, str) and address:
            return {"address": address}
    return None


def remediation(f: Finding) -> str | None:
    """How to fix what a finding reports, as Markdown: an imported finding's recommendation
    (its text and link), a control's check remediation (the console steps, then the CLI
    command); None when there is none."""

    imported = original(f)
    if imported is not None:
        advice = (imported.get("Remediation") or {}).get("Recommendation") or {}
        text, url = str(advice.get("Text") or ""), str(advice.get("Url") or "")
        return (text + (f"\n\n<{url}>" if url else "")) or None
    check = check_of(f)
    if check is None:
        return None
    unit = next((u for u in load_checks() if u.id == check), None)
    if unit is None:
        return None
    text = unit.remediation.get("console", "")
    cli = unit.remediation.get("cli", "")
    return text + (f"\n\n```\n{cli}\n```\n" if cli else "")
