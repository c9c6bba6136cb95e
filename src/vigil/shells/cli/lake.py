"""`vigil ingest`, `vigil query` and `vigil lake …`: the lake, filled, queried and kept."""

from __future__ import annotations

import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.api import Settings, lake
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import EngineOption, JsonFlag, on_engine
from vigil.shells.cli.progress import object_progress
from vigil.shells.cli.tree import help_of

lake_app = typer.Typer(help=help_of("lake"), no_args_is_help=True)


class LogTypeChoice(StrEnum):
    auto = "auto"
    flowlogs = "flowlogs"
    cloudtrail = "cloudtrail"
    dns = "dns"  # Route 53 Resolver query logs
    s3access = "s3access"  # S3 server access logs
    guardduty = "guardduty"  # GuardDuty findings (its S3 export, events, GetFindings output)
    securityhub = "securityhub"  # Security Hub findings (ASFF)


class DialectChoice(StrEnum):
    duckdb = "duckdb"
    athena = "athena"
    spark = "spark"


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ConfigError(
            f"{option} {text!r} is not a date", hint="write dates as 2024-03-01"
        ) from exc


def ingest_command(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(help="Files, directories or s3://bucket/prefix.")],
    log_type: Annotated[
        LogTypeChoice,
        typer.Option("--type", help="What the sources hold (auto: told by key and content)."),
    ] = LogTypeChoice.auto,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Flow-log format for files without a header line (else told from their values).",
        ),
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
    lake.check_format(fmt)
    with object_progress(enabled=not json_out) as (on_listed, on_object):
        report = lake.ingest(
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
        render.print_json({k: v for k, v in report.__dict__.items() if k != "written"}
                          | {"nothing_taken": report.nothing_taken})  # fmt: skip
    else:
        _print_ingest(report)
    if report.nothing_taken:
        count = len(report.quarantined)
        noun = "object was" if count == 1 else f"{count} objects were"
        one = report.quarantined[0]
        raise ConfigError(f"nothing was ingested: the {noun} quarantined (first: {one['uri']}: "
                          f"{one['reason']})", hint="vigil quarantine list shows each with "
                          "its reason; fix it, then vigil quarantine retry")  # fmt: skip
    if strict and not report.clean:
        raise typer.Exit(1)


def _print_ingest(report: lake.IngestReport) -> None:
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


def query_command(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="A read-only SQL query (DuckDB dialect).")],
    fmt: Annotated[
        QueryFormat, typer.Option("--format", help="Output format.")
    ] = QueryFormat.table,
    out: Annotated[Path | None, typer.Option(help="Write the result to this file.")] = None,
    max_rows: Annotated[
        int | None, typer.Option(min=1, help="Stop reading after this many rows.")
    ] = None,
    engine: EngineOption = None,
    dialect: Annotated[
        DialectChoice | None,
        typer.Option(help="What the SQL is written in, transpiled to the engine's first."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Run SQL over the lake's tables (flow_logs, cloudtrail, dns_logs, s3_access_logs, …)."""
    answer = lake.query(on_engine(ctx.obj, engine), sql, max_rows=max_rows,
                        dialect=dialect.value if dialect else None)  # fmt: skip
    table = answer.table
    if answer.truncated:
        render.tagged("note:", "cyan", f"the first {table.num_rows} rows; the query has more")
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
    info = lake.info(ctx.obj)
    if json_out:
        render.print_json(info)
        return
    render.dict_table([vars(t) for t in info.tables], title=f"lake at {info.home}")
    render.rows(
        [(f"objects {k}", v) for k, v in sorted(info.objects.items())]
        + [("quarantined objects", info.quarantined)]
    )


@lake_app.command("compact")
def lake_compact(
    ctx: typer.Context,
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Merge each partition's small files into one (zstd), dropping duplicate records."""
    result = lake.compact(ctx.obj, table)
    if json_out:
        render.print_json(result)
        return
    removed = result.removed
    render.rows([(k, v) for k, v in vars(result).items() if k != "removed"], title="compact")
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
    result = lake.expire(ctx.obj, older_than, table, dry_run=dry_run, confirmed=yes)
    if json_out:
        render.print_json(result)
        return
    removed = result.removed
    if removed:
        render.table(
            ["table", "partition", "files", "rows", "bytes"],
            [[p.table, p.partition, p.files, f"{p.rows:,}", f"{p.bytes:,}"] for p in removed],
        )
    verb = "would remove" if dry_run else "removed"
    if not removed:
        render.line(f"nothing dated before {result.cutoff}: nothing {verb}")
        return
    render.line(
        f"{verb} {result.partitions} partition(s), {result.files} file(s), "
        f"{result.rows:,} row(s), {result.bytes:,} bytes dated before {result.cutoff}"
        + (" (dry run: nothing deleted)" if dry_run else "")
    )


class ExportFormat(StrEnum):
    iceberg = "iceberg"


class CatalogType(StrEnum):
    sql = "sql"  # pyiceberg's SQL catalog (SQLite, PostgreSQL)
    rest = "rest"  # an Iceberg REST catalog (Polaris, Nessie, Glue's, Tabular's)


@lake_app.command("export")
def lake_export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Table format.")],
    catalog: Annotated[CatalogType, typer.Option(help="Iceberg catalog type.")],
    uri: Annotated[
        str, typer.Option(help="Catalog URI: sqlite:///path/catalog.db, http://host:8181.")
    ],
    warehouse: Annotated[
        str | None, typer.Option(help="Where table metadata goes (file:///path, s3://…).")
    ] = None,
    namespace: Annotated[str, typer.Option(help="Namespace (database) of the tables.")] = "vigil",
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only these tables (repeatable).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Register the lake's tables in an Iceberg catalog, files in place; re-runs add only new
    files."""
    result = lake.export_iceberg(ctx.obj, catalog=catalog.value, uri=uri, warehouse=warehouse,
                                 namespace=namespace, tables=table)  # fmt: skip
    if json_out:
        render.print_json(result)
        return
    render.table(
        ["table", "iceberg table", "added", "dropped", "files", "new"],
        [[t.table, t.identifier, t.added, t.removed, t.files, "yes" if t.created else ""]
         for t in result.tables],
    )  # fmt: skip


_attached: list[str | None] = []
