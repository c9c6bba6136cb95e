"""`vigil posture …`: snapshots (collect, import), the audit report, flow-volume estimates."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vigil.api import posture
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of
from vigil.shells.views import posture as views

posture_app = typer.Typer(help=help_of("posture"), no_args_is_help=True)

if TYPE_CHECKING:
    from vigil.api.posture import PostureReport, Saved, Snapshot


VERDICTS = ("effective", "ineffective", "untested", "not configured")


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


def _warn(snap: Snapshot, json_out: bool) -> None:
    """Warnings one per line; refused calls one line per call and answer, with the count."""

    if json_out:
        return
    for line in snap.warnings:
        render.err.print(f"warning: {line}", highlight=False, markup=False, soft_wrap=True)
    grouped: dict[tuple[str, str], list[str]] = {}
    for where, why in snap.errors().items():
        account, region, call = where.split(" ", 2)
        code = why.partition(": ")[0]
        grouped.setdefault((call, code), []).append(f"{account} {region}")
    for (call, code), places in sorted(grouped.items()):
        shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
        render.err.print(
            f"refused: {call} — {code} ({shown})", highlight=False, markup=False, soft_wrap=True
        )


def _summary(saved: Saved) -> dict[str, Any]:
    snap = saved.snapshot
    return {
        "snapshot": saved.path.name,
        "taken_at": snap.taken_at,
        "accounts": sorted(snap.accounts),
        "regions": sum(len(snap.regions(a)) for a in snap.accounts),
        "warnings": snap.warnings,
        "unavailable": snap.errors(),
    }


def _saved(saved: Saved, json_out: bool) -> None:
    snap, doc = saved.snapshot, _summary(saved)
    regions = doc["regions"]
    if json_out:
        render.print_json(doc)
        return
    _warn(snap, json_out)
    render.out.print(
        f"snapshot {saved.path.name}: {len(snap.accounts)} account(s), {regions} region(s), "
        f"{len(snap.errors())} call(s) refused or unavailable, {len(snap.warnings)} warning(s)",
        highlight=False,
    )


@posture_app.command("import")
def import_command(ctx: typer.Context, folder: Path, json_out: JsonFlag = False) -> None:
    """Take saved AWS CLI output (<dir>/<account>/<region>/<service>-<op>.json) as a snapshot."""
    _saved(posture.import_snapshot(ctx.obj, folder), json_out)


@posture_app.command("collect")
def collect_command(
    ctx: typer.Context,
    profile: Annotated[
        list[str] | None, typer.Option(help="AWS profile; repeat for more accounts.")
    ] = None,
    regions: Annotated[str, typer.Option(help="all (the enabled ones), or r1,r2.")] = "all",
    endpoint_url: Annotated[str | None, typer.Option(help="AWS endpoint (tests).")] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Assume this role in each member account (e.g. a read-only audit role)."),
    ] = None,
    accounts: Annotated[
        str, typer.Option(help="With --role: all (the organization's active accounts), or a,b.")
    ] = "all",
    workers: Annotated[int, typer.Option(min=1, max=32, help="Regions asked at once.")] = 8,
    json_out: JsonFlag = False,
) -> None:
    """Read the configuration through boto3 (standard credential chain) into a snapshot."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    chosen = None if regions == "all" else [r.strip() for r in regions.split(",") if r.strip()]
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]collect[/] {task.description}"),
        TimeElapsedColumn(),
        console=render.err,
        transient=True,
        disable=json_out,
    )
    with bar:
        task = bar.add_task("", total=None)
        snap = posture.collect(
            chosen,
            profile,
            endpoint_url,
            progress=lambda where: bar.update(task, description=where),
            role=role,
            accounts=[a.strip() for a in accounts.split(",") if a.strip()],
            workers=workers,
        )
    _saved(posture.keep(ctx.obj, snap), json_out)


