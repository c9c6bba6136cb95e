"""`vigil events buses …` and `vigil events archives …`: custom event buses and the archives of
a bus's events, in EventBridge's shapes (the ARNs use the server's account and Region from
vigil.yaml)."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil import api
from vigil.shells import render

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
buses_app = typer.Typer(help="Event buses: default and the custom ones.", no_args_is_help=True)
archives_app = typer.Typer(help="Archives of a bus's events, to replay.", no_args_is_help=True)


def _where(settings: api.Settings) -> tuple[str, str]:
    config = api.serve.ServeConfig.load(settings)
    return str(config["account"]), str(config["region"])


@buses_app.command("create")
def buses_create(
    ctx: typer.Context, name: str, description: str = "", json_out: JsonFlag = False
) -> None:
    """Create a custom event bus (rules on it see only its events)."""
    made = api.events.create_bus(ctx.obj, name, description, [], *_where(ctx.obj))
    render.done(json_out, f"event bus {name}: {made['Arn']}", made)


@buses_app.command("list")
def buses_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Event buses by name."""
    found = api.events.list_buses(ctx.obj, prefix, *_where(ctx.obj))
    if json_out:
        render.print_json({"buses": found})
        return
    render.table(["name", "arn", "description"],
                 [[b["Name"], b["Arn"], b.get("Description", "")] for b in found])  # fmt: skip


@buses_app.command("describe")
def buses_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One bus (by name or ARN)."""
    found = api.events.describe_bus(ctx.obj, name, *_where(ctx.obj))
    render.done(json_out, f"{found['Name']}: {found['Arn']}", found)


@buses_app.command("delete")
def buses_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete a custom bus and the rules on it."""
    rules = api.events.delete_bus(ctx.obj, name)
    render.done(json_out, f"event bus {name} deleted ({rules} rule(s) with it)",
                {"Name": name, "deleted": True, "rules": rules})  # fmt: skip


@archives_app.command("create")
def archives_create(
    ctx: typer.Context,
    name: str,
    bus: Annotated[str, typer.Option(help="The bus's name or ARN.")] = "default",
    pattern: Annotated[str | None, typer.Option(help="An event pattern (JSON).")] = None,
    retention_days: Annotated[int, typer.Option(help="0 keeps events for ever.")] = 0,
    description: str = "",
    json_out: JsonFlag = False,
) -> None:
    """Archive the events a bus receives from now on (those its pattern matches)."""
    account, region = _where(ctx.obj)
    source = api.events.describe_bus(ctx.obj, bus, account, region)["Arn"]
    made = api.events.create_archive(ctx.obj, name, source, pattern, description,
                                     retention_days, account, region)  # fmt: skip
    render.done(json_out, f"archive {name}: {made['ArchiveArn']}", {"ArchiveName": name, **made})


@archives_app.command("list")
def archives_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Archives with their bus and how many events they hold."""
    found = api.events.list_archives(ctx.obj, prefix, None, None, *_where(ctx.obj))
    if json_out:
        render.print_json({"archives": found})
        return
    render.table(["name", "bus", "events", "bytes", "retention (days)"],
                 [[a["ArchiveName"], a["EventSourceArn"], a["EventCount"], a["SizeBytes"],
                   a["RetentionDays"] or "for ever"] for a in found])  # fmt: skip


@archives_app.command("describe")
def archives_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One archive."""
    found = api.events.describe_archive(ctx.obj, name, *_where(ctx.obj))
    render.done(json_out, f"{name}: {found['EventCount']} event(s), {found['SizeBytes']} bytes",
                found)  # fmt: skip


@archives_app.command("delete")
def archives_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete an archive and the events in it."""
    api.events.delete_archive(ctx.obj, name)
    render.done(json_out, f"archive {name} deleted", {"ArchiveName": name, "deleted": True})
