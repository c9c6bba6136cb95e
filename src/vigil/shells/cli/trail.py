"""`vigil trail validate`: CloudTrail log-file integrity, as `aws cloudtrail validate-logs`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.api import clock, trail
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of

trail_app = typer.Typer(help=help_of("trail"), no_args_is_help=True)


@trail_app.command("validate")
def trail_validate(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(help="A local copy (the folder holding AWSLogs/) or s3://bucket/prefix."),
    ],
    start: Annotated[str, typer.Option(help="From (ISO 8601, or 2d ago).")] = "1d",
    end: Annotated[str | None, typer.Option(help="Up to (default now).")] = None,
    public_keys: Annotated[
        Path | None, typer.Option(help="A saved ListPublicKeys JSON (else fetched live).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="Region for ListPublicKeys.")] = None,
    bucket: Annotated[
        str | None, typer.Option(help="For local copies: the bucket the digests name.")
    ] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="S3 / CloudTrail endpoint.")] = None,
    verbose: Annotated[bool, typer.Option(help="A line per file.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Check digests (signatures, chain) and log files (SHA-256), as `aws cloudtrail validate-logs`;
    exits non-zero when any file is invalid."""
    begin = clock.parse_moment(start, "--start")
    finish = clock.parse_moment(end, "--end") if end else clock.now_ms()
    request = trail.ValidateRequest(source, begin, finish, public_keys, region, bucket,
                                        endpoint_url)  # fmt: skip
    report = trail.validate(ctx.obj, request)
    if json_out:
        render.print_json(
            {
                "ok": report.ok,
                "summary": report.summary(),
                "verdicts": [v.__dict__ for v in report.verdicts],
            }
        )
    else:
        if verbose:
            for v in report.verdicts:
                state = "valid" if v.valid else f"INVALID: {v.reason}"
                label = "Digest file" if v.kind == "digest" else "Log file"
                render.out.print(
                    f"{label:<12} {v.uri}\t{state}", highlight=False, markup=False, soft_wrap=True
                )
            render.out.print("")
        for line in report.summary():
            render.out.print(line, highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(1)
