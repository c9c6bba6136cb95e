"""Benchmark: the built-in flow-log and CloudTrail detection on DuckDB and on Spark.

Every enabled flow_logs and cloudtrail unit over the whole of a cached lake of `--flows` flow
records, and of one of `--events` CloudTrail records (each with the demo's attacks added, so
that there are findings to compare), on DuckDB (memory_limit 2GB, spilling to disk, as `vigil
detect` runs it) and on Spark `local[1]` and `local[2]` (Vigil's session: a 2g JVM heap).
Each configuration runs in a process of its own (`--one ENGINE`), so its peak memory is its
own: the Python driver's and the Spark JVM's (VmHWM, read from /proc before the process ends).

    python benchmarks/engines.py --flows 2000000 --events 200000
    python benchmarks/engines.py --flows 20000000 --events 2000000 --per-unit --json
    python benchmarks/engines.py --flows 20000000 --flow-copies 10 --events 10000000 \
        --event-copies 2 --engines duckdb --json > duckdb.txt   # 200M flows, 20M events
    python benchmarks/engines.py --merge duckdb.txt local2.txt local1.txt   # runs side by side

`--flow-copies K` / `--event-copies K` make the large lakes without K times the ingest (an hour
for 200M flow records on 2 cores): the ingested lake is written K times over, each copy moved
on in time by the lake's span of days (its times, its `date` partitions, and its record ids
and source files marked with the copy, so that no two records are the same). The detection
then has K times the records, the days and the findings of the base lake.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import CACHE, cached, flow_dataset, machine
from detect_cloudtrail import LAKE_LAYOUT, dataset
from vigil.config import Settings, SparkSettings
from vigil.ingest.pipeline import IngestOptions, ingest

ENGINES = ("duckdb", "local[1]", "local[2]")
SOURCES = ("flow_logs", "cloudtrail")
MiB = 2**20


ATTACKS = (  # the demo's attacks, flows on the flow lake's first day, events on the trail's
    "import random; from dataclasses import replace; from pathlib import Path; import numpy as np; "
    "from vigil.demo import attacks, flowfiles, trail, scenario as sc; from vigil.demo.flows "
    "import Columns; root = Path({root!r}); day = attacks.day_start('2026-11-01')\n"
    "found, _ = attacks.attack_flows(np.random.default_rng(7), day)\n"
    "for fl in sc.FLOW_LOGS:\n"
    "    parts = [c for eni in fl.enis for c in found.get(eni, [])]\n"
    "    if parts: flowfiles.write(replace(fl, destination='s3'), Columns.concat(parts), root)\n"
    "day = attacks.day_start('2026-11-02'); trail.reseed(7)\n"
    "ev, _ = attacks.attack_events(random.Random(7), day); trail.write(ev, root, day)\n"
    "Path({root!r}, '.done').write_text(str(len(ev)))"
)


def lake(data: Path, name: str) -> Path:
    """A cached dataset and the demo's attacks, ingested once into a cached lake."""
    attacks = CACHE / "engines-attacks"
    cached(attacks, "the demo's attacks", ATTACKS.format(root=str(attacks)))
    home = Settings.load(CACHE / f"lake{LAKE_LAYOUT}-{name}-attacks")
    if not (home.home / ".ready").exists():
        print(f"ingesting {data} and the attacks into {home.lake_dir} (once) …", flush=True)
        ingest(home, [str(data), str(attacks)], IngestOptions())
        (home.home / ".ready").write_text("ok")
    return Path(home.lake_dir)


SHIFTED = {  # each source's columns that a copy moves on in time or marks as its own
    "flow_logs": 'start + {s} AS start, "end" + {s} AS "end", '
    "source_file || '#{k}' AS source_file",
    "cloudtrail": "strftime(event_ts::TIMESTAMP + INTERVAL {s} SECOND, '%Y-%m-%dT%H:%M:%SZ') "
    "AS eventtime, (event_ts::TIMESTAMP + INTERVAL {s} SECOND)::TIMESTAMPTZ AS event_ts, "
    "eventid || '-{k}' AS eventid, "
    "source_file || '#{k}' AS source_file",
}


