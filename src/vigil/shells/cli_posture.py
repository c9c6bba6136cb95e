"""`vigil posture …`: snapshots (collect, import), the audit report, flow-volume estimates."""

from __future__ import annotations

import html
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vigil.shells import render

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
posture_app = typer.Typer(
    help="Posture of the logging set-up: snapshots and checks.", no_args_is_help=True
)

if TYPE_CHECKING:
    from vigil.posture import snapshot as snaps


def _record(settings: Any, snap: snaps.Snapshot) -> None:
    """Audit the new snapshot into the findings hub (compliance findings) and onto the bus."""

    from vigil import api

    api.posture.audit_and_record(settings, snap)


VERDICTS = ("effective", "ineffective", "untested", "not configured")


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


def _warn(snap: snaps.Snapshot, json_out: bool) -> None:
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


def _saved(snap: snaps.Snapshot, path: Path, json_out: bool) -> None:

    regions = sum(len(snap.regions(a)) for a in snap.accounts)
    doc = {
        "snapshot": path.name,
        "taken_at": snap.taken_at,
        "accounts": sorted(snap.accounts),
        "regions": regions,
        "warnings": snap.warnings,
        "unavailable": snap.errors(),
    }
    if json_out:
        render.print_json(doc)
        return
    _warn(snap, json_out)
    render.out.print(
        f"snapshot {path.name}: {len(snap.accounts)} account(s), {regions} region(s), "
        f"{len(snap.errors())} call(s) refused or unavailable, {len(snap.warnings)} warning(s)",
        highlight=False,
    )


@posture_app.command("import")
def import_command(ctx: typer.Context, folder: Path, json_out: JsonFlag = False) -> None:
    """Take saved AWS CLI output (<dir>/<account>/<region>/<service>-<op>.json) as a snapshot."""
    from vigil.posture import snapshot as snaps

    snap = snaps.import_dir(folder)
    path = snaps.save(ctx.obj, snap)
    _record(ctx.obj, snap)
    _saved(snap, path, json_out)


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

    from vigil.posture import snapshot as snaps
    from vigil.posture.collect import collect

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
        snap = collect(
            chosen,
            profile,
            endpoint_url,
            lambda where: bar.update(task, description=where),
            role,
            [a.strip() for a in accounts.split(",") if a.strip()],
            workers,
        )
    path = snaps.save(ctx.obj, snap)
    _record(ctx.obj, snap)
    _saved(snap, path, json_out)


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
    from vigil.posture import snapshot as snaps
    from vigil.posture.audit import audit, load_checks, report_rows, scores

    fmt = ReportFormat.json if json_out and out is None else fmt
    snap = snaps.find(ctx.obj, snapshot)
    units = load_checks()
    results = audit(snap, units)
    rows = report_rows(units, results)
    board = scores(units, results)
    doc = {
        "snapshot": snap.taken_at,
        "source": snap.source,
        "scores": board,
        "checks": rows,
        "proven": _proven(ctx.obj, snap),
    }
    if fmt is ReportFormat.json:
        text = render.to_json(doc)
    elif fmt is ReportFormat.html:
        text = to_html(doc)
    else:
        _table(doc)
        return
    if out:
        out.write_text(text)
        summary = {"path": str(out), "format": fmt.value, "snapshot": snap.taken_at}
        render.done(json_out, f"report written to {out}", summary)
    else:
        print(text)


def _proven(settings: Any, snap: snaps.Snapshot) -> list[dict[str, Any]]:
    """CloudWatch.1-14 replayed on the lake's CloudTrail events; none while the lake has none."""

    from vigil.errors import QueryError
    from vigil.posture.proven import as_rows, prove

    try:
        return as_rows(prove(settings, snap))
    except QueryError:  # no cloudtrail table yet
        return []


