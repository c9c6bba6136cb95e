"""`vigil` command line: parse, call vigil.api once, render (tables for people, --json)."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

import click
import typer

from vigil import api
from vigil.api import Settings
from vigil.errors import ConfigError, VigilError
from vigil.shells import render, tree
from vigil.shells.progress import object_progress

app = typer.Typer(
    help="Vigil: collect AWS logs into a local lake, query them, and watch for threats.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
lake_app = typer.Typer(help="Inspect and maintain the lake.", no_args_is_help=True)
app.add_typer(lake_app, name="lake")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]


class LogTypeChoice(StrEnum):
    auto = "auto"
    flowlogs = "flowlogs"
    cloudtrail = "cloudtrail"


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def _show_version(value: bool) -> None:
    if value:
        from vigil import __version__

        render.line(f"vigil {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(help="Where Vigil keeps its data (env VIGIL_HOME; default ./vigil-data)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_show_version
        ),
    ] = False,
) -> None:
    ctx.obj = Settings.load(home)
    asks_help = "--help" in sys.argv[1:]
    if not ctx.obj.home.is_dir() and not asks_help and _command_words(sys.argv[1:]) in READ_ONLY:
        raise ConfigError(
            f"no Vigil home at {ctx.obj.home}: there is nothing to read yet",
            hint="give --home (or VIGIL_HOME) where you ingested, or start with vigil ingest",
        )


def _command_words(argv: list[str]) -> str:
    """`findings list` from `--home h findings list --json`: the command's own words."""
    words: list[str] = []
    skip = False
    for arg in argv:
        if skip or arg.startswith("-"):
            skip = arg == "--home"
            if words:
                break
            continue
        words.append(arg)
    return next((" ".join(words[:n]) for n in (3, 2, 1) if " ".join(words[:n]) in READ_ONLY), "")


# Commands that only read: pointed at a home that does not exist they say so instead of
# creating an empty one and printing nothing.
READ_ONLY: Final = (
    "query", "insights", "lake info", "findings list", "findings show", "findings export",
    "alarms list", "alarms history", "events list", "events audit", "events rules list",
    "events dlq list", "logs groups", "logs streams", "logs get", "logs filter", "logs tail",
    "logs metric-filters", "metrics list", "metrics stats", "playbooks runs", "posture history",
    "posture diff", "posture report", "posture prove", "posture estimate-flow-volume",
    "quarantine list", "quarantine show", "intel list",
)  # fmt: skip


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ConfigError(
            f"{option} {text!r} is not a date", hint="write dates as 2024-03-01"
        ) from exc