def copies(base: Path, source: str, k: int) -> Path:
    """`base` (a lake folder) with its `source` written `k` times over, each copy moved on in
    time by the base's span of days: a cached lake folder of its own."""
    import duckdb

    out = base.parent.parent / f"{base.parent.name}-x{k}" / "lake"
    if (out.parent / ".ready").exists():
        return out
    print(f"writing {k} copies of {base / source} into {out} (once) …", flush=True)
    files = sorted((base / source).rglob("*.parquet"))
    days = sorted({f.parent.name for f in files})
    first, last = (date.fromisoformat(d.split("=")[1]) for d in (days[0], days[-1]))
    span = (last - first).days + 1
    con = duckdb.connect(config={"memory_limit": "2GB", "threads": 2})
    for i in range(k):
        for f in files:
            day = date.fromisoformat(f.parent.name.split("=")[1]) + timedelta(days=i * span)
            rel = f.relative_to(base).parent.parent / f"date={day}"
            (out / rel).mkdir(parents=True, exist_ok=True)
            moved = SHIFTED[source].format(s=i * span * 86400, k=i)
            con.execute(
                f"COPY (SELECT * REPLACE ({moved}) "
                "FROM read_parquet(?, hive_partitioning = false)) TO "
                f"'{out / rel / f.name}' (FORMAT parquet, COMPRESSION zstd)",
                [str(f)],
            )
    con.close()
    (out.parent / ".ready").write_text("ok")
    return out


def lakes(
    flows: int, per_day: int, events: int, flow_copies: int = 1, event_copies: int = 1
) -> dict[str, tuple[Path, int]]:
    """The cached lakes (generated and ingested once; copied in time when asked): each
    source's folder and records. CloudTrail is generated a day of at most 1M events at a
    time, as detect_cloudtrail.py."""
    data, n = flow_dataset(flows, per_day)
    flow_lake = lake(data, f"flows-{n}")
    day = min(events, 1_000_000)
    days = max(1, events // day)
    data, m = dataset(day, days)
    trail_lake = lake(data, f"trail-{day}x{days}")
    if flow_copies > 1:
        flow_lake, n = copies(flow_lake, "flow_logs", flow_copies), n * flow_copies
    if event_copies > 1:
        trail_lake, m = copies(trail_lake, "cloudtrail", event_copies), m * event_copies
    return {"flow_logs": (flow_lake, n), "cloudtrail": (trail_lake, m)}


def settings(engine: str, home: Path) -> Settings:
    if engine == "duckdb":
        return Settings(home=home)
    return Settings(home=home, engine="spark", spark=SparkSettings(master=engine))


def run_source(how: Settings, lake_dir: Path, source: str) -> dict[str, Any]:
    """Every enabled unit of `source` over the whole lake: the set-up's time (views, intel,
    the data's range), then each unit's time, hits and findings (and a digest of their ids)."""
    from vigil.detect.runner import data_range, detection_connection
    from vigil.detect.sql import run_unit
    from vigil.detect.units import UnitError, load_units

    units = [u for u in load_units()[0] if u.source == source and u.enabled and not u.silent]
    began = time.perf_counter()
    con = detection_connection(lake_dir, None, how=how)
    out: dict[str, Any] = {"units": {}, "errors": {}}
    try:
        low, high = data_range(con, source)
        assert low and high, f"no {source} in {lake_dir}"
        out["setup"] = time.perf_counter() - began
        for unit in units:
            began = time.perf_counter()
            try:
                found = run_unit(con, unit, low, high + timedelta(seconds=1))
            except UnitError as exc:  # named in the report, left out of the times
                out["errors"][unit.id] = str(exc.__cause__ or exc).splitlines()[0][:240]
                continue
            ids = sorted({f.id for f, _ in found})
            digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:12]
            out["units"][unit.id] = [time.perf_counter() - began, len(found), len(ids), digest]
    finally:
        con.close()
    out["seconds"] = sum(u[0] for u in out["units"].values())
    return out


