"""`vigil events …` (put, test-pattern, list, rules, dlq, audit), `vigil run`, `vigil playbooks`."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil import api
from vigil.api import clock
from vigil.api.inputs import expect_mapping, load_json, load_yaml, parse_json
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.buses import archives_app, buses_app, replays_app
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of

events_app = typer.Typer(help=help_of("events"), no_args_is_help=True)
rules_app = typer.Typer(help="Event rules (YAML files in <home>/rules).", no_args_is_help=True)
dlq_app = typer.Typer(help="Deliveries that failed for good.", no_args_is_help=True)
events_app.add_typer(rules_app, name="rules")
events_app.add_typer(dlq_app, name="dlq")
events_app.add_typer(buses_app, name="buses")
events_app.add_typer(archives_app, name="archives")
events_app.add_typer(replays_app, name="replays")


def _json_arg(text: str, what: str) -> Any:
    """Inline JSON, a file, or - for stdin."""
    if text == "-":
        return parse_json(sys.stdin.read(), "stdin")
    if not text.lstrip().startswith(("{", "[")):
        path = Path(text)
        if not path.is_file():
            raise ConfigError(f"{what}: {text!r} is neither JSON nor a file")
        return load_json(path)
    return parse_json(text, what)


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
    entries = _json_arg(source, "entries")
    entries = entries if isinstance(entries, list) else [entries]
    put = api.events.put_events(ctx.obj, entries, account=account, region=region)
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
    document = expect_mapping(_json_arg(event, "event"), event, "an event")
    matched = api.events.test_pattern(_json_arg(pattern, "pattern"), document)
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
    found = api.events.recent(ctx.obj, limit, source)
    if json_out:
        render.print_json({"events": found})
        return
    for e in found:
        render.out.print(
            f"{e['time']} {e['source']:<18} {e['detail-type']}  {e['id']}", highlight=False
        )


@rules_app.command("put")
def rules_put(ctx: typer.Context, path: Path, json_out: JsonFlag = False) -> None:
    """Add or replace a rule from a YAML file (checked first)."""
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such file", hint="a YAML rule: name, pattern or schedule, targets"
        )
    rule = api.events.put_rule(ctx.obj, expect_mapping(load_yaml(path), str(path), "a rule"))
    doc = {"Name": rule.name, "Targets": len(rule.targets)}
    render.done(json_out, f"rule {rule.name}: {len(rule.targets)} target(s)", doc)


@rules_app.command("list")
def rules_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Rules with their state, trigger and targets."""
    listing = api.events.rules(ctx.obj)
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
    api.events.set_rule_enabled(ctx.obj, name, enabled, bus)
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
    api.events.delete_rule(ctx.obj, name, bus)
    render.done(json_out, f"rule {name} deleted", {"Name": name, "deleted": True})


@dlq_app.command("list")
def dlq_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Dead-lettered deliveries with their last error."""
    items = api.events.dead_letters(ctx.obj)
    if json_out:
        render.print_json({"dlq": items})
        return
    for d in items:
        render.out.print(
            f"{d['id']:>6} {d['rule']}/{d['target']} event {d['event_id']}: "
            f"{d['ERROR_CODE']} {d['ERROR_MESSAGE']} ({d['RETRY_ATTEMPTS']} attempts)",
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
    count = api.events.redrive(ctx.obj, ids)
    render.done(json_out, f"{count} deliver(ies) queued again", {"redriven": count})


@events_app.command("audit")
def audit(ctx: typer.Context, limit: int = 50, json_out: JsonFlag = False) -> None:
    """Every delivery attempt: when, rule, target, event, result, response excerpt."""
    items = api.events.audit(ctx.obj, limit)
    if json_out:
        render.print_json({"audit": items})
        return
    for a in items:
        render.out.print(
            f"{a['time']} {a['rule']}/{a['target']} {a['event_id']} #{a['attempt']} "
            f"{a['result']}: {a['excerpt']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def run_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option(help="One round, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 1.0,
    json_out: JsonFlag = False,
) -> None:
    """The worker: schedules, dispatch and deliveries, until SIGTERM or Ctrl-C (it finishes
    the round it is in, and resumes from the state store next time)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    quiet = {"since": 0.0}  # idle rounds say so once a minute, not every second

    def on_round(number: int, done: Any, seconds: float) -> None:
        for problem in done.problems:
            render.tagged("rule error:", "red", problem)
        busy = any((done.scheduled, done.dispatched, done.delivered, done.retried, done.dead))
        began = time.monotonic()
        if busy or once or began - quiet["since"] >= 60:
            if not busy:
                quiet["since"] = began
            _round_line(number, done, seconds, json_out)

    worker = api.worker.Worker(ctx.obj, interval=interval)
    totals = vars(worker.run(stop, on_round, once=once))
    if json_out:
        render.print_json(totals)
    else:
        render.out.print(", ".join(f"{k} {v}" for k, v in totals.items()), highlight=False)


