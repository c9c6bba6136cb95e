"""`vigil demo`: the AnyCompany scenario end to end, explained for a newcomer."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil.demo.generate import SCALES
from vigil.shells import render


def demo_command(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option(help=f"Data volume: {', '.join(SCALES)}.")] = "small",
    day: Annotated[
        str, typer.Option(help="The UTC day the demo traffic happens on.")
    ] = "2026-11-24",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """AnyCompany: generate 3 accounts x 2 regions of logs with attacks, ingest, query, detect."""
    from vigil.demo.run import run_demo
    from vigil.shells.cli import _progress

    with _progress(enabled=not json_out) as (on_listed, on_object):
        result = run_demo(ctx.obj, scale, day, on_listed, on_object)
    gen = result.generated
    records = {t: sum(r.records[t] for r in result.reports) for t in result.reports[0].records}
    if json_out:
        render.print_json(
            {
                "data": str(gen.root),
                "files": gen.files,
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
            }
        )
        return
    out = render.out
    out.rule("[bold]AnyCompany demo")
    out.print(
        f"Generated one day ({gen.day}) for an organization of 3 accounts in 2 regions under "
        f"[bold]{gen.root}[/]:\n"
        f"  • VPC Flow Logs: {gen.files.get('s3', 0)} S3 text files for instance A1 (fl-aaa, "
        f"ACCEPT only), a CloudWatch Logs export for subnet B (fl-bbb, ALL), Hive-partitioned "
        f"hourly v5 custom-format files for the development VPC, hourly Parquet for Sydney "
        f"production. "
        f"Instance A2 has no flow log, as in the course example.\n"
        f"  • CloudTrail: an organization trail, {gen.files.get('cloudtrail', 0)} log files, "
        f"with digest files beside them (recorded, not ingested).",
        highlight=False,
    )
    ingested = sum(r.ingested for r in result.reports)
    rejected = sum(r.rejected for r in result.reports)
    out.print(
        f"\nIngested {ingested} files in {result.seconds:.1f} s: "
        + ", ".join(f"{n:,} rows into {t}" for t, n in records.items())
        + f"; {rejected} rejected records.",
        highlight=False,
    )
    for title, sql, table in result.results:
        out.print(f"\n[bold cyan]{title}[/]\n[dim]{sql}[/]", highlight=False)
        render.arrow_table(table)
    found = sum(1 for a in result.attacks if a["found_by"])
    out.print(
        f"\n[bold]Embedded attacks and what `vigil detect` found[/] ({found} of "
        f"{len(result.attacks)} found, {len(result.findings)} findings in all; ground truth in "
        f"{gen.ground_truth}):",
        highlight=False,
    )
    for attack in sorted(result.attacks, key=lambda a: str(a["start"])):
        mark = (
            f"[green]found[/] {attack['found_by'][:8]}" if attack["found_by"] else "[red]missed[/]"
        )
        out.print(
            f"  {mark}  {attack['start']}  {attack['finding_type']}: {attack['description']}",
            highlight=False,
        )
    from vigil.demo.alarms import TRAIL_GROUP

    out.print(
        f"\n[bold]CIS alarms on the trail's log group[/] ({TRAIL_GROUP}: the 14 Security Hub "
        f"CloudWatch.1-14 metric filters, each with an alarm, evaluated every 5 minutes over the "
        f"day): {len(result.alarms)} fired",
        highlight=False,
    )
    for alarm in result.alarms:
        out.print(
            f"  [red]ALARM[/] {alarm['at']}  {alarm['alarm']}: {alarm['reason']}",
            highlight=False,
            soft_wrap=True,
        )
    response = result.response
    out.print(
        f"\n[bold]Automated response[/] (rules in {ctx.obj.home / 'rules'}): severity ≥ 7 findings "
        f"to a webhook on {response.get('webhook')} — {len(response.get('received', []))} "
        "delivered:",
        highlight=False,
    )
    for item in response.get("received", []):
        out.print(f"  → {item['severity']}  {item['finding_type']}", highlight=False)
    for plan in response.get("plans", []):
        steps = "; ".join(
            f"{st['service']}:{st['operation']} {st['params']}" for st in plan["steps"]
        )
        mode = "applied" if plan["applied"] else "dry-run, recorded, nothing changed"
        out.print(
            f"  playbook {plan['playbook']} ({mode}): {plan['summary']} — {steps}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    posture = result.posture
    out.print(
        f"\n[bold]Posture of the logging set-up[/] (snapshot {posture.get('snapshot')}):",
        highlight=False,
    )
    for name, s in posture.get("scores", {}).items():
        out.print(f"  {s['score']:>3}%  {name} ({s['passed']}/{s['total']})", highlight=False)
    for row in posture.get("failed", []):
        color = "red" if row["status"] == "FAILED" else "yellow"
        bad = [r for r in row["resources"] if r["status"] == row["status"]]
        out.print(
            f"  [{color}]{row['status']}[/] {row['check']}: "
            f"{bad[0]['reason'] if bad else row['title']}",
            highlight=False,
            soft_wrap=True,
        )
    for c in posture.get("changes", []):
        out.print(
            f"  [magenta]{c['kind']} since last week[/] {c['check']} {c['account']} "
            f"{c['resource']}: {c['before']} → {c['after']}",
            highlight=False,
            soft_wrap=True,
        )
    ineffective = [p for p in posture.get("proven", []) if p["verdict"] == "ineffective"]
    for p in ineffective:
        out.print(
            f"  [red]ineffective[/] {p['control']}: the configured filter missed "
            f"{len(p['missed'])} of "
            f"{p['events']} event(s) in the lake ({', '.join(p['missed'][:3])})",
            highlight=False,
            soft_wrap=True,
        )
    integrity = result.integrity
    out.print(
        "\n[bold]CloudTrail integrity[/] (signed hourly digests, as `vigil trail validate`):",
        highlight=False,
    )
    for line in integrity.get("summary", []):
        out.print(f"  {line}", highlight=False)
    for item in integrity.get("invalid", []):
        out.print(
            f"  [red]INVALID[/] {item['file']}: {item['reason']}", highlight=False, soft_wrap=True
        )
    for line in result.detect_errors:
        render.err.print(f"[red]error:[/] {line}", highlight=False, soft_wrap=True)
    home = ctx.obj.home
    out.print(
        f"\nTry: [bold]vigil --home {home} findings list[/]  ·  "
        f'[bold]vigil --home {home} query "SELECT eventname, count(*) FROM cloudtrail '
        f'GROUP BY 1 ORDER BY 2 DESC LIMIT 10"[/]  ·  [bold]vigil --home {home} lake info[/]  ·  '
        f"[bold]vigil --home {home} posture report --format html --out posture.html[/]  ·  "
        f"[bold]vigil --home {home} posture diff[/]",
        highlight=False,
    )
