"""Clients' queries under the server's limits, on a real `vigil serve` on loopback.

* A viewer's `SELECT * FROM range(N)` with `max_rows=5` through `POST /api/v1/query`: its
  latency, and how much the server's peak RSS grows (the result streams; reading stops at the
  limit, so it must not grow with N).
* An abandoned query: the client disconnects from a query that would run for minutes; with
  one query at a time (`query_concurrency: 1`), the time until the next query is answered is
  the time the server took to notice and stop it.
* A reader while compaction replaces files: engine opens (listing a table's files, claiming
  them) over a lake of many files, per second.

    python benchmarks/queries.py [--trials 20] [--rows 60000000] [--files 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from common import machine

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from latency import peak_rss, percentiles
from serving import serving

HEAVY = "SELECT sum(hash(range)) FROM range(20000000000)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rows", type=int, default=60_000_000)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    print(f"\nqueries — {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "vigil.yaml").write_text(yaml.safe_dump({"query_concurrency": 1}))
        with serving(home, loopback_targets=False) as server:
            token = {"Authorization": f"Bearer {server.viewer_token}"}

            def query(sql: str, timeout: float = 120, **body: object) -> httpx.Response:
                return httpx.post(server.url + "/api/v1/query", json={"sql": sql, **body},
                                  headers=token, timeout=timeout)  # fmt: skip

            query("SELECT 1")
            before = peak_rss(server.proc.pid)
            took = []
            for _ in range(args.trials):
                began = time.perf_counter()
                answer = query(f"SELECT * FROM range({args.rows})", max_rows=5)
                took.append(time.perf_counter() - began)
                assert answer.json()["truncated"], answer.text
            grown = (peak_rss(server.proc.pid) - before) / 2**20
            print(f"  range({args.rows:,}) with max_rows=5          {percentiles(took)}; "
                  f"server peak RSS +{grown:.0f} MiB", flush=True)  # fmt: skip
            stopped = []
            for _ in range(max(3, args.trials // 4)):
                with contextlib.suppress(httpx.ReadTimeout):
                    query(HEAVY, timeout=0.5)
                began = time.perf_counter()
                query("SELECT 1")  # waits for the one slot the abandoned query held
                stopped.append(time.perf_counter() - began)
            print(f"  abandoned query stopped, next one answered  {percentiles(stopped)}",
                  flush=True)  # fmt: skip
    readers(args.files)


def readers(files: int) -> None:
    """Engine opens per second over a lake of `files` small files in one partition each day."""
    from vigil.config import Settings
    from vigil.lake.writer import local_duckdb
    from vigil.query.engine import open_engine

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(Path(tmp) / "home")
        settings.ensure()
        con = local_duckdb()
        for n in range(files):
            part = (settings.lake_dir / "flow_logs" / "aws_account=111122223333" /
                    "aws_region=us-east-1" / f"date=2024-01-{n % 28 + 1:02d}")  # fmt: skip
            part.mkdir(parents=True, exist_ok=True)
            con.execute(f"COPY (SELECT {n}::BIGINT AS start, 'ACCEPT' AS action) TO "
                        f"'{part}/part-{n:05d}.parquet' (FORMAT parquet)")  # fmt: skip
        con.close()
        took = []
        for _ in range(10):
            began = time.perf_counter()
            with open_engine(settings) as engine:
                engine.query("SELECT count(*) FROM flow_logs WHERE date = '2024-01-03'")
            took.append(time.perf_counter() - began)
        print(f"  engine open + one pruned query, {files:,} files {percentiles(took)}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