@app.command()
def ingest(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(help="Files, directories or s3://bucket/prefix.")],
    log_type: Annotated[
        LogTypeChoice, typer.Option("--type", help="What the sources hold.")
    ] = LogTypeChoice.auto,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Flow-log format for files without a header line."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Skip objects whose key date is before.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Skip objects whose key date is after.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="S3-compatible endpoint for s3:// sources.")
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="Account for sources whose keys do not name one.")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Region for sources whose keys do not name one.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit non-zero if any record or file was rejected.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Parser threads.")] = 2,
    batch_rows: Annotated[
        int, typer.Option(help="Rows per lake write; fewer uses less memory.")
    ] = 500_000,
    flow_logs_to: Annotated[
        str | None, typer.Option(help="Also deliver flow-log records to this log group.")
    ] = None,
    cloudtrail_to: Annotated[
        str | None, typer.Option(help="Also deliver CloudTrail records to this log group.")
    ] = None,
    reprocess: Annotated[
        bool,
        typer.Option(help="Read objects already ingested again, replacing their rows."),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Read AWS logs (VPC Flow Logs, CloudTrail) into the lake; re-runs add only new objects."""
    settings: Settings = ctx.obj
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is not None and last is not None and first > last:
        raise ConfigError(f"--since {since} is after --until {until}", hint="swap them")
    api.lake.check_format(fmt)
    with object_progress(enabled=not json_out) as (on_listed, on_object):
        report = api.lake.ingest(
            settings,
            sources,
            log_type=log_type.value,
            fmt=fmt,
            since=first,
            until=last,
            endpoint_url=endpoint_url,
            account=account,
            region=region,
            workers=workers,
            batch_rows=batch_rows,
            flow_logs_to=flow_logs_to,
            cloudtrail_to=cloudtrail_to,
            reprocess=reprocess,
            on_listed=on_listed,
            on_object=on_object,
        )
    if json_out:
        render.print_json({k: v for k, v in report.__dict__.items() if k != "written"})
    else:
        _print_ingest(report)
    if strict and not report.clean:
        raise typer.Exit(1)


def _print_ingest(report: api.lake.IngestReport) -> None:
    pairs: list[tuple[str, Any]] = [
        ("files found", report.files),
        ("ingested", report.ingested),
        ("already ingested", report.already_seen),
    ]
    if report.retried:
        pairs.append(("rejected before, read again", report.retried))
    if report.reprocessed:
        pairs.append(("ingested before, rows replaced", report.reprocessed))
    if report.outside_window:
        pairs.append(("outside --since/--until", report.outside_window))
    if report.duplicates:
        pairs.append(("duplicate content", report.duplicates))
    if report.digests:
        pairs.append(("CloudTrail digests recorded", report.digests))
    pairs += [(f"records → {t}", f"{n:,}") for t, n in report.records.items() if n]
    pairs += [(f"no account known → {t}", f"{n:,}") for t, n in report.unknown_account.items()]
    pairs += [(f"events → log group {g}", f"{n:,}") for g, n in report.routed.items()]
    pairs += [("rejected records", report.rejected), ("quarantined files", len(report.quarantined))]
    if report.released:
        pairs.append(("released from quarantine", report.released))
    if report.repaired_batches:
        pairs.append(("interrupted batches repaired", report.repaired_batches))
    render.rows(pairs, title="ingest")
    for line in report.notices[:20]:
        render.tagged("note:", "yellow", line)
    for line in report.problems[:50]:
        render.tagged("rejected:", "red", line)
    if report.unknown_account:
        render.tagged(
            "note:",
            "yellow",
            "records whose key, account field and identity name no account are filed under "
            "aws_account=unknown; give --account to place them",
        )
    if report.quarantined:
        render.styled(
            (
                "quarantined input is kept with its reason: vigil quarantine list, then "
                "vigil quarantine retry [ID] [--format …] once fixed",
                "dim",
            ),
            to_err=True,
        )


@app.command()
def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="A read-only SQL query (DuckDB dialect).")],
    fmt: Annotated[
        QueryFormat, typer.Option("--format", help="Output format.")
    ] = QueryFormat.table,
    out: Annotated[Path | None, typer.Option(help="Write the result to this file.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Run SQL over the lake's tables (flow_logs, cloudtrail)."""
    table = api.lake.query(ctx.obj, sql)
    chosen = QueryFormat.json if json_out else fmt
    if chosen is QueryFormat.parquet:
        if out is None:
            raise ConfigError("--format parquet needs --out FILE")
        import pyarrow.parquet as pq

        pq.write_table(table, out)
        return
    if chosen is QueryFormat.table and out is None:
        render.arrow_table(table)
        return
    # A table written to a file is written as CSV.
    text = render.to_json(table.to_pylist()) if chosen is QueryFormat.json else render.to_csv(table)
    if out is not None:
        out.write_text(text if text.endswith("\n") else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@lake_app.command("info")
def lake_info(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Tables, partitions, files, rows and bytes; manifest and quarantine counts."""
    info = api.lake.info(ctx.obj)
    if json_out:
        render.print_json(info)
        return
    import pyarrow as pa

    render.arrow_table(pa.Table.from_pylist(info["tables"]), title=f"lake at {info['home']}")
    render.rows(
        [(f"objects {k}", v) for k, v in sorted(info["objects"].items())]
        + [("quarantined objects", info["quarantined"])]
    )


@lake_app.command("compact")
def lake_compact(
    ctx: typer.Context,
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Merge each partition's small files into one (zstd), dropping duplicate records."""
    result = api.lake.compact(ctx.obj, table)
    if json_out:
        render.print_json(result)
        return
    removed = result.pop("removed")
    render.rows(list(result.items()), title="compact")
    for name, reasons in removed.items():
        for why, count in reasons.items():
            render.line(f"{name}: {count:,} copies removed — {why}")
    if not removed:
        render.line("no copies of a record found: nothing removed")


@lake_app.command("expire")
def lake_expire(
    ctx: typer.Context,
    older_than: Annotated[str, typer.Option(help="Age such as 90d, 12w (or 12h, with --yes).")],
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would go.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm an age below one day.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Delete partitions older than the given age (retention, like an S3 lifecycle rule)."""
    result = api.lake.expire(ctx.obj, older_than, table, dry_run=dry_run, confirmed=yes)
    if json_out:
        render.print_json(result)
        return
    removed = result["removed"]
    if removed:
        render.table(
            ["table", "partition", "files", "rows", "bytes"],
            [[p["table"], p["partition"], p["files"], f"{p['rows']:,}", f"{p['bytes']:,}"]
             for p in removed],
        )  # fmt: skip
    verb = "would remove" if dry_run else "removed"
    if not removed:
        render.line(f"nothing dated before {result['cutoff']}: nothing {verb}")
        return
    render.line(
        f"{verb} {result['partitions']} partition(s), {result['files']} file(s), "
        f"{result['rows']:,} row(s), {result['bytes']:,} bytes dated before {result['cutoff']}"
        + (" (dry run: nothing deleted)" if dry_run else "")
    )


_attached: list[str | None] = []


def attach(word: str | None, *, full: bool = False) -> None:
    """Add the command tree to `app` (once): in full the command that `word` names, or every
    one with `full`; the others only by name and help, as `vigil --help` lists them."""
    import importlib

    if _attached:
        return
    _attached.append(word)
    for name, (module, attribute, text) in tree.COMMANDS.items():
        if name == word or full:
            app.command(name)(getattr(importlib.import_module(module), attribute))
        else:
            app.command(name, help=text)(_not_built)
    for name, (module, attribute, text) in tree.GROUPS.items():
        if name == word or full:
            group = getattr(importlib.import_module(module), attribute)
            if name == "logs":  # the metric-filter commands of CloudWatch Logs' API
                _metric_filter_commands(group)
            app.add_typer(group, name=name)
        else:
            app.add_typer(typer.Typer(help=text), name=name)


def _not_built() -> None:  # never runs: a command is built in full before it runs
    raise ConfigError("internal: command not built")


def _metric_filter_commands(logs_group: typer.Typer) -> None:
    from vigil.shells import cli_metrics

    logs_group.command("put-metric-filter")(cli_metrics.put_metric_filter)
    logs_group.command("metric-filters")(cli_metrics.metric_filters)
    logs_group.command("delete-metric-filter")(cli_metrics.delete_metric_filter)
    logs_group.command("backfill-metric-filter")(cli_metrics.backfill_metric_filter)
    logs_group.command("install-pack")(cli_metrics.install_pack_command)


def _click_types(name: str) -> tuple[type[BaseException], ...]:
    """The exception class from click and from typer's vendored copy of it (typer >= 0.20)."""
    found: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        import importlib

        vendored = importlib.import_module("typer._click.exceptions")
        found.append(getattr(vendored, name))
    except (ImportError, AttributeError):
        pass
    return tuple(found)


AWS_HINTS: Final = {
    "NoCredentialsError": "give credentials the standard way: aws configure, AWS_PROFILE, "
    "or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    "PartialCredentialsError": "the credentials found are incomplete; check aws configure list",
    "ProfileNotFound": "aws configure list-profiles shows the profiles there are",
    "EndpointConnectionError": "check --endpoint-url, the region and the network",
    "ConnectTimeoutError": "check --endpoint-url, the region and the network",
    "NoRegionError": "give a region: --regions, AWS_DEFAULT_REGION or the profile's region",
}


def _aws_error(exc: Exception) -> tuple[str, str] | None:
    """An error from the AWS SDK as one line and a hint (None for anything else)."""
    if not type(exc).__module__.startswith("botocore"):
        return None
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:  # AWS answered and refused
        error = response["Error"]
        return (
            f"AWS refused: {error.get('Code')}: {error.get('Message')}",
            "check the permissions of the credentials in use (aws sts get-caller-identity)",
        )
    return f"AWS: {exc}", AWS_HINTS.get(name, "check the AWS credentials, region and endpoint")


def main() -> None:
    attach(tree.command_word(sys.argv[1:]))
    try:
        code = app(standalone_mode=False)
    except VigilError as exc:
        render.print_error(str(exc), exc.hint)
        sys.exit(1)
    except _click_types("Abort"):
        render.print_error("interrupted")
        sys.exit(130)
    except _click_types("ClickException") as exc:
        render.print_error(exc.format_message(), "see vigil --help")  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except _click_types("Exit") as exc:
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        render.print_error(f"{exc.strerror or exc}{where}", "check the path and its permissions")
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("VIGIL_DEBUG"):
            raise
        aws = _aws_error(exc)
        if aws:
            render.print_error(*aws)
            sys.exit(1)
        render.print_error(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in Vigil; rerun with VIGIL_DEBUG=1 for the traceback and report it",
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
