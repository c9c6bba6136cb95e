"""`vigil demo`: the AnyCompany scenario end to end, explained for a newcomer; with --serve,
then the server on the demo home, the day's CloudTrail replayed through PutLogEvents (the push
API) in compressed real time, and each finding printed as it arrives."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from vigil.api import Settings, access, findings
from vigil.api import serve as serve_api
from vigil.demo.scales import SCALES
from vigil.shells import render
from vigil.shells.cli.options import EngineOption, on_engine
from vigil.shells.cli.server import run_server

if TYPE_CHECKING:  # the demo's generators load Arrow: only when the demo runs
    from vigil.demo.run import DemoResult


def demo_command(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option(help=f"Data volume: {', '.join(SCALES)}.")] = "small",
    day: Annotated[
        str, typer.Option(help="The UTC day the demo traffic happens on.")
    ] = "2026-11-24",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help=(
                "Then serve the demo home and replay the day's CloudTrail through the push API, "
                "printing findings as they arrive."
            ),
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="The server's port, with --serve.")] = 8700,
    replay_seconds: Annotated[
        float, typer.Option(help="With --serve, replay the day in this many seconds.")
    ] = 120.0,
    benign: Annotated[
        int,
        typer.Option(
            "--benign",
            metavar="DAYS",
            help=(
                "Instead, generate DAYS days of ordinary work without an attack (engineers, "
                "deployments, scanners, AWS services), run every detection and show what it "
                "raised: the false alarms a quiet week costs."
            ),
        ),
    ] = 0,
    engine: EngineOption = None,
) -> None:
    """AnyCompany: generate 3 accounts x 2 regions of logs with attacks, ingest, query, detect."""
    from vigil.demo.run import run_demo
    from vigil.shells.cli.progress import object_progress

    if benign:
        _quiet_week(ctx, benign, json_out)
        return

    with object_progress(enabled=not json_out) as (on_listed, on_object):
        result = run_demo(on_engine(ctx.obj, engine), scale, day, on_listed, on_object)
    if json_out:
        render.print_json(_document(result))
        return
    _tell(ctx, result, serve, port)
    if serve:
        serve_demo(ctx.obj, result.generated.root, day, port, replay_seconds)


def _document(result: DemoResult) -> dict[str, object]:
    """The demo's result as one JSON document (--json)."""
    gen = result.generated
    records = {t: sum(r.records[t] for r in result.reports) for t in result.reports[0].records}
    return {
        "data": str(gen.root),
        "files": gen.files,
        "generated": {
            "flow_records": gen.flow_records,
            "cloudtrail_events": gen.cloudtrail_events,
            "dns_queries": gen.dns_queries,
            "access_log_records": gen.access_log_records,
        },
        "records": records,
        "seconds": round(result.seconds, 2),
        "queries": [
            {"title": t, "sql": s, "rows": tbl.to_pylist()} for t, s, tbl in result.results
        ],
        "ground_truth": result.attacks,
        "findings": len(result.findings),
        "alarms": result.alarms,
        "response": result.response,
        "integrity": result.integrity,
        "posture": result.posture,
        "console": result.console,
    }


def _tell(ctx: typer.Context, result: DemoResult, serve: bool, port: int) -> None:
    """The demo's story for a newcomer, section by section."""
    records = {t: sum(r.records[t] for r in result.reports) for t in result.reports[0].records}
    _generated(result, records)
    _queries(result)
    _attacks(result)
    _alarms(result)
    _response(ctx, result)
    _posture(result)
    _integrity(result)
    _next_steps(ctx, result, serve, port)


def _generated(result: DemoResult, records: dict[str, int]) -> None:
    """What was generated and ingested."""
    say = render.styled
    render.out.rule(Text("AnyCompany demo", style="bold"))
    gen = result.generated
    say(
        f"Generated one day ({gen.day}) for an organization of 3 accounts in 2 regions under ",
        (str(gen.root), "bold"),
        ":\n"
        f"  • VPC Flow Logs: {gen.files.get('s3', 0)} S3 text files for instance A1 (fl-aaa, "
        f"ACCEPT only), a CloudWatch Logs export for subnet B (fl-bbb, ALL), Hive-partitioned "
        f"hourly v5 custom-format files for the development VPC, hourly Parquet for Sydney "
        f"production. "
        f"Instance A2 has no flow log, as in the course example.\n"
        f"  • CloudTrail: an organization trail, {gen.files.get('cloudtrail', 0)} log files, "
        f"with digest files beside them (recorded, not ingested).\n"
        f"  • Route 53 Resolver query logs: {gen.dns_queries:,} queries from every instance of "
        f"the 3 VPCs (A2 included: query logging covers the whole VPC), "
        f"{gen.files.get('dns', 0)} hourly files in the log archive.\n"
        f"  • S3 server access logs: {gen.access_log_records:,} requests to "
        f"anycompany-customer-data, {gen.files.get('s3-access', 0)} objects under a "
        f"partitioned prefix of anycompany-access-logs.",
    )
    ingested = sum(r.ingested for r in result.reports)
    rejected = sum(r.rejected for r in result.reports)
    say(
        f"\nIngested {ingested} files in {result.seconds:.1f} s: "
        + ", ".join(f"{n:,} rows into {t}" for t, n in records.items())
        + f"; {rejected} rejected records."
    )


