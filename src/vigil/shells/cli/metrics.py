"""`vigil metrics …`, `vigil alarms …`, and the metric-filter commands of `vigil logs`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vigil.api import clock, metrics
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import End, JsonFlag, Start
from vigil.shells.cli.tree import help_of

metrics_app = typer.Typer(help=help_of("metrics"), no_args_is_help=True)
alarms_app = typer.Typer(help=help_of("alarms"), no_args_is_help=True)
Dims = Annotated[list[str] | None, typer.Option("--dimension", "-d", help="Name=Value (repeat).")]


def _dims(items: list[str] | None) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"dimension {item!r} is not Name=Value", hint="-d InstanceId=i-0abc")
        out.append((name, value))
    return tuple(sorted(out))


# -- metric filters (registered under `vigil logs`) --------------------------------------------
def put_metric_filter(
    ctx: typer.Context,
    group: str,
    name: str,
    pattern: Annotated[str, typer.Option(help="The filter pattern.")],
    metric_name: Annotated[str, typer.Option(help="The metric to publish.")],
    namespace: Annotated[str, typer.Option(help="Its namespace.")],
    value: Annotated[str, typer.Option(help="1, $.json.field or $spacedField.")] = "1",
    default: Annotated[
        float | None, typer.Option(help="Emitted for minutes with no match.")
    ] = None,
    dimension: Dims = None,
    unit: Annotated[str, typer.Option(help="A CloudWatch unit.")] = "None",
    json_out: JsonFlag = False,
) -> None:
    """Create or replace a metric filter on a log group (PutMetricFilter)."""
    f = metrics.MetricFilter(group, name, pattern, metric_name, namespace, value, default,
                                 _dims(dimension), unit)  # fmt: skip
    warnings = metrics.put_metric_filter(ctx.obj, f)
    if json_out:
        render.print_json({"metricFilter": f.as_aws(), "warnings": warnings})
        return
    for warning in warnings:
        render.tagged("warning:", "yellow", warning)
    render.line(f"metric filter {name} on {group} → {namespace}/{metric_name}")


def metric_filters(
    ctx: typer.Context,
    group: Annotated[str | None, typer.Argument(help="Only this log group.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Describe metric filters."""
    rows = [f.as_aws() for f in metrics.metric_filters(ctx.obj, group)]
    if json_out:
        render.print_json({"metricFilters": rows})
        return
    for r in rows:
        t: Any = r["metricTransformations"]
        target = f"{t[0]['metricNamespace']}/{t[0]['metricName']}"
        line = f"{r['logGroupName']} {r['filterName']}: {r['filterPattern']} → {target}"
        render.out.print(line, highlight=False, markup=False)


def delete_metric_filter(
    ctx: typer.Context, group: str, name: str, json_out: JsonFlag = False
) -> None:
    """Delete a metric filter."""
    metrics.delete_metric_filter(ctx.obj, group, name)
    doc = {"logGroupName": group, "filterName": name, "deleted": True}
    render.done(json_out, f"deleted metric filter {name} on {group}", doc)


def backfill_metric_filter(
    ctx: typer.Context, group: str, name: str, json_out: JsonFlag = False
) -> None:
    """Apply a metric filter to the events stored before it existed (once)."""
    count = metrics.backfill_metric_filter(ctx.obj, group, name)
    doc = {"logGroupName": group, "filterName": name, "datapoints": count}
    render.done(json_out, f"{count} datapoint(s) published from stored events", doc)


