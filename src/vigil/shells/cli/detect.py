"""`vigil content …`, `vigil detect`, `vigil findings …`, `vigil intel …`."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil import api
from vigil.api import clock
from vigil.errors import ConfigError
from vigil.model.finding import Finding, RecordState, Workflow
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of

content_app = typer.Typer(help=help_of("content"), no_args_is_help=True)
findings_app = typer.Typer(help=help_of("findings"), no_args_is_help=True)


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return clock.parse_iso(text)  # a time without a zone is UTC
    except ValueError as exc:
        raise ConfigError(
            f"{option} {text!r} is not a time", hint="write 2024-03-01 or 2024-03-01T09:00Z"
        ) from exc


@content_app.command("list")
def content_list(
    ctx: typer.Context,
    json_out: JsonFlag = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The built-in detections' coverage table.")
    ] = False,
) -> None:
    """Every unit: detections (built-in and imported Sigma), posture checks, metric filters
    and playbooks, with kind, origin, severity and state."""
    found, errors = api.content.units(ctx.obj)
    rows = [u.as_dict() for u in found]
    if json_out:
        render.print_json({"units": rows, "errors": errors})
        return
    if markdown:
        from vigil.shells.cli.coverage import markdown as table

        print(table(rows), end="")
        return
    shown = ("id", "kind", "origin", "severity", "severity_label", "type", "enabled", "cases")
    render.table(list(shown), [[r[k] for k in shown] for r in rows], title="content units")
    for line in errors:
        render.tagged("error:", "red", line)


@content_app.command("show")
def content_show(
    ctx: typer.Context,
    unit: Annotated[str, typer.Argument(help="A detection unit's id.")],
    json_out: JsonFlag = False,
) -> None:
    """A detection unit as it runs here: its parameters and exceptions, each with its source
    (built-in or tuning.yaml), and whether it is enabled."""
    view = api.tuning.show(ctx.obj, unit)
    if json_out:
        render.print_json(asdict(view))
        return
    render.rows([("type", view.type), ("severity", view.severity), ("logic", view.logic),
                 ("origin", view.origin), ("tactics", ", ".join(view.tactics)),
                 ("enabled", f"{view.enabled.value} ({view.enabled.source})"),
                 ("tuning", view.tuning)], title=f"{view.id}: {view.title}")  # fmt: skip
    render.table(["parameter", "value", "source"],
                 [[p.name, p.value, p.source] for p in view.parameters])  # fmt: skip
    for name, values in view.exceptions.items():
        if values:
            shown = [f"{k}={v}" for k, v in values.items()] if isinstance(values, dict) else values
            render.line(f"exceptions.{name}: {', '.join(map(str, shown))} (tuning)")
    for line in view.problems:
        render.tagged("error:", "red", line)


@content_app.command("backtest")
def content_backtest(
    ctx: typer.Context,
    unit: Annotated[str, typer.Argument(help="A detection unit's id (enabled or not).")],
    since: Annotated[str, typer.Option(help="From (30d, 12h, or an ISO time).")] = "30d",
    until: Annotated[str | None, typer.Option(help="Up to (default: now).")] = None,
    tuning: Annotated[
        Path | None, typer.Option(help="A candidate tuning file instead of tuning.yaml.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Run a unit over stored data without recording findings: what it would raise per day,
    its busiest groups and sample events, so the noise is seen before enabling it."""
    first, last = clock.time_range(since, until, ("--since", "--until"))
    report = api.tuning.backtest(ctx.obj, unit, clock.from_ms(first), clock.from_ms(last), tuning)
    if json_out:
        render.print_json(asdict(report))
        return
    render.rows([("window", f"{report.since} to {report.until}"), ("tuning", report.tuning),
                 ("findings", report.findings), ("hits", report.hits)],
                title=f"backtest of {report.unit}")  # fmt: skip
    render.table(["day (UTC, first seen)", "findings"], [[d, n] for d, n in report.by_day.items()])
    render.table(["group", "hits", "first seen", "last seen", "sample events"],
                 [[", ".join(f"{k}={v}" for k, v in g.key.items()), g.hits, g.first_seen,
                   g.last_seen, ", ".join(g.sample[:5])] for g in report.top],
                 title="busiest groups")  # fmt: skip
    for line in report.problems:
        render.tagged("error:", "red", line)