def peak(pid: int) -> int:
    """A process's peak RSS in bytes (VmHWM: that of its own image, unlike ru_maxrss, which
    keeps the forking parent's across exec); 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return sum(int(x.split()[1]) * 1024 for x in status.splitlines() if x.startswith("VmHWM:"))


def jvm_peak() -> int:
    """Peak RSS (bytes) of this process's descendants still running (the Spark JVM and
    whatever it started); when none is, that of the reaped ones."""
    parent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # the field after the command's closing parenthesis: state, then the parent id
            parent[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    mine = {os.getpid()}
    while grown := {p for p, pp in parent.items() if pp in mine} - mine:
        mine |= grown
    total = sum(peak(pid) for pid in mine - {os.getpid()})
    return total or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def one(engine: str, places: dict[str, tuple[Path, int]]) -> dict[str, Any]:
    """One configuration, in this process: JSON of its times, findings and peak memory."""
    from vigil.query.engine import engine_kept

    with tempfile.TemporaryDirectory() as tmp:
        how = settings(engine, Path(tmp))
        began = time.perf_counter()
        with engine_kept(how):  # one Spark for both lakes
            start = time.perf_counter() - began
            result = {s: run_source(how, places[s][0], s) for s in SOURCES}
        wall = time.perf_counter() - began
    driver = peak(os.getpid())
    return {"engine": engine, "start": start, "wall": wall, "sources": result,
            "driver_rss": driver, "jvm_rss": jvm_peak() if engine != "duckdb" else 0}  # fmt: skip


def child(engine: str, argv: list[str]) -> dict[str, Any] | None:
    """Run one configuration in a fresh process (a Spark master per process launch)."""
    print(f"  running {engine} …", flush=True)
    cmd = [sys.executable, __file__, "--one", engine, *argv]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"WARNING: {engine} failed, left out:\n{done.stderr[-2000:]}")
        return None
    doc: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return doc


def units_time(doc: dict[str, Any], only: tuple[str, ...] = SOURCES) -> float:
    return sum(float(doc["sources"][s]["seconds"]) for s in only)


def table(docs: list[dict[str, Any]], flows: int, events: int) -> None:
    timed = [docs[0]["sources"][s]["timed"] for s in SOURCES]
    print(f"{timed[0]} flow-log and {timed[1]} CloudTrail units (those that ran on every engine)")
    print(f"{'engine':<9} {'start s':>7} {'flow s':>8} {'flows/s':>10} {'trail s':>8} "
          f"{'events/s':>9} {'units s':>8} {'rows/s':>9} {'driver MiB':>10} {'JVM MiB':>8} "
          f"{'findings':>8}")  # fmt: skip
    for d in docs:
        f, t, both = units_time(d, SOURCES[:1]), units_time(d, SOURCES[1:]), units_time(d)
        jvm = f"{d['jvm_rss'] / MiB:,.0f}" if d["jvm_rss"] else "-"
        found = sum(d["sources"][s]["findings"] for s in SOURCES)
        print(f"{d['engine']:<9} {d['start']:7.1f} {f:8.1f} {flows / f:10,.0f} {t:8.1f} "
              f"{events / t:9,.0f} {both:8.1f} {(flows + events) / both:9,.0f} "
              f"{d['driver_rss'] / MiB:10,.0f} {jvm:>8} {found:8}")  # fmt: skip


def compared(docs: list[dict[str, Any]]) -> list[str]:
    """Times over the units that ran on every engine (a unit one engine refuses is left out
    of all); the units refused, and those whose findings (count, hits, ids) differ."""
    out = []
    for s in SOURCES:
        every = set.intersection(*(set(d["sources"][s]["units"]) for d in docs))
        for d in docs:
            units = d["sources"][s]["units"]
            d["sources"][s]["seconds"] = sum(units[u][0] for u in every)
            d["sources"][s]["findings"] = sum(units[u][2] for u in every)
            d["sources"][s]["timed"] = len(every)
            out += [
                f"{u} failed on {d['engine']}: {e}" for u, e in d["sources"][s]["errors"].items()
            ]
        for uid in sorted(every):
            if len({tuple(d["sources"][s]["units"][uid][1:]) for d in docs}) > 1:
                per = ", ".join(f"{d['engine']} {d['sources'][s]['units'][uid][2]}" for d in docs)
                out.append(f"{uid}: findings differ ({per})")
    return out


def verdicts(docs: list[dict[str, Any]]) -> dict[str, float]:
    """Time ratios: local[2] over local[1] (the scaling from 1 to 2 executors; target ≤ 0.6)
    and each Spark over DuckDB (below 1: Spark overtakes DuckDB), over all units and per
    source."""
    by = {d["engine"]: d for d in docs}
    pairs = [("local[2]", "local[1]"), *((e, "duckdb") for e in by if e != "duckdb")]
    out = {}
    for top, bottom in (p for p in pairs if p[0] in by and p[1] in by):
        for only in (SOURCES, *((s,) for s in SOURCES)):
            key = f"{top}/{bottom}" + ("" if len(only) > 1 else f" {only[0]}")
            out[key] = units_time(by[top], only) / units_time(by[bottom], only)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=int, default=5_000_000, help="flow records a day")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--flow-copies", type=int, default=1, help="the flow lake K times")
    parser.add_argument("--event-copies", type=int, default=1, help="the trail K times")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--per-unit", action="store_true", help="each unit's time per engine")
    parser.add_argument("--json", action="store_true", help="one JSON line of every figure")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="report earlier runs' --json output together (one engine each)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: one configuration
    args = parser.parse_args()
    if args.merge:
        report(*merged(args.merge), args.per_unit, args.json)
        return
    places = lakes(args.flows, args.per_day, args.events, args.flow_copies, args.event_copies)
    if args.one:
        print(json.dumps(one(args.one, places)))
        return
    argv = ["--flows", str(args.flows), "--per-day", str(args.per_day),
            "--events", str(args.events), "--flow-copies", str(args.flow_copies),
            "--event-copies", str(args.event_copies)]  # fmt: skip
    flows, events = places["flow_logs"][1], places["cloudtrail"][1]
    print(f"engines — {flows:,} flow records, {events:,} CloudTrail events — {machine()}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    print("DuckDB: memory_limit 2GB, spilling to disk; Spark: Vigil's session (2g JVM heap)")
    docs = [d for e in args.engines.split(",") if (d := child(e, argv)) is not None]
    report(docs, flows, events, args.per_unit, args.json)


def merged(files: list[str]) -> tuple[list[dict[str, Any]], int, int]:
    """The runs of earlier reports (each file: a report's output; its last line the JSON),
    all over the same lakes."""
    docs = [json.loads(Path(f).read_text().strip().splitlines()[-1]) for f in files]
    sizes = {(d["flows"], d["events"]) for d in docs}
    if len(sizes) != 1:
        raise SystemExit(f"the reports are of different lakes: {sorted(sizes)}")
    flows, events = sizes.pop()
    print(f"engines — {flows:,} flow records, {events:,} CloudTrail events — "
          f"{docs[0]['machine']} (merged from {len(files)} reports)")  # fmt: skip
    return [run for d in docs for run in d["runs"]], flows, events


def report(docs: list[dict[str, Any]], flows: int, events: int, per_unit: bool,
           as_json: bool) -> None:  # fmt: skip
    differ = compared(docs)
    table(docs, flows, events)
    for line in differ:
        print(f"WARNING: {line}")
    found = verdicts(docs)
    for key, ratio in found.items():
        what = "scaling, target ≤ 0.6" if key.startswith("local[2]/local[1]") else (
            "Spark faster" if ratio < 1 else "DuckDB faster")  # fmt: skip
        print(f"time {key}: {ratio:.2f} ({what})")
    if per_unit:
        for s in SOURCES:
            print(f"\n{s} units (seconds / findings): " + "  ".join(d["engine"] for d in docs))
            for uid in docs[0]["sources"][s]["units"]:
                cells = [d["sources"][s]["units"].get(uid) for d in docs]
                print(f"  {uid:<60} " + "  ".join(
                    f"{c[0]:7.2f}/{c[2]:<4}" if c else "      -" for c in cells))  # fmt: skip
    if as_json:
        doc = {"machine": machine(), "flows": flows, "events": events, "verdicts": found,
               "differ": differ, "runs": docs}  # fmt: skip
        print(json.dumps(doc))


if __name__ == "__main__":
    main()
