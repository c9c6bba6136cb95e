"""`vigil findings …`: the findings hub: list, show, triage, suppress, export."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.api import findings
from vigil.errors import ConfigError
from vigil.model.finding import Finding, RecordState, Workflow
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of
from vigil.shells.views.findings import as_dict, product_label, related_dict, standard_name

findings_app = typer.Typer(help=help_of("findings"), no_args_is_help=True)


def _doc(f: Finding) -> dict[str, Any]:
    return as_dict(f, findings.evidence_query(f))


def _row(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id[:8],
        "sev": f"{f.severity:.0f} {f.severity_label[:4]}",
        "product": product_label(f),
        "type": f.type,
        "resource": f.resource_id,
        "count": f.count,
        "last seen": f.last_seen[:16],
        "status": f.workflow.value,
        "standards": ", ".join(standard_name(s) for s in f.standards),
    }


@findings_app.command("list")
def findings_list(
    ctx: typer.Context,
    severity: Annotated[
        float | None, typer.Option(help="At least this severity (1.0-10.0).")
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="A type glob (Recon:*, */Portscan) or prefix.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="Workflow status.")] = None,
    since: Annotated[str | None, typer.Option(help="Last seen at or after.")] = None,
    archived: Annotated[bool, typer.Option(help="Show archived findings instead.")] = False,
    product: Annotated[
        str | None, typer.Option(help="Only one product's: vigil, guardduty or securityhub.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Findings, most severe first."""
    found = findings.list_findings(ctx.obj, severity, type_, status, since, archived, product)
    if json_out:
        render.print_json([_doc(f) for f in found])
        return
    import pyarrow as pa

    render.arrow_table(
        pa.Table.from_pylist([_row(f) for f in found])
        if found
        else pa.table({"findings": pa.array([], pa.string())})
    )


@findings_app.command("show")
def findings_show(
    ctx: typer.Context,
    finding: Annotated[str, typer.Argument(help="Id or its prefix.")],
    json_out: JsonFlag = False,
) -> None:
    """One finding with its evidence query, and other products' findings linked to it."""
    f = findings.get(ctx.obj, finding)
    data = _doc(f)
    hits = findings.hits(ctx.obj, f.id)
    related = [related_dict(r) for r in findings.related(ctx.obj, f.id)]
    if json_out:
        render.print_json({**data, "related": related, "hits": [asdict(h) for h in hits]})
        return
    render.rows([(k, v) for k, v in data.items() if v not in (None, "", [], {})], title=f.title)
    if related:
        render.table(["id", "product", "type", "severity", "title"],
                     [[r["id"][:8], r["product"], r["type"],
                       f"{r['severity']:g} {r['severity_label']}", r["title"]] for r in related],
                     title="related findings (same resource and behaviour)")  # fmt: skip
    # why it fired: the unit's parameters (above) and each window's records
    render.table(["window", "first seen", "last seen", "records", "event ids"],
                 [[h.window_start, h.first_seen, h.last_seen, h.count, ", ".join(h.evidence)]
                  for h in hits], title=f"records that made {f.unit} fire")  # fmt: skip


@findings_app.command("update")
def findings_update(
    ctx: typer.Context,
    finding: Annotated[str, typer.Argument(help="Id or its prefix.")],
    status: Annotated[
        str | None, typer.Option(help="NEW, NOTIFIED, SUPPRESSED or RESOLVED.")
    ] = None,
    archive: Annotated[
        bool | None, typer.Option("--archive/--unarchive", help="Record state.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note for the finding.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Triage: workflow status, archive, note."""
    try:
        workflow = Workflow(status.upper()) if status else None
    except ValueError as exc:
        raise ConfigError(
            f"no workflow status {status!r}", hint="NEW, NOTIFIED, SUPPRESSED, RESOLVED"
        ) from exc
    state = None if archive is None else (RecordState.ARCHIVED if archive else RecordState.ACTIVE)
    f = findings.update(ctx.obj, finding, workflow, state, note)
    if json_out:
        render.print_json(_doc(f))
    else:
        render.out.print(f"{f.id}: {f.workflow.value}, {f.record_state.value}", highlight=False)


@findings_app.command("suppress")
def findings_suppress(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option(help="The rule's name (replaces a rule of that name).")
    ] = None,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help="field=value; repeat to AND.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="The suppression rules.")] = False,
    delete: Annotated[
        str | None, typer.Option(help="Delete this rule (archived findings stay archived).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Auto-archive findings that match (e.g. --filter type=Recon:* --filter actor=…); --list
    shows the rules, --delete NAME removes one."""
    if list_:
        rules = findings.suppressions(ctx.obj)
        if json_out:
            render.print_json({"rules": [{"name": n, "criteria": c} for n, c in rules.items()]})
            return
        body = [[n, " ".join(f"{k}={v}" for k, v in c.items())] for n, c in rules.items()]
        render.table(["name", "filters"], body, title="suppression rules")
        return
    if delete is not None:
        criteria = findings.delete_suppression(ctx.obj, delete)
        doc = {"rule": delete, "deleted": True, "criteria": criteria}
        render.done(json_out, f"suppression rule {delete!r} deleted", doc)
        return
    if not name or not filter_:
        raise ConfigError(
            "give --name and at least one --filter (or --list, or --delete NAME)",
            hint="vigil findings suppress --name scanner --filter type=Recon:*",
        )
    archived = findings.suppress(ctx.obj, name, filter_)
    text = f"suppression rule {name!r}: {archived} finding(s) archived"
    render.done(json_out, text, {"rule": name, "archived": archived})


@findings_app.command("export")
def findings_export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="asff, ocsf or guardduty.")] = "asff",
    out: Annotated[Path | None, typer.Option(help="Write to this file (JSON array).")] = None,
    archived: Annotated[bool, typer.Option(help="Export archived findings too.")] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="With --out: say what was written as JSON.")
    ] = False,
) -> None:
    """Findings as Security Hub (ASFF), OCSF Detection Finding or GuardDuty JSON (on stdout, a
    JSON array already; with --out the file holds it and a summary is printed)."""
    items = findings.export(ctx.obj, fmt, archived)
    text = render.to_json(items)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    out.write_text(text + "\n")
    doc = {"path": str(out), "format": fmt, "findings": len(items)}
    render.done(json_out, f"{len(items)} finding(s) written to {out} ({fmt})", doc)
