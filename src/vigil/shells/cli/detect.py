"""`vigil detect`: run the enabled detection units over the lake and update findings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from vigil.api import clock, detect
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import EngineOption, JsonFlag, on_engine


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return clock.parse_iso(text)  # a time without a zone is UTC
    except ValueError as exc:
        raise ConfigError(
            f"{option} {text!r} is not a time", hint="write 2024-03-01 or 2024-03-01T09:00Z"
        ) from exc


def detect_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Backfill from this time (default: watermark).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Backfill up to this time (default: end of data).")
    ] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Only these units.")] = None,
    engine: EngineOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Run the enabled detection units over the lake and update findings."""
    first, last = _moment(since, "--since"), _moment(until, "--until")
    if first is not None and last is not None and first > last:
        raise ConfigError(f"--since {since} is after --until {until}", hint="swap them")
    report = detect.run(on_engine(ctx.obj, engine), first, last, unit or None)
    if json_out:
        render.print_json(report)
    else:
        touched = sum(report.findings.values())
        render.rows(
            [
                ("units run", report.units),
                ("hits", report.hits),
                ("findings touched", touched),
                ("findings changed", report.changed),
            ],
            title="detect",
        )
        for line in report.errors:
            render.tagged("error:", "red", line)
    if report.errors:
        raise typer.Exit(1)