def _queries(result: DemoResult) -> None:
    """The example queries and their answers."""
    say = render.styled
    for title, sql, table in result.results:
        say("\n", (title, "bold cyan"), "\n", (sql, "dim"))
        render.arrow_table(table)


def _attacks(result: DemoResult) -> None:
    """The embedded attacks, each found or missed."""
    say = render.styled
    found = sum(1 for a in result.attacks if a["found_by"])
    say(
        "\n",
        ("Embedded attacks and what `vigil detect` found", "bold"),
        f" ({found} of {len(result.attacks)} found, {len(result.findings)} findings in all; "
        f"ground truth in {result.generated.ground_truth}):",
    )
    for attack in sorted(result.attacks, key=lambda a: str(a["start"])):
        mark: list[render.Part] = (
            [("found", "green"), f" {attack['found_by'][:8]}"]
            if attack["found_by"]
            else [("missed", "red")]
        )
        say("  ", *mark, f"  {attack['start']}  {attack['finding_type']}: {attack['description']}")


def _alarms(result: DemoResult) -> None:
    """The CIS alarms that fired on the trail's log group."""
    say = render.styled
    from vigil.demo.alarms import TRAIL_GROUP

    say(
        "\n",
        ("CIS alarms on the trail's log group", "bold"),
        f" ({TRAIL_GROUP}: the 14 Security Hub CloudWatch.1-14 metric filters, each with an alarm, "
        f"evaluated every 5 minutes over the day): {len(result.alarms)} fired",
    )
    for alarm in result.alarms:
        say("  ", ("ALARM", "red"), f" {alarm['at']}  {alarm['alarm']}: {alarm['reason']}")


def _response(ctx: typer.Context, result: DemoResult) -> None:
    """What the automated response delivered and planned."""
    say = render.styled
    response = result.response
    say(
        "\n",
        ("Automated response", "bold"),
        f" (rules in {ctx.obj.home / 'rules'}): severity ≥ 7 findings to a webhook on "
        f"{response.get('webhook')} — {len(response.get('received', []))} delivered:",
    )
    for item in response.get("received", []):
        say(f"  → {item['severity']}  {item['finding_type']}")
    for plan in response.get("plans", []):
        steps = "; ".join(
            f"{st['service']}:{st['operation']} {st['params']}" for st in plan["steps"]
        )
        mode = "applied" if plan["applied"] else "dry-run, recorded, nothing changed"
        say(f"  playbook {plan['playbook']} ({mode}): {plan['summary']} — {steps}")


def _posture(result: DemoResult) -> None:
    """The posture of the logging set-up."""
    say = render.styled
    posture = result.posture
    say("\n", ("Posture of the logging set-up", "bold"), f" (snapshot {posture.get('snapshot')}):")
    for name, s in posture.get("scores", {}).items():
        say(f"  {s['score']:>3}%  {name} ({s['passed']}/{s['total']})")
    for row in posture.get("failed", []):
        color = "red" if row["status"] == "FAILED" else "yellow"
        bad = [r for r in row["resources"] if r["status"] == row["status"]]
        reason = bad[0]["reason"] if bad else row["title"]
        say("  ", (row["status"], color), f" {row['check']}: {reason}")
    for c in posture.get("changes", []):
        say(
            "  ",
            (f"{c['kind']} since last week", "magenta"),
            f" {c['check']} {c['account']} {c['resource']}: {c['before']} → {c['after']}",
        )
    ineffective = [p for p in posture.get("proven", []) if p["verdict"] == "ineffective"]
    for p in ineffective:
        say(
            "  ",
            ("ineffective", "red"),
            f" {p['control']}: the configured filter missed {len(p['missed'])} of "
            f"{p['events']} event(s) in the lake ({', '.join(p['missed'][:3])})",
        )


def _integrity(result: DemoResult) -> None:
    """CloudTrail integrity, as `vigil trail validate` says it."""
    say = render.styled
    integrity = result.integrity
    say(
        "\n",
        ("CloudTrail integrity", "bold"),
        " (signed hourly digests, as `vigil trail validate`):",
    )
    for line in integrity.get("summary", []):
        say(f"  {line}")
    for item in integrity.get("invalid", []):
        say("  ", ("INVALID", "red"), f" {item['file']}: {item['reason']}")
    for line in result.detect_errors:
        render.tagged("error:", "red", line)


