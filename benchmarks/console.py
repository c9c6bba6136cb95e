"""Benchmark: the web console in Debian's Chromium (Playwright) against a real `vigil serve`.

The home holds the demo's findings plus 1,000 imported ones, and the flow lake of
ingest_flowlogs.py (default 20,000,000 records, 5,000,000 a day). Measured, each over
`--trials` runs after a warm-up:

* the findings page: navigation start to first contentful paint, and to the load event;
* an Insights query over one day of flow logs (the whole page: the query and its histogram);
* a bulk update of 1,000 findings from the findings page ("all matching the filter");
* the CIS pack's dashboard of 14 alarm widgets;
* the overview, and entity pages (a user, a role of 30% of the calls, an access key, an
  address, a network interface, a bucket, an account) over a 30-day window of a lake that also
  holds `--trail-events` CloudTrail events (default 10,000,000), with `--findings` findings in
  the hub (default 10,000: 1,000 scanner findings and the rest naming the lake's entities).

Targets (issue 13): findings page ≤ 1 s; Insights over a day ≤ 2 s; 1,000 findings ≤ 2 s;
the 14-alarm dashboard ≤ 1 s; (issue 24) entity pages ≤ 1 s p50. Prints p50/p99 and the
server's peak RSS. A small run: --records 400000 --per-day 200000 --trail-events 1000000
--findings 2000.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, flow_dataset, machine, trail_dataset

PASSWORD = "bench-console-pass"


def vigil(home: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "vigil", "--home", str(home), *args],
                          capture_output=True, text=True, input=stdin)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"vigil {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def prepare(records: int, per_day: int, trail_events: int = 0) -> tuple[Path, str]:
    """The bench home (once): the demo, the flow lake, the CloudTrail lake, a user."""
    flows, total = flow_dataset(records, per_day)
    trail, events = trail_dataset(trail_events) if trail_events else (None, 0)
    home = CACHE / (f"console-{total}" + (f"-trail-{events}" if events else ""))
    if not (home / ".ready").exists():
        home.mkdir(parents=True, exist_ok=True)
        print("building the console's bench home (once) …", flush=True)
        vigil(home, "demo", "--json")
        vigil(home, "ingest", str(flows), "--json")
        if trail is not None:
            vigil(home, "ingest", str(trail), "--json")
        vigil(home, "users", "create", "bench", "--role", "admin", "--password-stdin",
              stdin=PASSWORD + "\n")  # fmt: skip
        (home / ".ready").write_text("ok")
    rows = json.loads(vigil(home, "query", "--json",
                            "SELECT min(date)::VARCHAR AS d FROM flow_logs"))  # fmt: skip
    return home, str(rows[0]["d"])


def import_findings(home: Path, url: str, count: int = 1000) -> None:
    """`count` ASFF findings through Security Hub's BatchImportFindings (the same ids each
    run): 1,000 scanner findings, the rest naming the lake's principals and addresses."""
    import boto3

    key = json.loads(vigil(home, "keys", "create", "--json"))
    hub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])  # fmt: skip
    for start in range(0, count, 100):
        made = [
            _finding(i) if i < 1000 else _named(i) for i in range(start, min(count, start + 100))
        ]
        hub.batch_import_findings(Findings=made)


def _named(i: int) -> dict[str, object]:
    """A finding about one of the lake's users and an address, as a detector reports it."""
    user = ("alice", "bob", "carol")[i % 3]
    return {**_finding(i), "Types": ["TTPs/Discovery/Recon:IAMUser-Bench"],
            "Title": f"Bench recon {i}",
            "Resources": [{"Type": "AwsIamUser", "Id": f"arn:aws:iam::222222222222:user/{user}"}],
            "Network": {"Direction": "IN", "SourceIpV4": f"203.0.113.{i % 250}"}}  # fmt: skip


