"""`vigil events …`: the event bus in EventBridge's shapes: put events, test a pattern, list
them; the rules (`events rules`), the deliveries that failed for good (`events dlq`), the audit of
every delivery; custom buses, the archives of a bus's events and their replays (`events buses`,
`events archives`, `events replays`: the ARNs use the server's account and Region from
vigil.yaml; a replay is run by the worker, `vigil serve` or `vigil run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.api import Settings, buses, clock, events, serve
from vigil.api.inputs import expect_mapping, load_yaml
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag, json_argument
from vigil.shells.cli.tree import help_of
from vigil.shells.views import buses as bus_views
from vigil.shells.views.events import attempt, dead_letter

events_app = typer.Typer(help=help_of("events"), no_args_is_help=True)
rules_app = typer.Typer(help="Event rules (YAML files in <home>/rules).", no_args_is_help=True)
dlq_app = typer.Typer(help="Deliveries that failed for good.", no_args_is_help=True)
buses_app = typer.Typer(help="Event buses: default and the custom ones.", no_args_is_help=True)
archives_app = typer.Typer(help="Archives of a bus's events, to replay.", no_args_is_help=True)
replays_app = typer.Typer(help="Archived events sent again to a bus's rules.", no_args_is_help=True)
events_app.add_typer(rules_app, name="rules")
events_app.add_typer(dlq_app, name="dlq")
events_app.add_typer(buses_app, name="buses")
events_app.add_typer(archives_app, name="archives")
events_app.add_typer(replays_app, name="replays")


@events_app.command("put")
def put(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A JSON array of PutEvents entries, a file, or -.")],
    account: Annotated[
        str, typer.Option(help="The account the events come from.")
    ] = "000000000000",
    region: Annotated[str, typer.Option(help="Their region.")] = "local",
    json_out: JsonFlag = False,
) -> None:
    """PutEvents: entries with Source, DetailType, Detail (and Resources, Time), 10 per call."""
    entries = json_argument(source, "entries")
    entries = entries if isinstance(entries, list) else [entries]
    put = events.put_events(ctx.obj, entries, account=account, region=region)
    results, failed = put.entries, put.failed
    if json_out:
        render.print_json({"FailedEntryCount": failed, "Entries": results})
    else:
        render.out.print(f"{len(results) - failed} event(s) put, {failed} failed", highlight=False)
        for i, r in enumerate(results):
            if "ErrorCode" in r:
                render.err.print(
                    f"entry {i}: {r['ErrorCode']}: {r['ErrorMessage']}", highlight=False
                )
    if failed:
        raise typer.Exit(1)


@events_app.command("test-pattern")
def test_pattern(
    pattern: Annotated[str, typer.Option(help="The event pattern (JSON or a file).")],
    event: Annotated[str, typer.Option(help="The event (JSON, a file, or -).")],
    json_out: JsonFlag = False,
) -> None:
    """TestEventPattern: does the pattern match the event? Exit 0 if it does, 1 if not."""
    document = expect_mapping(json_argument(event, "event"), event, "an event")
    matched = events.test_pattern(json_argument(pattern, "pattern"), document)
    verdict = "matches" if matched else "does not match"
    render.done(json_out, f"the pattern {verdict} the event", {"Result": matched})
    if not matched:
        raise typer.Exit(1)


@events_app.command("list")
def list_events(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="Most recent N.")] = 20,
    json_out: JsonFlag = False,
) -> None:
    """Recent events on the bus."""
    found = events.recent(ctx.obj, limit, source)
    if json_out:
        render.print_json({"events": [e.document for e in found]})
        return
    for e in found:
        render.out.print(f"{e.time} {e.source:<18} {e.detail_type}  {e.id}", highlight=False)


@rules_app.command("put")
def rules_put(ctx: typer.Context, path: Path, json_out: JsonFlag = False) -> None:
    """Add or replace a rule from a YAML file (checked first)."""
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such file", hint="a YAML rule: name, pattern or schedule, targets"
        )
    rule = events.put_rule(ctx.obj, expect_mapping(load_yaml(path), str(path), "a rule"))
    doc = {"Name": rule.name, "Targets": len(rule.targets)}
    render.done(json_out, f"rule {rule.name}: {len(rule.targets)} target(s)", doc)


@rules_app.command("list")
def rules_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Rules with their state, trigger and targets."""
    listing = events.rules(ctx.obj)
    rows, problems = [vars(r) for r in listing.rules], listing.problems
    if json_out:
        render.print_json({"rules": rows, "problems": problems})
        return
    for row in rows:
        state = "enabled " if row["enabled"] else "disabled"
        render.out.print(
            f"{state} {_on_bus(row)}: {row['trigger']} → {row['targets']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for problem in problems:
        render.tagged("error:", "red", problem)


def _on_bus(row: dict[str, Any]) -> str:
    """A rule's name, with its bus when that is not the default one (`orders/big`)."""
    return row["name"] if row.get("bus", "default") == "default" else f"{row['bus']}/{row['name']}"


BusOption = Annotated[str, typer.Option("--bus", help="The rule's event bus.")]


def _set_enabled(ctx: typer.Context, name: str, enabled: bool, json_out: bool, bus: str) -> None:
    events.set_rule_enabled(ctx.obj, name, enabled, bus)
    text = f"rule {name} {'enabled' if enabled else 'disabled'}"
    render.done(json_out, text, {"Name": name, "State": "ENABLED" if enabled else "DISABLED"})


@rules_app.command("enable")
def rules_enable(
    ctx: typer.Context, name: str, bus: BusOption = "default", json_out: JsonFlag = False
) -> None:
    """Enable a rule."""
    _set_enabled(ctx, name, True, json_out, bus)


@rules_app.command("disable")
def rules_disable(
    ctx: typer.Context, name: str, bus: BusOption = "default", json_out: JsonFlag = False
) -> None:
    """Disable a rule (its queued deliveries still go out)."""
    _set_enabled(ctx, name, False, json_out, bus)


@rules_app.command("delete")
def rules_delete(
    ctx: typer.Context, name: str, bus: BusOption = "default", json_out: JsonFlag = False
) -> None:
    """Delete a rule."""
    events.delete_rule(ctx.obj, name, bus)
    render.done(json_out, f"rule {name} deleted", {"Name": name, "deleted": True})


@dlq_app.command("list")
def dlq_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Dead-lettered deliveries with their last error."""
    items = events.dead_letters(ctx.obj)
    if json_out:
        render.print_json({"dlq": [dead_letter(d) for d in items]})
        return
    for d in items:
        render.out.print(
            f"{d.id:>6} {d.rule}/{d.target} event {d.event_id}: "
            f"{d.error_code} {d.error} ({d.attempts} attempts)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@dlq_app.command("redrive")
def dlq_redrive(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument()] = None,
    json_out: JsonFlag = False,
) -> None:
    """Queue dead-lettered deliveries again (all, or the given ids)."""
    count = events.redrive(ctx.obj, ids)
    render.done(json_out, f"{count} deliver(ies) queued again", {"redriven": count})


@events_app.command("audit")
def audit(ctx: typer.Context, limit: int = 50, json_out: JsonFlag = False) -> None:
    """Every delivery attempt: when, rule, target, event, result, response excerpt."""
    items = events.audit(ctx.obj, limit)
    if json_out:
        render.print_json({"audit": [attempt(a) for a in items]})
        return
    for a in items:
        render.out.print(
            f"{a.time} {a.rule}/{a.target} {a.event_id} #{a.attempt} {a.result}: {a.excerpt}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


# -- custom buses, archives and replays ---------------------------------------------------------
def _where(settings: Settings) -> tuple[str, str]:
    config = serve.ServeConfig.load(settings)
    return str(config["account"]), str(config["region"])


@buses_app.command("create")
def buses_create(
    ctx: typer.Context, name: str, description: str = "", json_out: JsonFlag = False
) -> None:
    """Create a custom event bus (rules on it see only its events)."""
    made = bus_views.bus_doc(buses.create_bus(ctx.obj, name, description, []), *_where(ctx.obj))
    render.done(json_out, f"event bus {name}: {made['Arn']}", made)


@buses_app.command("list")
def buses_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Event buses by name."""
    where = _where(ctx.obj)
    found = [bus_views.bus_doc(b, *where) for b in buses.list_buses(ctx.obj, prefix)]
    if json_out:
        render.print_json({"buses": found})
        return
    render.table(["name", "arn", "description"],
                 [[b["Name"], b["Arn"], b.get("Description", "")] for b in found])  # fmt: skip


@buses_app.command("describe")
def buses_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One bus (by name or ARN)."""
    found = bus_views.bus_doc(buses.describe_bus(ctx.obj, name), *_where(ctx.obj))
    render.done(json_out, f"{found['Name']}: {found['Arn']}", found)


@buses_app.command("delete")
def buses_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete a custom bus and the rules on it."""
    rules = buses.delete_bus(ctx.obj, name)
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
    source = buses.describe_bus(ctx.obj, bus).arn(account, region)
    archived = buses.create_archive(ctx.obj, name, source, pattern, description, retention_days)
    made = bus_views.archive_state(archived, account, region)
    render.done(json_out, f"archive {name}: {made['ArchiveArn']}", {"ArchiveName": name, **made})


@archives_app.command("list")
def archives_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Archives with their bus and how many events they hold."""
    where = _where(ctx.obj)
    listed = buses.list_archives(ctx.obj, prefix, None, None)
    found = [bus_views.archive_doc(a, *where, full=False) for a in listed]
    if json_out:
        render.print_json({"archives": found})
        return
    render.table(["name", "bus", "events", "bytes", "retention (days)"],
                 [[a["ArchiveName"], a["EventSourceArn"], a["EventCount"], a["SizeBytes"],
                   a["RetentionDays"] or "for ever"] for a in found])  # fmt: skip


@archives_app.command("describe")
def archives_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One archive."""
    archive = buses.describe_archive(ctx.obj, name)
    found = bus_views.archive_doc(archive, *_where(ctx.obj), full=True)
    render.done(json_out, f"{name}: {found['EventCount']} event(s), {found['SizeBytes']} bytes",
                found)  # fmt: skip


@archives_app.command("delete")
def archives_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete an archive and the events in it."""
    buses.delete_archive(ctx.obj, name)
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
    found = buses.describe_archive(ctx.obj, archive)
    bus = found.source_arn(account, region)
    bus_name = bus.rsplit("/", 1)[-1]
    rules = [f"arn:aws:events:{region}:{account}:rule/" + (r if bus_name == "default" else
             f"{bus_name}/{r}") for r in rule or []]  # fmt: skip
    window = clock.time_range(start, end)
    replay = buses.start_replay(ctx.obj, name, found.arn(account, region), int(window[0] or 0),
                                int(window[1] or 0), bus, rules, "", account, region)  # fmt: skip
    started = bus_views.replay_started(replay)
    render.done(json_out, f"replay {name}: {started['State']}", {"ReplayName": name, **started})


@replays_app.command("list")
def replays_list(ctx: typer.Context, prefix: str = "", json_out: JsonFlag = False) -> None:
    """Replays with their state and progress."""
    found = [
        bus_views.replay_doc(r, full=False) for r in buses.list_replays(ctx.obj, prefix, None, None)
    ]
    if json_out:
        render.print_json({"replays": found})
        return
    render.table(["name", "state", "archive", "last replayed"],
                 [[r["ReplayName"], r["State"], r["EventSourceArn"],
                   clock.iso_ms(int(r["EventLastReplayedTime"] * 1000))
                   if "EventLastReplayedTime" in r else ""] for r in found])  # fmt: skip


@replays_app.command("describe")
def replays_describe(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """One replay."""
    found = bus_views.replay_doc(buses.describe_replay(ctx.obj, name), full=True)
    reason = f" ({found['StateReason']})" if found.get("StateReason") else ""
    render.done(json_out, f"{name}: {found['State']}{reason}", found)


@replays_app.command("cancel")
def replays_cancel(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Cancel a replay that is starting or running."""
    found = bus_views.replay_state(buses.cancel_replay(ctx.obj, name))
    render.done(json_out, f"{name}: {found['State']}", {"ReplayName": name, **found})
