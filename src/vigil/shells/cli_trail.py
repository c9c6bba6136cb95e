"""`vigil trail validate`: CloudTrail log-file integrity, as `aws cloudtrail validate-logs`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from vigil.clock import now_ms
from vigil.errors import ConfigError
from vigil.shells import render

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
trail_app = typer.Typer(help="CloudTrail log-file integrity.", no_args_is_help=True)


_KEYS_HINT = (
    "save them once: aws cloudtrail list-public-keys --start-time 2024-03-01 > keys.json, "
    "then --public-keys keys.json"
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
    from vigil.shells.cli_logs import to_ms
    from vigil.trail.record import record
    from vigil.trail.validate import Objects, load_keys, validate

    begin = datetime.fromtimestamp((to_ms(start, "--start") or 0) / 1000, UTC)
    finish = datetime.fromtimestamp((to_ms(end, "--end") or now_ms()) / 1000, UTC)
    if begin >= finish:
        raise ConfigError(
            f"--start {_iso(begin)} is not before --end {_iso(finish)}",
            hint="give --start earlier than --end (e.g. --start 2d --end 1d)",
        )
    if public_keys is not None and not public_keys.is_file():
        raise ConfigError(f"{public_keys}: no such file", hint=_KEYS_HINT)
    if public_keys is None and not source.startswith("s3://"):
        raise ConfigError(
            f"{source} is a local copy: validating it needs the public keys, saved (--public-keys)",
            hint=_KEYS_HINT,
        )
    keys = load_keys(public_keys, region, endpoint_url, begin, finish)
    report = validate(Objects(source, endpoint_url), keys, begin, finish, bucket)
    record(ctx.obj, report)
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