class ContentKind(StrEnum):
    detection = "detection"
    check = "check"
    metric_filter = "metric_filter"
    playbook = "playbook"


@content_app.command("test")
def content_test(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(help="Unit ids (default: all).")] = None,
    kind: Annotated[ContentKind | None, typer.Option(help="Only this kind of unit.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Run the units' own test cases (every kind: detections, checks, metric filters,
    playbooks); exits non-zero if any fails."""
    found, errors = api.content.test(ctx.obj, ids or None, kind.value if kind else None)
    results = [vars(r) for r in found]
    failed = [r for r in results if not r["passed"]]
    if json_out:
        render.print_json({"cases": results, "errors": errors, "failed": len(failed)})
    else:
        for r in results:
            mark = ("pass", "green") if r["passed"] else ("FAIL", "red")
            render.styled(mark, f" {r['kind']} {r['unit']}: {r['case']}")
            if not r["passed"]:
                render.out.print(
                    f"     expected {r['expected']}, found {r['found']} {r['problem']}",
                    highlight=False,
                )
        for line in errors:
            render.tagged("error:", "red", line)
        render.out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or errors:
        raise typer.Exit(1)


def detect_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Backfill from this time (default: watermark).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Backfill up to this time (default: end of data).")
    ] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Only these units.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Run the enabled detection units over the lake and update findings."""
    first, last = _moment(since, "--since"), _moment(until, "--until")
    if first is not None and last is not None and first > last:
        raise ConfigError(f"--since {since} is after --until {until}", hint="swap them")
    report = api.detect.run(ctx.obj, first, last, unit or None)
    if json_out:
        render.print_json(report)
    else:
        touched = sum(report.findings.values())
        render.rows(
            [
                ("units run", report.units),
                ("hits", report.hits),
                ("findings touched", touched),
                ("findings changed", report.changed),
            ],
            title="detect",
        )
        for line in report.errors:
            render.tagged("error:", "red", line)
    if report.errors:
        raise typer.Exit(1)


def _row(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id[:8],
        "sev": f"{f.severity:.0f} {f.severity_label[:4]}",
        "type": f.type,
        "resource": f.resource_id,
        "count": f.count,
        "last seen": f.last_seen[:16],
        "status": f.workflow.value,
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
    json_out: JsonFlag = False,
) -> None:
    """Findings, most severe first."""
    found = api.findings.list_findings(ctx.obj, severity, type_, status, since, archived)
    if json_out:
        render.print_json([api.findings.as_dict(f) for f in found])
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
    """One finding with its evidence query."""
    f = api.findings.get(ctx.obj, finding)
    data = api.findings.as_dict(f)
    hits = api.findings.hits(ctx.obj, f.id)
    if json_out:
        render.print_json({**data, "hits": [asdict(h) for h in hits]})
        return
    render.rows([(k, v) for k, v in data.items() if v not in (None, "", [], {})], title=f.title)
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
    f = api.findings.update(ctx.obj, finding, workflow, state, note)
    if json_out:
        render.print_json(api.findings.as_dict(f))
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
        rules = api.findings.suppressions(ctx.obj)
        if json_out:
            render.print_json({"rules": [{"name": n, "criteria": c} for n, c in rules.items()]})
            return
        body = [[n, " ".join(f"{k}={v}" for k, v in c.items())] for n, c in rules.items()]
        render.table(["name", "filters"], body, title="suppression rules")
        return
    if delete is not None:
        criteria = api.findings.delete_suppression(ctx.obj, delete)
        doc = {"rule": delete, "deleted": True, "criteria": criteria}
        render.done(json_out, f"suppression rule {delete!r} deleted", doc)
        return
    if not name or not filter_:
        raise ConfigError(
            "give --name and at least one --filter (or --list, or --delete NAME)",
            hint="vigil findings suppress --name scanner --filter type=Recon:*",
        )
    archived = api.findings.suppress(ctx.obj, name, filter_)
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
    items = api.findings.export(ctx.obj, fmt, archived)
    text = render.to_json(items)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    out.write_text(text + "\n")
    doc = {"path": str(out), "format": fmt, "findings": len(items)}
    render.done(json_out, f"{len(items)} finding(s) written to {out} ({fmt})", doc)
