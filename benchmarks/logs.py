"""Benchmark: CloudWatch Logs in Vigil.

* PutLogEvents: calls at the limits (10,000 events or 1 MiB) into one stream, events/s;
* filter patterns over stored events (SQL path) and in Python (streaming), events/s;
* Logs Insights `stats … by bin(5m)` over the stored events, seconds;
* alarm evaluation: 1,000 alarms at once, seconds.

The stored events (default 10M application-log messages, JSON and plain text, over one day) are
written once into a cached home under benchmarks/.cache.

    python benchmarks/logs.py [--events 10000000] [--puts 300000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common import CACHE, machine
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.insights.run import run_insights
from vigil.lake.locking import lake_lock
from vigil.lake.tables import LOG_EVENTS
from vigil.lake.writer import Batch
from vigil.logs.files import chunks
from vigil.logs.groups import LogStore
from vigil.logs.pattern_match import compile_pattern
from vigil.logs.pattern_sql import filter_sql
from vigil.logs.put import InputEvent, commit, put_log_events
from vigil.metrics.alarms import Alarm, AlarmStore
from vigil.metrics.store import Datum, Metric, MetricStore
from vigil.query.engine import open_engine

GROUP = "app/web"
PATTERNS = {
    "term": "ERROR",
    "two terms, one excluded": "ERROR -timeout",
    "JSON": "{ $.status >= 500 && $.method = POST }",
    "space-delimited": "[ip, user, ts, request, status=5*, bytes]",
    "space-delimited, a number": "[ip, user, ts, request, status, bytes>40000, ...]",
}
CHUNK = 1_000_000


def messages(rng: np.random.Generator, n: int) -> pa.Array:
    """Half JSON access records, half plain text lines, like a web tier's log group."""
    ips = pa.array([f"10.0.{i // 250}.{i % 250}" for i in range(1000)])
    users = pa.array(["alice", "bob", "carol", "dave", "-"])
    paths = pa.array(["/", "/login", "/api/orders", "/api/cart", "/static/app.js"])
    statuses = pa.array(["200", "200", "200", "302", "404", "500", "503"])
    pick = lambda values: values.take(pa.array(rng.integers(0, len(values), n)))  # noqa: E731
    status, ip, user, path = pick(statuses), pick(ips), pick(users), pick(paths)
    size = pc.cast(pa.array(rng.integers(100, 50_000, n)), pa.string())
    method = pick(pa.array(["GET", "GET", "POST"]))
    as_json = pc.binary_join_element_wise(
        '{"ip": "', ip, '", "user": "', user, '", "method": "', method, '", "path": "', path,
        '", "status": ', status, ', "bytes": ', size, "}", "",
    )  # fmt: skip
    level = pick(pa.array(["INFO", "INFO", "INFO", "WARN", "ERROR"]))
    detail = pick(pa.array(["ok", "slow", "timeout", "retry"]))
    as_text = pc.binary_join_element_wise(
        ip, user, "[27/Nov/2026:10:00:00 +0000]", pc.binary_join_element_wise(
            '"', method, " ", path, ' HTTP/1.1"', ""), status, size, level, detail, " ",
    )  # fmt: skip
    return pc.if_else(pa.array(rng.random(n) < 0.5), as_json, as_text)


def stored(events: int) -> Settings:
    home = Settings.load(CACHE / f"logs-{events}")
    if (home.home / ".ready").exists():
        return home
    print(f"writing {events:,} log events into {home.home} (once) …", flush=True)
    rng = np.random.default_rng(7)
    with LogStore(home) as store:
        store.create_group(GROUP)
        store.create_stream(GROUP, "i-1")
    now = now_ms()
    start = now - now % 86_400_000 - 86_400_000  # yesterday, 00:00 UTC
    for offset in range(0, events, CHUNK):
        n = min(CHUNK, events - offset)
        stamps = np.sort(rng.integers(start, start + 86_400_000, n))
        day = np.datetime64(start, "ms").astype("datetime64[D]").item()
        table = pa.table(
            {
                "log_group": pa.array([GROUP] * n),
                "log_stream": pa.array(["i-1"] * n),
                "timestamp": pa.array(stamps, pa.int64()),
                "ingestion_time": pa.array([now] * n, pa.int64()),
                "message": messages(rng, n),
                "event_id": pc.cast(pa.array(np.arange(offset, offset + n)), pa.string()),
                "source_file": pa.array([f"logs://{GROUP}/i-1"] * n),
            }
        )
        batch = Batch(LOG_EVENTS)
        batch.add(("000000000000", "local", day), table)
        with lake_lock(home.home):
            commit(home, batch)
    (home.home / ".ready").write_text("ok")
    return home


