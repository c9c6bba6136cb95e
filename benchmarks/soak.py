"""Benchmark: a busy day on a real `vigil serve`, for `--seconds` (10 minutes by default).

Two boto3 writers put at capacity (1 MiB PutLogEvents calls, one after another): one into a
plain log group of JSON application lines, one into a CloudTrail log group declared as a
source (so its records go through the lake and detection). Beside them, Logs Insights queries,
findings queries (native API and Security Hub's GetFindings) and console pages run in a loop.

It reports, against the targets: every console page ≤ 1 s p50, PutLogEvents p99 ≤ 1 s, the
events taken in the last minute within 20% of the first minute, the server's memory a minute
after the load within 20% of where it started, and every acknowledged event stored exactly
once (counted by id in the log groups and in the lake afterwards).

    python benchmarks/soak.py [--seconds 600] [--settle 60] [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from common import machine

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from helpers import vigil
from serving import Server, start

PAGES = ("/", "/findings", "/alarms", "/sources", "/search", "/detections", "/dashboards",
         "/response", "/posture")  # fmt: skip
PASSWORD = "soak-password-1234"


class Load:
    """What the writers and readers saw, second by second."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {"app": 0, "org-trail": 0}
        self.per_second: dict[int, int] = {}
        self.put_latency: list[float] = []
        self.slowest: list[tuple[float, str, float]] = []  # (seconds, group, wall time started)
        self.page_latency: dict[str, list[float]] = {page: [] for page in PAGES}
        self.reads: dict[str, list[float]] = {"insights": [], "findings": [], "getfindings": []}
        self.errors: list[str] = []
        self.stop = threading.Event()

    def took(self, group: str, events: int, seconds: float) -> None:
        with self.lock:
            self.acked[group] += events
            self.put_latency.append(seconds)
            self.slowest = sorted([*self.slowest, (seconds, group, time.time() - seconds)])[-8:]
            second = int(time.monotonic())
            self.per_second[second] = self.per_second.get(second, 0) + events


def _app_line(ident: str) -> str:
    return json.dumps({"id": ident, "level": "INFO", "msg": "request served",
                       "path": "/api/orders", "status": 200, "ms": 12})  # fmt: skip


def _trail_record(ident: str) -> str:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({
        "eventVersion": "1.09", "eventTime": now, "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15", "requestParameters": {"bucketName": "data", "key": ident},
        "responseElements": None, "eventID": ident, "readOnly": True,
        "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333",
                         "arn": "arn:aws:iam::111122223333:user/reader",
                         "accessKeyId": "AKIAEXAMPLEREADER001"}})  # fmt: skip


def writer(server: Server, group: str, line: Callable[[str], str], load: Load) -> None:
    logs = server.logs()
    stream = f"soak-{uuid.uuid4().hex[:6]}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    size = len(line("0" * 32)) + 26
    per_call = min(10_000, (1_048_576 - 4096) // size)
    while not load.stop.is_set():
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": line(uuid.uuid4().hex)} for _ in range(per_call)]
        began = time.perf_counter()
        try:
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except Exception as exc:  # a refused call is counted, not retried: it was not taken
            load.errors.append(f"PutLogEvents {group}: {exc}")
            continue
        load.took(group, per_call, time.perf_counter() - began)


def reader(name: str, call: Callable[[], None], pause: float, load: Load) -> None:
    while not load.stop.is_set():
        began = time.perf_counter()
        try:
            call()
        except Exception as exc:
            load.errors.append(f"{name}: {exc}")
        load.reads[name].append(time.perf_counter() - began)
        load.stop.wait(pause)


def console(url: str, load: Load) -> None:
    client = httpx.Client(base_url=url, timeout=300, follow_redirects=True)
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "soak", "password": PASSWORD, "csrf_token": csrf,
                                "next": "/"})  # fmt: skip
    while not load.stop.is_set():
        for path in PAGES:
            began = time.perf_counter()
            reply = client.get(path)
            if reply.status_code != 200:
                load.errors.append(f"console {path}: {reply.status_code}")
            load.page_latency[path].append(time.perf_counter() - began)
            if load.stop.is_set():
                return