def _table(doc: dict[str, Any]) -> None:
    out = render.out
    say = render.styled
    say(("Posture", "bold"), f" — snapshot {doc['snapshot']} ({doc['source']})")
    for name, s in doc["scores"].items():
        out.print(
            f"  {s['score']:>3}%  {name} ({s['passed']}/{s['total']} controls)", highlight=False
        )
    for row in doc["checks"]:
        color = {"FAILED": "red", "WARNING": "yellow", "PASSED": "green"}.get(row["status"], "dim")
        controls = ", ".join(f"{k} {v}" for k, v in row["controls"].items())
        say(
            "\n",
            (f"{row['status']:<13}", color),
            f" {row['severity']:<8} {row['check']}: {row['title']}",
            (f" ({controls})" if controls else "", "dim"),
        )
        if row["status"] in ("FAILED", "WARNING"):
            for r in row["resources"]:
                if r["status"] in ("FAILED", "WARNING"):
                    out.print(
                        f"    {r['account']} {r['region']} {r['resource']}: {r['reason']}",
                        highlight=False,
                        markup=False,
                        soft_wrap=True,
                    )
            out.print(
                f"    fix: {row['remediation']['console']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            out.print(
                f"    cli: {row['remediation']['cli']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    proven = doc.get("proven") or []
    if proven:
        tally = {v: sum(1 for p in proven if p["verdict"] == v) for v in VERDICTS}
        say(
            "\n",
            ("Proven by the lake's events", "bold"),
            " (vigil posture prove): " + ", ".join(f"{n} {v}" for v, n in tally.items() if n),
        )
        for p in proven:
            if p["verdict"] == "ineffective":
                say(
                    "  ",
                    ("ineffective", "red"),
                    f" {p['control']}: the configured filter missed {', '.join(p['missed'][:5])}",
                )


def to_html(doc: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        f"<html><head><meta charset='utf-8'><title>Vigil posture {e(doc['snapshot'])}</title>"
        "<style>body{font-family:sans-serif}td{padding:2px 8px;vertical-align:top}"
        ".FAILED{color:#b00}.WARNING{color:#a60}.PASSED{color:#070}</style></head><body>",
        f"<h1>Posture</h1><p>snapshot {e(doc['snapshot'])} ({e(doc['source'])})</p><table>",
    ]
    for name, s in doc["scores"].items():
        parts.append(
            f"<tr><td>{s['score']}%</td><td>{e(name)}</td><td>{s['passed']}/{s['total']}</td></tr>"
        )
    parts.append("</table><h2>Checks</h2><table>")
    for row in doc["checks"]:
        bad = "".join(
            f"<div>{e(r['resource'])}: {e(r['reason'])}</div>"
            for r in row["resources"]
            if r["status"] != "PASSED"
        )
        remedy = row["remediation"]
        fix = f"<div><b>fix</b> {e(remedy['console'])}</div><code>{e(remedy['cli'])}</code>"
        fix = fix if bad else ""
        parts.append(
            f"<tr><td class='{row['status']}'>{row['status']}</td><td>{e(row['severity'])}</td>"
            f"<td><b>{e(row['check'])}</b> {e(row['title'])}{bad}{fix}</td></tr>"
        )
    parts.append("</table>")
    if doc.get("proven"):
        parts.append("<h2>Proven by the lake's events</h2><table>")
        for p in doc["proven"]:
            missed = ", ".join(p["missed"][:5])
            parts.append(
                f"<tr><td>{e(p['control'])}</td><td>{e(p['verdict'])}</td>"
                f"<td>{p['events']} event(s)</td><td>{e(missed)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


@posture_app.command("prove")
def prove_command(
    ctx: typer.Context,
    own: Annotated[
        bool, typer.Option(help="Replay Vigil's own CIS pack instead of the account's.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Replay the lake's CloudTrail events through each CIS control's configured metric filter."""
    from vigil.posture import snapshot as snaps
    from vigil.posture.proven import as_rows, prove

    rows = as_rows(prove(ctx.obj, None if own else snaps.latest(ctx.obj), own))
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
    from vigil.posture.volume import estimate

    rows = estimate(ctx.obj)
    if json_out:
        render.print_json({"estimates": rows})
        return
    import pyarrow as pa

    render.arrow_table(
        pa.Table.from_pylist(rows) if rows else pa.table({}), title="flow-log volume per day"
    )


@posture_app.command("history")
def history_command(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The kept snapshots, oldest first, with how many resources fail, warn and pass in each."""
    from vigil.posture import snapshot as snaps
    from vigil.posture.audit import audit, load_checks
    from vigil.posture.compare import counts

    units = load_checks()
    rows = []
    for path in snaps.history(ctx.obj):
        snap = snaps.load(path)
        rows.append(
            {
                "taken_at": snap.taken_at,
                "source": snap.source,
                "accounts": len(snap.accounts),
                **counts(audit(snap, units)),
            }
        )
    if json_out:
        render.print_json({"snapshots": rows})
        return
    import pyarrow as pa

    render.arrow_table(
        pa.Table.from_pylist(rows) if rows else pa.table({}), title="posture snapshots"
    )


@posture_app.command("diff")
def diff_command(
    ctx: typer.Context,
    older: Annotated[str, typer.Argument(help="previous (default), or a time.")] = "previous",
    newer: Annotated[str, typer.Argument(help="latest (default), or a time.")] = "latest",
    json_out: JsonFlag = False,
) -> None:
    """What changed between two snapshots: newly failing, fixed, new and gone resources."""
    from vigil.posture import snapshot as snaps
    from vigil.posture.audit import audit, load_checks
    from vigil.posture.compare import compare

    units = load_checks()
    before, after = snaps.find(ctx.obj, older), snaps.find(ctx.obj, newer)
    changes = compare(audit(before, units), audit(after, units))
    if json_out:
        render.print_json(
            {
                "older": before.taken_at,
                "newer": after.taken_at,
                "changes": [c.to_json() for c in changes],
            }
        )
        return
    render.styled(
        ("Posture changes", "bold"), f" {before.taken_at} → {after.taken_at}: {len(changes)}"
    )
    color = {"newly failing": "red", "newly warning": "yellow", "fixed": "green"}
    for c in changes:
        render.styled(
            (f"{c.kind:<14}", color.get(c.kind, "dim")),
            f" {c.check} {c.account} {c.region} "
            f"{c.resource}: {c.before or '-'} → {c.after or '-'} ({c.reason})",
        )
