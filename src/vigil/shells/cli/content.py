"""`vigil content …`: the content units (detections, checks, metric filters, playbooks): list
them, show a detection as tuned here, backtest it, run every unit's own cases."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from vigil.api import clock, content
from vigil.api import tuning as tuning_api
from vigil.shells import render
from vigil.shells.cli.options import EngineOption, JsonFlag, on_engine
from vigil.shells.cli.tree import help_of

content_app = typer.Typer(help=help_of("content"), no_args_is_help=True)


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
    found, errors = content.units(ctx.obj)
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
    view = tuning_api.show(ctx.obj, unit)
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
    engine: EngineOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Run a unit over stored data without recording findings: what it would raise per day,
    its busiest groups and sample events, so the noise is seen before enabling it."""
    first, last = clock.time_range(since, until, ("--since", "--until"))
    report = tuning_api.backtest(
        on_engine(ctx.obj, engine), unit, clock.from_ms(first), clock.from_ms(last), tuning
    )
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
    engine: EngineOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Run the units' own test cases (every kind: detections, checks, metric filters,
    playbooks); exits non-zero if any fails."""
    found, errors = content.test(
        on_engine(ctx.obj, engine), ids or None, kind.value if kind else None
    )
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