def bench_put(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Settings.load(Path(tmp))
        with LogStore(home) as store:
            store.create_group("bench")
            store.create_stream("bench", "s")
        rng = np.random.default_rng(1)
        texts = messages(rng, n).to_pylist()
        now = now_ms()
        began = time.perf_counter()
        calls = chunks([InputEvent(now - 1000, t) for t in texts])  # ≤ 10,000 events and 1 MiB
        for part in calls:
            put_log_events(home, "bench", "s", part, now=now)
        seconds = time.perf_counter() - began
    return n / seconds, seconds


def bench_filters(home: Settings, events: int) -> None:
    con = open_engine(home)
    sample = [r[0] for r in con.rows("SELECT message FROM log_events LIMIT 500000")]
    for label, pattern in PATTERNS.items():
        sql = f"SELECT count(*) FROM ({filter_sql('SELECT * FROM log_events', pattern)})"
        began = time.perf_counter()
        hits = con.rows(sql)[0][0]
        seconds = time.perf_counter() - began
        matcher = compile_pattern(pattern)
        began = time.perf_counter()
        streamed = sum(1 for m in sample if matcher.matches(m))
        per_s = len(sample) / (time.perf_counter() - began)
        sql_part = f"SQL {events / seconds:>12,.0f} events/s ({seconds:5.2f} s, {hits:,} hits)"
        python_part = f"Python {per_s:>10,.0f} events/s ({streamed:,} of 500k)"
        print(f"  {label:<26} {sql_part}   {python_part}")
    con.close()


def bench_insights(home: Settings) -> None:
    for query in (
        "stats count(*) by bin(5m)",
        "filter status >= 500 | stats count(*) as errors, avg(bytes) by bin(5m)",
    ):
        began = time.perf_counter()
        rows = run_insights(home, query, groups=[GROUP]).num_rows
        print(f"  {query:<70} {time.perf_counter() - began:6.2f} s  ({rows} rows)")


def bench_alarms(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = Settings.load(Path(tmp))
        now = now_ms()
        with MetricStore(home) as metrics, AlarmStore(home) as alarms:
            data = [Datum(Metric("Bench", f"m{i % 100}"), now - 60_000 * k, value=float(k))
                    for i in range(100) for k in range(1, 16)]  # fmt: skip
            metrics.put(data, now=now)
            for i in range(count):
                alarm = Alarm(
                    name=f"a{i}",
                    namespace="Bench",
                    metric_name=f"m{i % 100}",
                    threshold=float(i % 15),
                    comparison="GreaterThanThreshold",
                    period=60,
                    evaluation_periods=3,
                    statistic="Average",
                )
                alarms.put(alarm, now)
            began = time.perf_counter()
            changed = alarms.evaluate(now, metrics)
            seconds = time.perf_counter() - began
    print(f"  {count:,} alarms evaluated in {seconds:.2f} s ({len(changed)} changed state)")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--puts", type=int, default=300_000)
    parser.add_argument("--alarms", type=int, default=1000)
    args = parser.parse_args()
    print(f"logs — {machine()}")
    rate, seconds = bench_put(args.puts)
    print(
        f"\nPutLogEvents, calls of up to 10,000 events / 1 MiB: {rate:,.0f} events/s "
        f"({args.puts:,} in {seconds:.1f} s)"
    )
    home = stored(args.events)
    print(f"\nfilter patterns over {args.events:,} stored events:")
    bench_filters(home, args.events)
    print(f"\nInsights over {args.events:,} events:")
    bench_insights(home)
    print("\nalarms:")
    bench_alarms(args.alarms)
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
