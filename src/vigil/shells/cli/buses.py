"""`vigil events buses …`, `vigil events archives …` and `vigil events replays …`: custom event
buses, the archives of a bus's events and their replays, in EventBridge's shapes (the ARNs use
the server's account and Region from vigil.yaml). A replay is run by the worker (`vigil serve`
or `vigil run`)."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil import api
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag

buses_app = typer.Typer(help="Event buses: default and the custom ones.", no_args_is_help=True)
archives_app = typer.Typer(help="Archives of a bus's events, to replay.", no_args_is_help=True)
replays_app = typer.Typer(help="Archived events sent again to a bus's rules.", no_args_is_help=True)


def _where(settings: api.Settings) -> tuple[str, str]:
    config = api.serve.ServeConfig.load(settings)
    return str(config["account"]), str(config["region"])


@buses_app.command("create")
def buses_create(
    ctx: typer.Context, name: str, description: str = "", json_out: JsonFlag = False
) -> None:
    """Create a custom event bus (rules on it see only its events)."""
    made = api.buses.create_bus(ctx.obj, name, description, [], *_where(ctx.obj))
    render.done(json_out, f"event bus {name}: {made['Arn']}", made)


@buses_app.command("list")
def buses_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Event buses by name."""
    found = api.buses.list_buses(ctx.obj, prefix, *_where(ctx.obj))
    if json_out:
        render.print_json({"buses": found})
        return
    render.table(["name", "arn", "description"],
                 [[b["Name"], b["Arn"], b.get("Description", "")] for b in found])  # fmt: skip


@buses_app.command("describe")
def buses_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One bus (by name or ARN)."""
    found = api.buses.describe_bus(ctx.obj, name, *_where(ctx.obj))
    render.done(json_out, f"{found['Name']}: {found['Arn']}", found)


@buses_app.command("delete")
def buses_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete a custom bus and the rules on it."""
    rules = api.buses.delete_bus(ctx.obj, name)
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
    source = api.buses.describe_bus(ctx.obj, bus, account, region)["Arn"]
    made = api.buses.create_archive(ctx.obj, name, source, pattern, description,
                                     retention_days, account, region)  # fmt: skip
    render.done(json_out, f"archive {name}: {made['ArchiveArn']}", {"ArchiveName": name, **made})


@archives_app.command("list")
def archives_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Archives with their bus and how many events they hold."""
    found = api.buses.list_archives(ctx.obj, prefix, None, None, *_where(ctx.obj))
    if json_out:
        render.print_json({"archives": found})
        return
    render.table(["name", "bus", "events", "bytes", "retention (days)"],
                 [[a["ArchiveName"], a["EventSourceArn"], a["EventCount"], a["SizeBytes"],
                   a["RetentionDays"] or "for ever"] for a in found])  # fmt: skip


@archives_app.command("describe")
def archives_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One archive."""
    found = api.buses.describe_archive(ctx.obj, name, *_where(ctx.obj))
    render.done(json_out, f"{name}: {found['EventCount']} event(s), {found['SizeBytes']} bytes",
                found)  # fmt: skip


@archives_app.command("delete")
def archives_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete an archive and the events in it."""
    api.buses.delete_archive(ctx.obj, name)
    render.done(json_out, f"archive {name} deleted", {"ArchiveName": name, "deleted": True})


@replays_app.command("start")
def replays_start(
    ctx: typer.Context,
    name: str,
    archive: Annotated[str, typer.Option(help="The archive's name.")],
    start: Annotated[str, typer.Option(help="ISO 8601, or 6h / 2d ago.")],
    end: Annotated[str, typer.Option(help="ISO 8601, or 30m ago.")] = "0m",
    rule: Annotated[list[str] | None, typer.Option(help="Only this rule (repeat).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Replay an archive's events from a time window to the rules of its bus."""
    account, region = _where(ctx.obj)
    found = api.buses.describe_archive(ctx.obj, archive, account, region)
    bus = found["EventSourceArn"]
    bus_name = bus.rsplit("/", 1)[-1]
    rules = [f"arn:aws:events:{region}:{account}:rule/" + (r if bus_name == "default" else
             f"{bus_name}/{r}") for r in rule or []]  # fmt: skip
    window = api.clock.time_range(start, end)
    started = api.buses.start_replay(ctx.obj, name, found["ArchiveArn"], int(window[0] or 0),
                                      int(window[1] or 0), bus, rules, "", account,
                                      region)  # fmt: skip
    render.done(json_out, f"replay {name}: {started['State']}", {"ReplayName": name, **started})


@replays_app.command("list")
def replays_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Replays with their state and progress."""
    found = api.buses.list_replays(ctx.obj, prefix, None, None)
    if json_out:
        render.print_json({"replays": found})
        return
    render.table(["name", "state", "archive", "last replayed"],
                 [[r["ReplayName"], r["State"], r["EventSourceArn"],
                   api.clock.iso_ms(int(r["EventLastReplayedTime"] * 1000))
                   if "EventLastReplayedTime" in r else ""] for r in found])  # fmt: skip


@replays_app.command("describe")
def replays_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One replay."""
    found = api.buses.describe_replay(ctx.obj, name)
    reason = f" ({found['StateReason']})" if found.get("StateReason") else ""
    render.done(json_out, f"{name}: {found['State']}{reason}", found)


@replays_app.command("cancel")
def replays_cancel(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Cancel a replay that is starting or running."""
    found = api.buses.cancel_replay(ctx.obj, name)
    render.done(json_out, f"{name}: {found['State']}", {"ReplayName": name, **found})