def _pages_once(url: str) -> None:
    load = Load()
    thread = threading.Thread(target=console, args=(url, load))
    thread.start()
    while not any(load.page_latency.values()) or not load.page_latency[PAGES[-1]]:
        time.sleep(0.2)
    load.stop.set()
    thread.join()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stored(server: Server, since_ms: int) -> dict[str, tuple[int, int]]:
    """(events, distinct ids) in the plain group (Insights) and in the lake (SQL)."""
    token = {"Authorization": f"Bearer {server.admin_token}"}
    insights = httpx.post(server.url + "/api/v1/insights", headers=token, timeout=600, json={
        "log_groups": ["app"], "start": "2h", "query": "stats count(*) as n, "
        "count_distinct(id) as ids"}).json()  # fmt: skip
    row = insights["rows"][0] if insights.get("rows") else {"error": insights}
    if "n" not in row:
        print(f"  Insights count failed: {row}", flush=True)
    sql = ("SELECT count(*) AS n, count(DISTINCT eventid) AS ids FROM cloudtrail "
           "WHERE eventname = 'GetObject'")  # fmt: skip
    lake = httpx.post(server.url + "/api/v1/query", headers=token, timeout=600,
                      json={"sql": sql}).json()["rows"][0]  # fmt: skip
    return {"app": (int(row.get("n", 0)), int(row.get("ids", 0))),
            "org-trail": (int(lake["n"]), int(lake["ids"]))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--settle", type=int, default=60, help="seconds after the load")
    parser.add_argument("--home", help="keep the server's home here (its serve.log)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home or tmp) / "home"
        home.mkdir(parents=True)
        key = json.loads(vigil(home, "keys", "create", "--json").stdout)
        token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
        vigil(home, "users", "create", "soak", "--role", "viewer", "--password-stdin",
              stdin=PASSWORD + "\n")  # fmt: skip
        vigil(home, "sources", "add", "trail", "--log-group", "org-trail", "--type", "cloudtrail")
        proc, url = start(home)
        server = Server(url, home, proc, key, key, token, token)
        load = Load()
        try:
            logs = server.logs()
            for group in ("app", "org-trail"):
                logs.create_log_group(logGroupName=group)
            began_ms = int(time.time() * 1000)
            hub = server.client("securityhub")
            admin = {"Authorization": f"Bearer {token}"}

            def insights() -> None:
                query = logs.start_query(logGroupName="app", queryString=(
                    "filter status = 200 | stats count(*) by bin(1m)"),
                    startTime=int(time.time()) - 600, endTime=int(time.time()))  # fmt: skip
                while logs.get_query_results(queryId=query["queryId"])["status"] in (
                    "Scheduled", "Running"):  # fmt: skip
                    time.sleep(0.2)

            threads = [
                threading.Thread(target=writer, args=(server, "app", _app_line, load)),
                threading.Thread(target=writer, args=(server, "org-trail", _trail_record, load)),
                threading.Thread(target=reader, args=("insights", insights, 2.0, load)),
                threading.Thread(
                    target=reader,
                    args=(
                        "findings",
                        lambda: httpx.get(
                            url + "/api/v1/findings", headers=admin, timeout=300
                        ).raise_for_status(),
                        2.0,
                        load,
                    ),
                ),
                threading.Thread(
                    target=reader,
                    args=("getfindings", lambda: hub.get_findings(MaxResults=50), 2.0, load),
                ),
                threading.Thread(target=console, args=(url, load)),
            ]
            print(f"soak — {machine()}\n  {args.seconds} s of load, then {args.settle} s",
                  flush=True)  # fmt: skip
            # the starting level is a server that has served each kind of request once (its
            # modules, models and templates loaded), not one that has served nothing
            for group, line in (("app", _app_line), ("org-trail", _trail_record)):
                logs.create_log_stream(logGroupName=group, logStreamName="warm")
                event = {"timestamp": int(time.time() * 1000), "message": line(uuid.uuid4().hex)}
                logs.put_log_events(logGroupName=group, logStreamName="warm", logEvents=[event])
                load.acked[group] += 1
            insights()
            httpx.get(url + "/api/v1/findings", headers=admin, timeout=300)
            hub.get_findings(MaxResults=50)
            _pages_once(url)
            time.sleep(args.settle / 2)
            start_rss = rss_kib(proc.pid)
            rss: list[tuple[float, int]] = []
            t0 = time.monotonic()
            for thread in threads:
                thread.start()
            while time.monotonic() - t0 < args.seconds:
                time.sleep(5)
                rss.append((time.monotonic() - t0, rss_kib(proc.pid)))
                with load.lock:
                    total = sum(load.acked.values())
                print(f"  {time.monotonic() - t0:6.0f} s  {total:>10,} events acked  "
                      f"RSS {rss[-1][1] / 1024:.0f} MiB", flush=True)  # fmt: skip
            load.stop.set()
            for thread in threads:
                thread.join(600)
            settled = time.monotonic()
            while time.monotonic() - settled < args.settle:
                time.sleep(min(10, max(0.1, args.settle - (time.monotonic() - settled))))
                print(f"  settling {time.monotonic() - settled:4.0f} s  RSS "
                      f"{rss_kib(proc.pid) / 1024:.0f} MiB", flush=True)  # fmt: skip
            end_rss = rss_kib(proc.pid)
            seconds = sorted(load.per_second)
            first = sum(load.per_second[s] for s in seconds if s < seconds[0] + 60)
            last = sum(load.per_second[s] for s in seconds if s > seconds[-1] - 60)
            counts = stored(server, began_ms)
            result = {
                "seconds": args.seconds, "acked": load.acked, "stored": counts,
                "events_first_minute": first, "events_last_minute": last,
                "put_p50": p(load.put_latency, 0.5), "put_p99": p(load.put_latency, 0.99),
                "pages_p50": {k: p(v, 0.5) for k, v in load.page_latency.items()},
                "pages_p99": {k: p(v, 0.99) for k, v in load.page_latency.items()},
                "reads_p50": {k: p(v, 0.5) for k, v in load.reads.items()},
                "rss_start_mib": start_rss / 1024, "rss_end_mib": end_rss / 1024,
                "rss_peak_mib": max(r for _, r in rss) / 1024 if rss else 0,
                "errors": load.errors[:20], "error_count": len(load.errors),
                "slowest_puts": [(round(t, 2), g, time.strftime("%H:%M:%S", time.gmtime(w)))
                                 for t, g, w in load.slowest],
            }  # fmt: skip
            print(json.dumps(result, indent=2))
            verdicts = {
                "every console page ≤ 1 s p50": all(v <= 1 for v in result["pages_p50"].values()),
                "PutLogEvents p99 ≤ 1 s": result["put_p99"] <= 1,
                "last minute within 20% of the first": last >= 0.8 * first,
                "memory back within 20%": end_rss <= 1.2 * start_rss,
                "every acknowledged event stored once": all(
                    counts[g] == (load.acked[g], load.acked[g]) for g in counts),
            }  # fmt: skip
            for label, ok in verdicts.items():
                print(f"  {'met ' if ok else 'MISSED'}  {label}")
            print("  page p50s: " + ", ".join(f"{k} {v:.2f}s" for k, v in
                                               result["pages_p50"].items()))  # fmt: skip
            print(f"  events/min first {first:,} last {last:,}; PutLogEvents p50 "
                  f"{result['put_p50']:.3f} s p99 {result['put_p99']:.3f} s; RSS start "
                  f"{start_rss / 1024:.0f} MiB, peak {result['rss_peak_mib']:.0f} MiB, after "
                  f"{end_rss / 1024:.0f} MiB", flush=True)  # fmt: skip
        finally:
            load.stop.set()
            proc.terminate()
            proc.wait(60)


if __name__ == "__main__":
    main()
