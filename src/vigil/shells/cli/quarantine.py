"""`vigil quarantine`: what ingest could not take — list it, look at it, retry it, purge it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from vigil.api import quarantine
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.progress import object_progress
from vigil.shells.cli.tree import help_of

quarantine_app = typer.Typer(help=help_of("quarantine"), no_args_is_help=True)


@quarantine_app.command("list")
def list_command(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Quarantined objects, newest first."""
    found = quarantine.entries(ctx.obj)
    if json_out:
        render.print_json([asdict(e) for e in found])
        return
    render.table(
        ["id", "status", "rejected", "at", "uri", "reason"],
        [[e.id, e.status, e.rejected, e.at, e.uri, e.reason] for e in found],
        title="quarantine",
    )


@quarantine_app.command("show")
def show_command(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="An id from `quarantine list`.")],
    lines: Annotated[int, typer.Option(min=0, help="Rejected records to show.")] = 20,
    json_out: JsonFlag = False,
) -> None:
    """One entry: where it came from, why, how it was read, and its rejected records."""
    detail = quarantine.show(ctx.obj, ident, lines)
    e = detail.entry
    if json_out:
        render.print_json({**asdict(e), "records": detail.rejected})
        return
    options = ", ".join(f"{k}={v}" for k, v in e.options.items() if v) or "defaults"
    render.rows(
        [
            ("id", e.id),
            ("uri", e.uri),
            ("status", e.status),
            ("reason", e.reason),
            ("rejected records", e.rejected),
            ("quarantined at", e.at),
            ("attempts", e.attempts),
            ("read with", options),
            ("original kept", "yes" if e.has_original else "no"),
            ("folder", e.folder),
        ]
    )
    if detail.rejected:
        render.table(
            ["line", "reason", "record"],
            [[r.get("line") or "", r.get("reason", ""), r.get("raw", "")] for r in detail.rejected],
        )


@quarantine_app.command("retry")
def retry_command(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="[ID]...", help="Default: all.")
    ] = None,
    log_type: Annotated[
        str | None, typer.Option("--type", help="Read as flowlogs or cloudtrail.")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Flow-log format to use.")] = None,
    account: Annotated[str | None, typer.Option(help="Account for the objects.")] = None,
    region: Annotated[str | None, typer.Option(help="Region for the objects.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="S3-compatible endpoint.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Read quarantined objects again (corrected by the options given), replacing any rows they
    had; an object that now ingests cleanly leaves the quarantine."""
    overrides = quarantine.Overrides(log_type, fmt, account, region, endpoint_url)
    with object_progress("retry", enabled=not json_out) as (_, on_object):
        report = quarantine.retry(ctx.obj, ids or [], overrides, on_object)
    if json_out:
        render.print_json({"clean": report.clean, "objects": [asdict(o) for o in report.objects]})
    else:
        render.table(
            ["id", "result", "records", "uri", "reason"],
            [[o.id, o.result, o.records, o.uri, o.reason] for o in report.objects],
            title="retry",
        )
    if not report.clean:
        raise typer.Exit(1)


@quarantine_app.command("purge")
def purge_command(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(metavar="[ID]...")] = None,
    every: Annotated[bool, typer.Option("--all", help="Purge every entry.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Drop entries. Objects rejected as a whole are then no longer retried by ingest runs until
    they change (`vigil ingest --reprocess` reads them anyway)."""
    gone = quarantine.purge(ctx.obj, ids or [], every)
    if json_out:
        render.print_json({"purged": [{"id": e.id, "uri": e.uri} for e in gone]})
        return
    render.rows([("purged", len(gone))], title="quarantine purge")
    for e in gone:
        render.line(f"{e.id}  {e.uri}")