def _next_steps(ctx: typer.Context, result: DemoResult, serve: bool, port: int) -> None:
    """Commands to try next, and how to open the console."""
    say = render.styled
    home = ctx.obj.home
    tries = [
        f"vigil --home {home} findings list",
        f'vigil --home {home} query "SELECT eventname, count(*) FROM cloudtrail '
        'GROUP BY 1 ORDER BY 2 DESC LIMIT 10"',
        f"vigil --home {home} lake info",
        f"vigil --home {home} posture report --format html --out posture.html",
        f"vigil --home {home} posture diff",
    ]
    parts: list[render.Part] = ["\nTry: "]
    for n, command in enumerate(tries):
        parts += ["  ·  "] if n else []
        parts.append((command, "bold"))
    say(*parts)
    sign_in = result.console
    how = "" if serve else f"run {sign_in['serve']}, then "
    user, password = (sign_in["user"], "bold"), (sign_in["password"], "bold")
    say("\n", ("Console", "bold"), f": {how}open http://127.0.0.1:{port}/ and sign in as ",
        user, " with the password ", password)  # fmt: skip


def _quiet_week(ctx: typer.Context, days: int, json_out: bool) -> None:
    from vigil.demo.benign import quiet_week
    from vigil.errors import ConfigError
    from vigil.shells.cli.progress import object_progress

    if not 1 <= days <= 28:
        raise ConfigError(f"--benign {days}: give between 1 and 28 days", hint="--benign 7")
    with object_progress(enabled=not json_out) as (on_listed, on_object):
        week = quiet_week(ctx.obj, days=days, on_listed=on_listed, on_object=on_object)
    units = week.by_unit()
    if json_out:
        render.print_json(
            {
                "data": str(week.root),
                "files": week.files,
                "records": week.records,
                "seconds": round(week.seconds, 2),
                "findings": len(week.findings),
                "units": units,
                "errors": week.errors,
            }
        )
        return
    render.out.rule(Text("A quiet week at AnyCompany", style="bold"))
    render.styled(
        f"{week.records:,} CloudTrail records of ordinary work over {days} day(s) in "
        f"{week.files} files under ",
        (str(week.root), "bold"),
        f", ingested and detected in {week.seconds:.1f} s: {len(week.findings)} finding(s) "
        f"from {len(units)} unit(s).",
    )
    for unit, row in units.items():
        color = "red" if row["severity"] >= 7 else "yellow" if row["severity"] >= 4 else "dim"
        render.styled(
            "  ",
            (f"{row['severity']:>4}", color),
            f"  {row['findings']:>3} x {unit}: {row['example']}",
        )
    for line in week.errors:
        render.tagged("error:", "red", line)
    render.styled(
        "\nEach is a finding a tuning exception or a parameter can silence: ",
        (f"vigil --home {ctx.obj.home} content show <unit>", "bold"),
    )


def serve_demo(settings: Settings, root: Path, day: str, port: int, seconds: float) -> None:
    from vigil.demo import live

    config = serve_api.ServeConfig.load(settings, {"port": port})
    url = f"http://127.0.0.1:{config['port']}"
    key = access.create_key(settings)
    token = access.create_token(settings, label="demo").token
    render.out.rule("Vigil is serving the demo home")
    render.line(f"  API and AWS endpoints: {url}   (token for the native API: {token})")
    render.line(f"  AWS CLI: AWS_ACCESS_KEY_ID={key['AccessKeyId']} AWS_SECRET_ACCESS_KEY="
                f"{key['SecretAccessKey']} aws --endpoint-url {url} --region us-east-1 logs "
                "describe-log-groups")  # fmt: skip
    render.line(f"  Replaying {day}'s CloudTrail into {live.GROUP} over {seconds:.0f} s; "
                "new findings appear below. Ctrl-C stops.")  # fmt: skip
    threading.Thread(target=_replay, args=(settings, url, key, root, day, seconds),
                     daemon=True).start()  # fmt: skip
    run_server(settings, config)


def _replay(settings: Settings, url: str, key: dict[str, str], root: Path, day: str,
            seconds: float) -> None:  # fmt: skip
    import boto3
    import httpx

    from vigil.demo import live

    for _ in range(300):
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    logs = boto3.client("logs", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])  # fmt: skip
    for call, args in ((logs.create_log_group, {"logGroupName": live.GROUP}),
                       (logs.create_log_stream, {"logGroupName": live.GROUP,
                                                 "logStreamName": "replay"})):  # fmt: skip
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            call(**args)
    seen = {f.id: f.last_seen for f in findings.list_findings(settings)}

    def put(events: list[tuple[int, str]]) -> None:
        batch = [{"timestamp": t, "message": m} for t, m in events]
        logs.put_log_events(logGroupName=live.GROUP, logStreamName="replay", logEvents=batch)
        time.sleep(0.5)
        for f in findings.list_findings(settings):
            if seen.get(f.id) != f.last_seen:
                kind = "new finding" if f.id not in seen else "seen again "
                seen[f.id] = f.last_seen
                render.line(f"  {kind}  {f.severity_label:<8} {f.type}  {f.title}")

    sent = live.replay(put, root, day, seconds)
    render.line(f"  replay done: {sent} records sent; still serving on {url} (Ctrl-C stops)")
