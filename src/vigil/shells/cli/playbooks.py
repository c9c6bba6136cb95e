"""`vigil playbooks …`: remediation playbooks: list them, plan one for an event (and with
--apply carry it out), approve a planned run, apply an approved one, list the runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from vigil.api import access, playbooks
from vigil.api.inputs import expect_mapping
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag, json_argument
from vigil.shells.cli.tree import help_of
from vigil.shells.views.playbooks import recorded_run

playbooks_app = typer.Typer(help=help_of("playbooks"), no_args_is_help=True)


@playbooks_app.command("list")
def playbooks_list(json_out: JsonFlag = False) -> None:
    """The playbooks, what they respond to and the permissions they need."""
    units = [
        {"id": u.id, "title": u.title, "responds_to": list(u.responds_to),
         "permissions": list(u.permissions)}
        for u in playbooks.units()
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
    document = expect_mapping(json_argument(event, "event"), event, "an event")
    request = playbooks.PlaybookRequest(name, document, apply, endpoint_url, options, role)
    done = playbooks.run(ctx.obj, request)
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
    done = playbooks.approve(ctx.obj, run, _operator())
    access.audit(ctx.obj, access.CLI, "playbooks.approve", target=str(run), source="cli")
    if json_out:
        render.print_json(recorded_run(done))
        return
    render.out.print(f"run {run} approved by {done.approved_by}: {done.plan['summary']}",
                     highlight=False)  # fmt: skip


@playbooks_app.command("apply")
def playbooks_apply(ctx: typer.Context, run: int, json_out: JsonFlag = False) -> None:
    """Carry out an approved run's plan exactly as it was planned and approved."""
    done = playbooks.apply_approved(ctx.obj, run, _operator())
    access.audit(ctx.obj, access.CLI, "playbooks.apply", target=str(run), source="cli")
    if json_out:
        render.print_json(recorded_run(done))
        return
    render.out.print(f"run {run} applied: {done.plan['summary']} "
                     f"({len(done.results)} call(s))", highlight=False)  # fmt: skip


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@playbooks_app.command("runs")
def playbooks_runs(ctx: typer.Context, limit: int = 20, json_out: JsonFlag = False) -> None:
    """Recorded playbook runs: plans, approvals, and what was applied."""
    found = playbooks.runs(ctx.obj, limit)
    if json_out:
        render.print_json({"runs": [recorded_run(r) for r in found]})
        return
    for r in found:
        mode = "applied" if r.applied else "approved" if r.approved_by else "dry-run"
        render.out.print(f"{r.id:>4} {r.playbook} [{mode}] {r.plan['summary']}", highlight=False)