@posture_app.command("report")
def report_command(
    ctx: typer.Context,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="table, json or html.")
    ] = ReportFormat.table,
    out: Annotated[Path | None, typer.Option(help="Write to a file.")] = None,
    snapshot: Annotated[
        str | None, typer.Option(help="latest (default), previous, or a time from `history`.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
) -> None:
    """Scores per standard and NIST CSF function; failed controls first, with remediation."""
    fmt = ReportFormat.json if json_out and out is None else fmt
    report = posture.report(ctx.obj, snapshot)
    if fmt is ReportFormat.json:
        text = render.to_json(views.report_doc(report))
    elif fmt is ReportFormat.html:
        text = posture.report_html(report)
    else:
        _table(report)
        return
    if out:
        out.write_text(text)
        summary = {"path": str(out), "format": fmt.value, "snapshot": report.snapshot}
        render.done(json_out, f"report written to {out}", summary)
    else:
        print(text)


def _table(report: PostureReport) -> None:
    out = render.out
    say = render.styled
    say(("Posture", "bold"), f" — snapshot {report.snapshot} ({report.source})")
    for problem in report.problems:  # a user's check that did not load
        render.err.print(f"error: {problem}", highlight=False, markup=False, soft_wrap=True)
    for name, s in report.scores.items():
        out.print(f"  {s.score:>3}%  {name} ({s.passed}/{s.total} controls)", highlight=False)
    for row in report.checks:
        color = {"FAILED": "red", "WARNING": "yellow", "PASSED": "green"}.get(row.status, "dim")
        controls = ", ".join(f"{k} {v}" for k, v in row.controls.items())
        say(
            "\n",
            (f"{row.status:<13}", color),
            f" {row.severity:<8} {row.check}: {row.title}",
            (f" ({controls})" if controls else "", "dim"),
        )
        if row.status in ("FAILED", "WARNING"):
            for r in row.resources:
                if r.status in ("FAILED", "WARNING"):
                    out.print(
                        f"    {r.account} {r.region} {r.resource}: {r.reason}",
                        highlight=False,
                        markup=False,
                        soft_wrap=True,
                    )
            out.print(
                f"    fix: {row.remediation['console']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            out.print(
                f"    cli: {row.remediation['cli']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    proven = report.proven
    if proven:
        tally = {v: sum(1 for p in proven if p.verdict == v) for v in VERDICTS}
        say(
            "\n",
            ("Proven by the lake's events", "bold"),
            " (vigil posture prove): " + ", ".join(f"{n} {v}" for v, n in tally.items() if n),
        )
        for p in proven:
            if p.verdict == "ineffective":
                say(
                    "  ",
                    ("ineffective", "red"),
                    f" {p.control}: the configured filter missed {', '.join(p.missed[:5])}",
                )


@posture_app.command("prove")
def prove_command(
    ctx: typer.Context,
    own: Annotated[
        bool, typer.Option(help="Replay Vigil's own CIS pack instead of the account's.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Replay the lake's CloudTrail events through each CIS control's configured metric filter."""
    rows = [views.proof_doc(p) for p in posture.prove(ctx.obj, own)]
    if json_out:
        render.print_json({"controls": rows})
        return
    if not rows:
        render.out.print("the lake holds no CloudTrail events yet: run vigil ingest first")
        return
    for r in rows:
        missed = f" — missed {', '.join(r['missed'])}" if r["missed"] else ""
        render.out.print(
            f"{r['control']:<14} {r['verdict']:<15} {r['events']} event(s){missed}", highlight=False
        )


@posture_app.command("estimate-flow-volume")
def estimate_command(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Records and GB a day per VPC, subnet and interface, from the flow logs in the lake —
    what turning flow logs on more broadly would cost to keep."""
    rows = [asdict(e) for e in posture.estimate_flow_volume(ctx.obj)]
    if json_out:
        render.print_json({"estimates": rows})
        return
    render.dict_table(rows, title="flow-log volume per day")


@posture_app.command("history")
def history_command(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The kept snapshots, oldest first, with how many resources fail, warn and pass in each."""
    rows = [views.history_doc(h) for h in posture.history(ctx.obj)]
    if json_out:
        render.print_json({"snapshots": rows})
        return
    render.dict_table(rows, title="posture snapshots")


@posture_app.command("diff")
def diff_command(
    ctx: typer.Context,
    older: Annotated[str, typer.Argument(help="previous (default), or a time.")] = "previous",
    newer: Annotated[str, typer.Argument(help="latest (default), or a time.")] = "latest",
    json_out: JsonFlag = False,
) -> None:
    """What changed between two snapshots: newly failing, fixed, new and gone resources."""
    diff = posture.diff(ctx.obj, older, newer)
    changes = diff.changes
    if json_out:
        render.print_json(
            {"older": diff.older, "newer": diff.newer, "changes": [c.to_json() for c in changes]}
        )
        return
    render.styled(("Posture changes", "bold"), f" {diff.older} → {diff.newer}: {len(changes)}")
    color = {"newly failing": "red", "newly warning": "yellow", "fixed": "green"}
    for c in changes:
        render.styled(
            (f"{c.kind:<14}", color.get(c.kind, "dim")),
            f" {c.check} {c.account} {c.region} "
            f"{c.resource}: {c.before or '-'} → {c.after or '-'} ({c.reason})",
        )