def install_pack_command(
    ctx: typer.Context,
    pack: Annotated[str, typer.Argument(help="A pack: cis, or one of yours in <home>/content.")],
    log_group: Annotated[str, typer.Option(help="The CloudTrail log group.")],
    action: Annotated[list[str] | None, typer.Option(help="Alarm action ARN (repeat).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Install a pack of metric filters, each with its alarm, on a log group."""
    done = metrics.install_pack(ctx.obj, pack, log_group, action)
    if json_out:
        render.print_json(done)
        return
    render.out.print(f"{len(done.filters)} metric filters and {len(done.alarms)} alarms on "
                     f"{log_group}; dashboard {done.dashboard}", highlight=False)  # fmt: skip
    for warning in done.warnings:
        render.tagged("warning:", "yellow", warning)


# -- metrics ------------------------------------------------------------------------------------
def _numbers(text: str | None, option: str) -> list[float]:
    if not text:
        return []
    try:
        return [float(x) for x in text.split(",")]
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: numbers separated by commas") from exc


@metrics_app.command("put")
def metrics_put(
    ctx: typer.Context,
    namespace: str,
    name: str,
    value: Annotated[float | None, typer.Argument(help="One value (or use --values).")] = None,
    values: Annotated[str | None, typer.Option(help="Values: 1,2,3.")] = None,
    counts: Annotated[str | None, typer.Option(help="Their counts: 1,1,4.")] = None,
    statistic_values: Annotated[
        str | None, typer.Option(help="A statistic set: SampleCount,Sum,Minimum,Maximum.")
    ] = None,
    dimension: Dims = None,
    unit: Annotated[str, typer.Option(help="A CloudWatch unit.")] = "None",
    at: Annotated[str | None, typer.Option(help="The datapoint's time (default now).")] = None,
    high_resolution: Annotated[bool, typer.Option(help="1-second storage resolution.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Put one value (PutMetricData)."""
    stamp = clock.parse_moment(at, "--at") if at else clock.now_ms()
    stats = _numbers(statistic_values, "--statistic-values")
    if stats and len(stats) != 4:
        raise ConfigError("--statistic-values takes SampleCount,Sum,Minimum,Maximum")
    metric = metrics.Metric(namespace, name, _dims(dimension))
    datum = metrics.Datum(metric, stamp, value=value,
                  values=_numbers(values, "--values"), counts=_numbers(counts, "--counts"),
                  statistics=(stats[0], stats[1], stats[2], stats[3]) if stats else None,
                  unit=unit, resolution=1 if high_resolution else 60)  # fmt: skip
    metrics.put_metric_data(ctx.obj, [datum])
    doc = {"Namespace": namespace, "MetricName": name, "Timestamp": stamp, "stored": 1}
    render.done(json_out, f"{namespace}/{name}: 1 datum stored", doc)


@metrics_app.command("list")
def metrics_list(
    ctx: typer.Context,
    namespace: Annotated[str | None, typer.Option(help="Only this namespace.")] = None,
    name: Annotated[str | None, typer.Option(help="Only this metric name.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """List metrics (ListMetrics)."""
    found = metrics.list_metrics(ctx.obj, namespace, name)
    if json_out:
        rows = [
            {"Namespace": m.namespace, "MetricName": m.name,
             "Dimensions": [{"Name": k, "Value": v} for k, v in m.dimensions]}
            for m in found
        ]  # fmt: skip
        render.print_json({"Metrics": rows})
        return
    for m in found:
        dims = ",".join(f"{k}={v}" for k, v in m.dimensions)
        render.out.print(f"{m.namespace} {m.name} {dims}", highlight=False, markup=False)


@metrics_app.command("stats")
def metrics_stats(
    ctx: typer.Context,
    namespace: str,
    name: str,
    dimension: Dims = None,
    start: Start = "3h",
    end: End = None,
    period: Annotated[int, typer.Option(help="Seconds per datapoint.")] = 300,
    statistic: Annotated[
        list[str] | None, typer.Option("--stat", help="Sum, Average, p99 … (repeat).")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Only datapoints with this unit.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Statistics per period (GetMetricStatistics)."""
    first, last = clock.time_range(start, end)
    begin, finish = first or 0, last or clock.now_ms()
    metric = metrics.Metric(namespace, name, _dims(dimension))
    stats = statistic or list(metrics.BASIC)
    points = metrics.statistics(ctx.obj, metric, begin, finish, period, stats, unit)
    if json_out:
        render.print_json({"Label": name, "Datapoints": [p.as_aws() for p in points]})
        return
    rows = [{"timestamp": clock.iso_ms(p.timestamp), "unit": p.unit, **p.values} for p in points]
    render.dict_table(rows, title=f"{namespace}/{name}")


# -- alarms -------------------------------------------------------------------------------------
@alarms_app.command("put")
def alarms_put(
    ctx: typer.Context,
    name: str,
    namespace: Annotated[str, typer.Option(help="Metric namespace.")],
    metric_name: Annotated[str, typer.Option(help="Metric name.")],
    threshold: Annotated[float, typer.Option(help="The threshold.")],
    comparison: Annotated[
        str, typer.Option(help="GreaterThanOrEqualToThreshold, …")
    ] = "GreaterThanOrEqualToThreshold",
    statistic: Annotated[
        str, typer.Option(help="Sum, Average, Minimum, Maximum, SampleCount or pNN.")
    ] = "Sum",
    period: Annotated[int, typer.Option(help="Seconds.")] = 300,
    evaluation_periods: Annotated[int, typer.Option(help="N.")] = 1,
    datapoints_to_alarm: Annotated[int | None, typer.Option(help="M (default N).")] = None,
    treat_missing_data: Annotated[
        str, typer.Option(help="missing, ignore, breaching, notBreaching.")
    ] = "missing",
    dimension: Dims = None,
    action: Annotated[list[str] | None, typer.Option(help="ALARM action ARN (repeat).")] = None,
    ok_action: Annotated[list[str] | None, typer.Option(help="OK action ARN (repeat).")] = None,
    insufficient_data_action: Annotated[
        list[str] | None, typer.Option(help="INSUFFICIENT_DATA action ARN (repeat).")
    ] = None,
    actions_enabled: Annotated[bool, typer.Option(help="Run the actions on changes.")] = True,
    description: Annotated[str, typer.Option(help="Free text.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """Create or update a metric alarm (PutMetricAlarm)."""
    alarm = metrics.Alarm(
                  name=name, namespace=namespace, metric_name=metric_name, threshold=threshold,
                  comparison=comparison, period=period, evaluation_periods=evaluation_periods,
                  datapoints_to_alarm=datapoints_to_alarm, statistic=statistic,
                  dimensions=_dims(dimension), treat_missing_data=treat_missing_data,
                  description=description, alarm_actions=tuple(action or ()),
                  ok_actions=tuple(ok_action or ()),
                  insufficient_data_actions=tuple(insufficient_data_action or ()),
                  actions_enabled=actions_enabled)  # fmt: skip
    status = metrics.put_alarm(ctx.obj, alarm)
    render.done(json_out, f"alarm {name}: {status.state}", status.describe())


@alarms_app.command("list")
def alarms_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Alarms with their state (DescribeAlarms)."""
    found = metrics.alarms(ctx.obj)
    composites = metrics.composite_alarms(ctx.obj)
    if json_out:
        render.print_json({"MetricAlarms": [a.describe() for a in found],
                           "CompositeAlarms": [c.describe() for c in composites]})  # fmt: skip
        return
    for a in found:
        render.out.print(f"{a.state:<18} {a.alarm.name}  {a.reason}",
                         highlight=False, markup=False, soft_wrap=True)  # fmt: skip
    for c in composites:
        render.out.print(f"{c.state:<18} {c.alarm.name} (composite: {c.alarm.rule})"
                         f"  {c.reason}", highlight=False, markup=False,
                         soft_wrap=True)  # fmt: skip


@alarms_app.command("evaluate")
def alarms_evaluate(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option(help="Evaluate as of this time (default now).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Evaluate every alarm once; prints the state changes."""
    moment = clock.parse_moment(at, "--at") if at else clock.now_ms()
    changed = metrics.evaluate_alarms(ctx.obj, moment)
    if json_out:
        render.print_json({"changed": [a.describe() for a in changed]})
        return
    for a in changed:
        render.out.print(f"{a.alarm.name} → {a.state}: {a.reason}",
                         highlight=False, markup=False, soft_wrap=True)  # fmt: skip
    render.out.print(f"{len(changed)} alarm(s) changed state", highlight=False)


@alarms_app.command("set-state")
def alarms_set_state(
    ctx: typer.Context, name: str, state: str, reason: str, json_out: JsonFlag = False
) -> None:
    """Force a state until the next evaluation (SetAlarmState)."""
    metrics.set_alarm_state(ctx.obj, name, state, reason)
    doc = {"AlarmName": name, "StateValue": state, "StateReason": reason}
    render.done(json_out, f"{name}: {state}", doc)


@alarms_app.command("delete")
def alarms_delete(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Delete an alarm."""
    metrics.delete_alarm(ctx.obj, name)
    render.done(json_out, f"deleted alarm {name}", {"AlarmName": name, "deleted": True})


@alarms_app.command("history")
def alarms_history(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this alarm.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """What happened to the alarms (DescribeAlarmHistory)."""
    items = metrics.alarm_history(ctx.obj, name)
    if json_out:
        render.print_json({"AlarmHistoryItems": [h.describe() for h in items]})
        return
    for h in items:
        render.out.print(f"{clock.iso_ms(h.timestamp)} {h.alarm_name} {h.item_type}: "
                         f"{h.summary}", highlight=False, markup=False)  # fmt: skip
