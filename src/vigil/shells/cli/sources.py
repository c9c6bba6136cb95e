"""`vigil sources add|list|remove`: what the server ingests continuously."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vigil.api import clock, sources
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of
from vigil.shells.views.sources import source_status

sources_app = typer.Typer(help=help_of("sources"), no_args_is_help=True)
Opt = Annotated[str | None, typer.Option()]


@sources_app.command("add")
def sources_add(
    ctx: typer.Context,
    name: str,
    sqs: Annotated[str | None, typer.Option(help="An SQS queue URL of S3 notifications.")] = None,
    s3: Annotated[str | None, typer.Option(help="s3://bucket/prefix to poll.")] = None,
    dir: Annotated[str | None, typer.Option("--dir", help="A directory to watch.")] = None,
    log_group: Annotated[
        str | None,
        typer.Option(help="A log group whose pushed events are CloudTrail or flow-log records."),
    ] = None,
    type: Annotated[
        str,
        typer.Option(
            "--type", help="auto, cloudtrail, flowlogs, dns, s3access, guardduty or securityhub."
        ),
    ] = "auto",
    format: Annotated[str | None, typer.Option("--format", help="A flow-log format.")] = None,
    endpoint_url: Opt = None,
    account: Opt = None,
    region: Opt = None,
    profile: Opt = None,
    role_arn: Opt = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls (S3, dir).")] = 5.0,
    visibility_timeout: Annotated[int, typer.Option(help="SQS: seconds, 1-30.")] = 30,
    json_out: JsonFlag = False,
) -> None:
    """Add a source the server follows (SQS, S3 prefix, directory or log group)."""
    doc: dict[str, Any] = {"name": name, "type": type, "interval": interval,
                           "visibility_timeout": visibility_timeout}  # fmt: skip
    given = {"sqs": sqs, "s3": s3, "dir": dir, "log_group": log_group, "format": format,
             "endpoint_url": endpoint_url, "account": account, "region": region,
             "profile": profile, "role_arn": role_arn}  # fmt: skip
    doc.update({k: v for k, v in given.items() if v is not None})
    source = sources.add(ctx.obj, doc)
    render.done(json_out, f"source {source.name}: {source.kind} {source.target}",
                source.as_dict())  # fmt: skip


@sources_app.command("list")
def sources_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Sources with their cursor, lag, counts and last error."""
    rows = [source_status(s) for s in sources.listing(ctx.obj)]
    if json_out:
        render.print_json({"sources": rows})
        return
    table = [{"name": r["name"], "kind": r["kind"], "target": r["target"], "type": r["type"],
              "objects": r["objects"], "records": r["records"], "rejected": r["rejected"],
              "lag s": "" if r["lag_seconds"] is None else f"{r['lag_seconds']:.1f}",
              "last ok": clock.iso_ms(r["last_ok_ms"]) if r["last_ok_ms"] else "",
              "last error": r["last_error"] or ""} for r in rows]  # fmt: skip
    render.dict_table(table, title="sources")


@sources_app.command("remove")
def sources_remove(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Stop following a source (what it brought in stays)."""
    sources.remove(ctx.obj, name)
    render.done(json_out, f"source {name} removed", {"name": name, "removed": True})