def _finding(i: int) -> dict[str, object]:
    return {
        "SchemaVersion": "2018-10-08", "Id": f"bench-{i:04d}",
        "ProductArn": "arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default",
        "GeneratorId": "bench-scanner", "AwsAccountId": "222222222222",
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2026-11-24T12:00:00Z", "UpdatedAt": "2026-11-24T12:00:00Z",
        "Severity": {"Label": "MEDIUM"}, "Title": f"Bench finding {i}",
        "Description": "a scanner's finding for the console benchmark",
        "Resources": [{"Type": "AwsEc2Instance", "Id": f"i-{i:017x}"}],
    }  # fmt: skip


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.3f} s, p99 {p99:.3f} s, max {ordered[-1]:.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--per-day", type=int, default=5_000_000)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--trail-events", type=int, default=10_000_000)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument(
        "--only-entities",
        action="store_true",
        help="Time the overview, the findings page and entity pages only.",
    )
    args = parser.parse_args()
    home, day = prepare(args.records, args.per_day, args.trail_events)

    from playwright.sync_api import sync_playwright

    from serving import start

    proc, url = start(home)
    results: list[tuple[str, str]] = []
    try:
        import_findings(home, url, max(1000, args.findings))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])  # fmt: skip
            page = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=url)
            page.goto("/login?next=/findings")  # the overview is timed on its own below
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/findings"))

            paint, load = [], []
            for n in range(args.trials + 1):
                page.goto("/findings")
                fcp = page.evaluate("""() => new Promise(done => {
                    const seen = performance.getEntriesByName('first-contentful-paint');
                    if (seen.length) return done(seen[0].startTime);
                    new PerformanceObserver(l => done(l.getEntries()[0].startTime))
                        .observe({type: 'paint', buffered: true}); })""")
                nav = page.evaluate("() => performance.getEntriesByType('navigation')[0]"
                                    ".loadEventEnd")  # fmt: skip
                if n:  # the first is the warm-up
                    paint.append(fcp / 1000)
                    load.append(nav / 1000)
            results.append(("findings page, first contentful paint", percentiles(paint)))
            results.append(("findings page, load event", percentiles(load)))
            results += entity_pages(page, home, args.trials)
            if args.only_entities:
                browser.close()
                raise _Done

            query = ("/search?run=1&mode=insights&table=flow_logs&q=stats+count(*)+as+flows+by+"
                     f"action&start={day}T00:00:00Z&end={day}T23:59:59Z")  # fmt: skip
            times = []
            for n in range(max(3, args.trials // 2) + 1):
                began = time.perf_counter()
                page.goto(query)
                page.wait_for_selector("#result-count")
                if n:
                    times.append(time.perf_counter() - began)
            rows = page.locator("#result-count").inner_text()
            results.append((f"Insights over one day of flow logs ({day}; {rows})",
                            percentiles(times)))  # fmt: skip

            times = []
            for n, state in enumerate(("NOTIFIED", "NEW", "NOTIFIED", "NEW")):
                page.goto("/findings?type=Software+and+Configuration+Checks/Vulnerabilities/CVE")
                bulk = page.locator("fieldset.bulk")
                bulk.get_by_label("Workflow").select_option(state)
                bulk.locator("input[name=scope]").check()
                began = time.perf_counter()
                page.get_by_role("button", name="Apply to selected").click()
                page.wait_for_selector(".flash")
                elapsed = time.perf_counter() - began
                flash = page.locator(".flash").first.inner_text()
                if n:
                    times.append(elapsed)
            results.append((f"bulk update, whole filter ({flash})", percentiles(times)))

            times = []
            for n in range(args.trials + 1):
                began = time.perf_counter()
                page.goto("/dashboards/CIS-alarms")
                page.wait_for_load_state("load")
                widgets = page.locator(".widget-alarm").count()
                if n:
                    times.append(time.perf_counter() - began)
            results.append((f"dashboard of {widgets} alarm widgets", percentiles(times)))
            browser.close()
    except _Done:
        pass
    finally:
        status = Path(f"/proc/{proc.pid}/status").read_text()
        peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
        proc.kill()
        proc.wait()
    print(f"\nconsole — {machine()}")
    for label, figure in results:
        print(f"  {label:<64} {figure}")
    print(f"  server peak RSS {int(peak) // 1024} MiB")


class _Done(Exception):
    """The measures asked for are taken."""


def entity_pages(page: Any, home: Path, trials: int) -> list[tuple[str, str]]:
    """The overview and one page of each kind of entity, loaded whole (queries, chart)."""
    found = json.loads(vigil(home, "query", "--json", (
        "SELECT (SELECT any_value(useridentity.accesskeyid) FROM cloudtrail WHERE "
        "useridentity.arn LIKE '%user/alice') AS akey, (SELECT interface_id FROM flow_logs "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1) AS eni")))[0]  # fmt: skip
    pages = [
        ("overview", "/"),
        ("principal: a user", "/entities/principal/arn:aws:iam::222222222222:user%2Falice"),
        ("principal: a role of 30% of calls",
         "/entities/principal/arn:aws:iam::222222222222:role%2Fapp-server-role"),
        ("principal: an access key", f"/entities/principal/{found['akey']}"),
        ("address", "/entities/address/203.0.113.10"),
        ("network interface", f"/entities/instance/{found['eni']}"),
        ("bucket", "/entities/bucket/anycompany-customer-data"),
        ("account", "/entities/account/222222222222"),
    ]  # fmt: skip
    out = []
    for label, path in pages:
        if "/entities/" in path:
            path += "?window=30d"  # the lake's generated days are early in the month
        times = []
        runs = 1 if path == "/" else trials + 1  # the overview's posture report reads the lake
        for n in range(runs):
            began = time.perf_counter()
            page.goto(path, timeout=600_000)
            page.wait_for_load_state("load")
            if n or runs == 1:
                times.append(time.perf_counter() - began)
        out.append((f"{label} page", percentiles(times)))
    return out


if __name__ == "__main__":
    main()