def _round_line(number: int, done: Any, seconds: float, json_out: bool) -> None:
    """One line per round on stderr: what it scheduled, matched, delivered and what failed."""
    doc = {"round": number, "at": clock.iso_ms(clock.now_ms()), "scheduled": done.scheduled,
           "events": done.dispatched, "queued": done.queued, "delivered": done.delivered,
           "retried": done.retried, "failed": done.dead, "jobs": done.jobs,
           "seconds": round(seconds, 3)}  # fmt: skip
    if json_out:
        sys.stderr.write(render.to_json(doc) + "\n")
        return
    jobs = "".join(f"; {j}" for j in done.jobs)
    render.err.print(
        f"{doc['at']} round {number}: {done.scheduled} scheduled, {done.dispatched} event(s) "
        f"read, {done.queued} queued, {done.delivered} delivered, {done.retried} to retry, "
        f"{done.dead} failed (dead-lettered){jobs}",
        soft_wrap=True,
    )


playbooks_app = typer.Typer(help=help_of("playbooks"), no_args_is_help=True)


@playbooks_app.command("list")
def playbooks_list(json_out: JsonFlag = False) -> None:
    """The playbooks, what they respond to and the permissions they need."""
    units = [
        {"id": u.id, "title": u.title, "responds_to": list(u.responds_to),
         "permissions": list(u.permissions)}
        for u in api.playbooks.units()
    ]  # fmt: skip
    if json_out:
        render.print_json({"playbooks": units})
        return
    for u in units:
        render.out.print(
            f"{u['id']}: {u['title']} — needs {', '.join(u['permissions'])}", highlight=False
        )


@playbooks_app.command("run")
def playbooks_run(
    ctx: typer.Context,
    name: str,
    event: Annotated[str, typer.Option(help="The event (JSON, a file, or -).")],
    apply: Annotated[bool, typer.Option(help="Carry the plan out (default: only plan).")] = False,
    endpoint_url: Annotated[
        str | None, typer.Option(help="AWS endpoint (tests, LocalStack).")
    ] = None,
    subnet: Annotated[str | None, typer.Option(help="For block-address-nacl: the subnet.")] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Act in the event's account: assume arn:aws:iam::<account>:role/ROLE."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Plan a playbook for an event, and with --apply carry it out; the run is recorded."""
    options = {"subnet": subnet} if subnet else {}
    document = expect_mapping(_json_arg(event, "event"), event, "an event")
    request = api.playbooks.PlaybookRequest(name, document, apply, endpoint_url, options, role)
    done = api.playbooks.run(ctx.obj, request)
    plan, results, run_id = done.plan, done.results, done.run
    if json_out:
        render.print_json({"run": run_id, "plan": plan, "applied": apply, "results": results})
        return
    render.out.print(
        f"run {run_id}: {plan.summary} ({'applied' if apply else 'dry-run: nothing changed'})",
        highlight=False,
    )
    for step in plan.steps:
        render.out.print(
            f"  {step.service}:{step.operation} {json.dumps(step.params)}  — {step.why}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@playbooks_app.command("approve")
def playbooks_approve(ctx: typer.Context, run: int, json_out: JsonFlag = False) -> None:
    """Approve a planned run, so it can be applied as planned (`vigil playbooks apply RUN`)."""
    done = api.playbooks.approve(ctx.obj, run, _operator())
    api.access.audit(ctx.obj, api.access.CLI, "playbooks.approve", target=str(run), source="cli")
    if json_out:
        render.print_json(done)
        return
    render.out.print(f"run {run} approved by {done['approved_by']}: {done['plan']['summary']}",
                     highlight=False)  # fmt: skip


@playbooks_app.command("apply")
def playbooks_apply(ctx: typer.Context, run: int, json_out: JsonFlag = False) -> None:
    """Carry out an approved run's plan exactly as it was planned and approved."""
    done = api.playbooks.apply_approved(ctx.obj, run, _operator())
    api.access.audit(ctx.obj, api.access.CLI, "playbooks.apply", target=str(run), source="cli")
    if json_out:
        render.print_json(done)
        return
    render.out.print(f"run {run} applied: {done['plan']['summary']} "
                     f"({len(done['results'])} call(s))", highlight=False)  # fmt: skip


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@playbooks_app.command("runs")
def playbooks_runs(ctx: typer.Context, limit: int = 20, json_out: JsonFlag = False) -> None:
    """Recorded playbook runs: plans, approvals, and what was applied."""
    found = api.playbooks.runs(ctx.obj, limit)
    if json_out:
        render.print_json({"runs": found})
        return
    for r in found:
        mode = "applied" if r["applied"] else "approved" if r["approved_by"] else "dry-run"
        render.out.print(
            f"{r['id']:>4} {r['playbook']} [{mode}] {r['plan']['summary']}", highlight=False
        )
