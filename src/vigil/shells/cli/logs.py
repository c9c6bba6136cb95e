"""`vigil logs …`: log groups and streams, put, get/filter/tail, test-filter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vigil.api import clock, inputs, logs
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import End, EngineOption, JsonFlag, Start, on_engine
from vigil.shells.cli.tree import help_of
from vigil.shells.views.logs import filter_match

if TYPE_CHECKING:
    from vigil.api.logs import Event

logs_app = typer.Typer(help=help_of("logs"), no_args_is_help=True)


@logs_app.command("create-group")
def create_group(
    ctx: typer.Context,
    name: str,
    retention: Annotated[int | None, typer.Option(help="Days to keep events.")] = None,
    account: Annotated[str | None, typer.Option(help="Account id of the group.")] = None,
    region: Annotated[str | None, typer.Option(help="Region of the group.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag, KEY=VALUE (repeat it).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Create a log group (CreateLogGroup)."""
    logs.create_group(ctx.obj, name, account=account, region=region, retention_days=retention,
                          tags=_pairs(tag or []))  # fmt: skip
    render.done(json_out, f"created log group {name}", {"logGroupName": name, "created": True})


def _pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"tag {item!r} is not KEY=VALUE", hint="team=security")
        pairs[key] = value
    return pairs


@logs_app.command("delete-group")
def delete_group(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete a log group, its streams and events (DeleteLogGroup)."""
    logs.delete_group(ctx.obj, name)
    render.done(json_out, f"deleted log group {name}", {"logGroupName": name, "deleted": True})


@logs_app.command("groups")
def groups(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Option(help="Only names starting so.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """Describe log groups."""
    found = logs.groups(ctx.obj, prefix)
    rows = [{"logGroupName": g.name, "creationTime": g.created_ms,
             "retentionInDays": g.retention_days, "storedBytes": g.stored_bytes,
             "streams": g.streams, "account": g.account, "region": g.region}
            for g in found]  # fmt: skip
    _show(rows, "logGroups", json_out)


@logs_app.command("retention")
def retention(
    ctx: typer.Context,
    group: str,
    days: Annotated[int | None, typer.Argument(help="1, 3, 5, 7, 14, 30, … 3653.")] = None,
    never: Annotated[bool, typer.Option("--never", help="Keep events forever.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Set a group's retention (PutRetentionPolicy), or remove it with --never."""
    if days is None and not never:
        raise ConfigError("give DAYS or --never", hint="vigil logs retention GROUP 30")
    logs.put_retention(ctx.obj, group, None if never else days)
    kept = None if never else days
    text = f"{group}: {'never expire' if never else f'{days} days'}"
    render.done(json_out, text, {"logGroupName": group, "retentionInDays": kept})


@logs_app.command("create-stream")
def create_stream(ctx: typer.Context, group: str, stream: str, json_out: JsonFlag = False) -> None:
    """Create a log stream in a group (CreateLogStream)."""
    logs.create_stream(ctx.obj, group, stream)
    doc = {"logGroupName": group, "logStreamName": stream, "created": True}
    render.done(json_out, f"created log stream {group} {stream}", doc)


@logs_app.command("delete-stream")
def delete_stream(ctx: typer.Context, group: str, stream: str, json_out: JsonFlag = False) -> None:
    """Delete a log stream (DeleteLogStream)."""
    logs.delete_stream(ctx.obj, group, stream)
    doc = {"logGroupName": group, "logStreamName": stream, "deleted": True}
    render.done(json_out, f"deleted log stream {group} {stream}", doc)


@logs_app.command("streams")
def streams(
    ctx: typer.Context,
    group: str,
    prefix: Annotated[str, typer.Option(help="Only names starting so.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """Describe a group's log streams."""
    found = logs.streams(ctx.obj, group, prefix)
    rows = [{"logStreamName": s.name, "creationTime": s.created_ms,
             "firstEventTimestamp": s.first_event_ms, "lastEventTimestamp": s.last_event_ms,
             "lastIngestionTime": s.last_ingestion_ms, "storedBytes": s.stored_bytes}
            for s in found]  # fmt: skip
    _show(rows, "logStreams", json_out)


@logs_app.command("put")
def put(
    ctx: typer.Context,
    group: str,
    stream: str,
    source: Annotated[
        str, typer.Argument(help="A file of lines or JSON events, or - for stdin.")
    ] = "-",
    create: Annotated[bool, typer.Option(help="Create the group and stream if missing.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Send events (PutLogEvents calls within AWS's limits)."""
    path = None if source == "-" else Path(source)
    if path is not None and not path.is_file():
        raise ConfigError(
            f"{source}: no such file", hint="give a file of log lines, or - for stdin"
        )
    summary = logs.put_file(ctx.obj, group, stream, path, create=create)
    if json_out:
        render.print_json(summary)
    elif summary.already:
        render.out.print(f"{source} was already put into {group} {stream}; nothing added")
    else:
        rejected = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in summary.rejected.items())
        line = (
            f"{summary.accepted:,} of {summary.events:,} events accepted in {summary.calls} call(s)"
        )
        render.out.print(line + (f"; rejected: {rejected}" if rejected else ""), highlight=False)
    for problem in summary.problems:
        render.tagged("skipped:", "yellow", problem)


@logs_app.command("get")
def get(
    ctx: typer.Context,
    group: str,
    stream: str,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, typer.Option(help="At most this many events.")] = 10_000,
    json_out: JsonFlag = False,
) -> None:
    """A stream's events in time order (GetLogEvents)."""
    begin, finish = clock.time_range(start, end)
    query = logs.EventsQuery(start=begin, end=finish, streams=[stream], limit=limit)
    events = logs.filter_events(ctx.obj, group, query)
    _events(events, json_out)


@logs_app.command("filter")
def filter_(
    ctx: typer.Context,
    group: str,
    pattern: Annotated[str, typer.Option(help="A CloudWatch Logs filter pattern.")] = "",
    start: Start = None,
    end: End = None,
    stream: Annotated[list[str] | None, typer.Option(help="Only these streams.")] = None,
    stream_prefix: Annotated[str | None, typer.Option(help="Only streams starting so.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events.")] = 10_000,
    json_out: JsonFlag = False,
) -> None:
    """Events of a group that match a filter pattern (FilterLogEvents)."""
    begin, finish = clock.time_range(start, end)
    query = logs.EventsQuery(pattern, begin, finish, stream or None, stream_prefix, limit)
    events = logs.filter_events(ctx.obj, group, query)
    _events(events, json_out)


@logs_app.command("tail")
def tail(
    ctx: typer.Context,
    group: str,
    pattern: Annotated[str, typer.Option(help="A filter pattern.")] = "",
    since: Annotated[str, typer.Option(help="Start this long ago (or at an ISO time).")] = "10m",
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON object per event (JSON lines).")
    ] = False,
) -> None:
    """Recent events, and with --follow new ones as they arrive (Ctrl-C to stop)."""
    start = clock.parse_moment(since, "--since")
    show = (lambda e: render.print_json(e.as_aws())) if json_out else _line
    for event in logs.filter_events(ctx.obj, group, logs.EventsQuery(pattern, start)):
        show(event)
    if follow:
        try:
            for event in logs.tail(ctx.obj, group, pattern=pattern, since=clock.now_ms()):
                show(event)
        except KeyboardInterrupt:
            return


@logs_app.command("test-filter")
def test_filter_command(
    pattern: Annotated[str, typer.Option(help="The filter pattern to test.")],
    source: Annotated[str, typer.Argument(help="A file of log messages, or - for stdin.")] = "-",
    json_out: JsonFlag = False,
) -> None:
    """Which messages a pattern matches, and the values it extracts (TestMetricFilter)."""
    if source == "-":
        messages = [line.rstrip("\r\n") for line in sys.stdin]
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{source}: no such file", hint="give a file of messages, or -")
        messages = inputs.read_text(path, what="a log file").splitlines()
    matches = logs.test_filter(pattern, messages)
    if json_out:
        render.print_json({"matches": [filter_match(m) for m in matches]})
        return
    for m in matches:
        values = "  ".join(f"{k}={v}" for k, v in m.extracted_values.items())
        render.out.print(f"{m.event_number:>6}  {m.event_message}", highlight=False, markup=False)
        if values:
            render.out.print(f"        {values}", highlight=False, markup=False)
    render.out.print(f"{len(matches)} of {len(messages)} messages match", highlight=False)


def _events(events: list[Event], json_out: bool) -> None:
    if json_out:
        render.print_json({"events": [e.as_aws() for e in events]})
        return
    for event in events:
        _line(event)


def _line(event: Event) -> None:
    render.out.print(f"{clock.iso_ms(event.timestamp)} {event.log_stream} {event.message}",
                     highlight=False, markup=False, soft_wrap=True)  # fmt: skip


def _show(rows: list[dict[str, Any]], key: str, json_out: bool) -> None:
    if json_out:
        render.print_json({key: rows})
        return
    times = ("creationTime", "firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime")
    rows = [{k: clock.iso_ms(v) or "" if k in times else v for k, v in row.items()} for row in rows]
    if rows:
        render.dict_table(rows, title=key)
    else:
        render.table([], [], title=key)


def insights_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A Logs Insights query.")],
    log_group: Annotated[list[str] | None, typer.Option(help="Log group(s) to query.")] = None,
    table: Annotated[
        str | None, typer.Option(help="Or a lake table: flow_logs, cloudtrail.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="From: ISO 8601, or 15m/2h/7d ago.")] = None,
    until: Annotated[str | None, typer.Option(help="Up to: ISO 8601, or 15m/2h/7d ago.")] = None,
    engine: EngineOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Run a CloudWatch Logs Insights query over log groups or a lake table."""
    settings = on_engine(ctx.obj, engine)
    begin, finish = clock.time_range(since, until, ("--since", "--until"))
    if log_group and not table:  # as StartQuery runs it: rows with @ptr, and statistics
        answer = logs.run_query(settings, query, groups=log_group, start=begin, end=finish)
        result = answer.table
        statistics = {"recordsMatched": answer.matched, "recordsScanned": answer.scanned,
                      "bytesScanned": answer.bytes_scanned}  # fmt: skip
    else:
        result = logs.insights(settings, query, groups=log_group or None, table=table,
                                   start=begin, end=finish)  # fmt: skip
        statistics = {"recordsMatched": result.num_rows}
    if json_out:
        render.print_json({"results": result.to_pylist(), "statistics": statistics})
        return
    shown = result.drop_columns(["@ptr"]) if "@ptr" in result.column_names else result
    render.arrow_table(shown, title="insights")
    if "recordsScanned" in statistics:
        render.styled((f"{statistics['recordsMatched']:,} records matched, "
                       f"{statistics['recordsScanned']:,} scanned "
                       f"({statistics['bytesScanned']:,} bytes)", "dim"))  # fmt: skip


@logs_app.command("record")
def record_command(
    ctx: typer.Context,
    pointer: Annotated[str, typer.Argument(help="A result row's @ptr (insights --json).")],
    json_out: JsonFlag = False,
) -> None:
    """One log event whole, from an Insights row's @ptr (GetLogRecord)."""
    found = logs.get_log_record(ctx.obj, pointer)
    if json_out:
        render.print_json({"logRecord": found})
        return
    render.dict_table([{"field": k, "value": v} for k, v in found.items()], title="log record")


@logs_app.command("tags")
def tags_command(ctx: typer.Context, group: str, json_out: JsonFlag = False) -> None:
    """A log group's tags (ListTagsForResource)."""
    found = logs.group_tags(ctx.obj, group)
    if json_out:
        render.print_json({"tags": found})
        return
    render.dict_table([{"key": k, "value": v} for k, v in found.items()], title=group)


@logs_app.command("tag")
def tag_command(
    ctx: typer.Context,
    group: str,
    tags: Annotated[list[str], typer.Argument(help="KEY=VALUE pairs (VALUE may be empty).")],
    json_out: JsonFlag = False,
) -> None:
    """Add or replace tags on a log group (TagResource)."""
    pairs = _pairs(tags)
    logs.tag_group(ctx.obj, group, pairs)
    render.done(json_out, f"tagged {group}: {', '.join(pairs)}",
                {"logGroupName": group, "tags": logs.group_tags(ctx.obj, group)})  # fmt: skip


@logs_app.command("untag")
def untag_command(
    ctx: typer.Context,
    group: str,
    keys: Annotated[list[str], typer.Argument(help="Tag keys to remove.")],
    json_out: JsonFlag = False,
) -> None:
    """Remove tags from a log group (UntagResource)."""
    logs.untag_group(ctx.obj, group, keys)
    render.done(json_out, f"untagged {group}: {', '.join(keys)}",
                {"logGroupName": group, "tags": logs.group_tags(ctx.obj, group)})  # fmt: skip


@logs_app.command("export")
def export_command(
    ctx: typer.Context,
    group: str,
    destination: Annotated[str, typer.Argument(help="A directory or s3://bucket.")],
    start: Start = None,
    end: End = None,
    prefix: Annotated[str, typer.Option(help="Key prefix under the destination.")] = "exportedlogs",
    stream_prefix: Annotated[str | None, typer.Option(help="Only streams starting so.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="S3-compatible endpoint.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Export a group's events in a time range, as CreateExportTask writes them."""
    begin, finish = clock.time_range(start, end)
    result = logs.export(ctx.obj, group, destination, start=begin, end=finish, prefix=prefix,
                    stream_prefix=stream_prefix, endpoint_url=endpoint_url)  # fmt: skip
    if json_out:
        render.print_json(result)
        return
    render.out.print(f"task {result.task_id}: {result.events:,} events in {len(result.files)} "
                     f"file(s) under {result.destination}", highlight=False)  # fmt: skip


@logs_app.command("expire")
def expire_command(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Remove events past their group's retention, or of deleted groups, from the lake."""
    report = logs.expire(ctx.obj)
    if json_out:
        render.print_json(report)
        return
    render.out.print(f"{report.removed:,} events removed from {report.partitions} partition(s); "
                     f"{report.kept:,} kept there", highlight=False)  # fmt: skip
