"""`vigil query` and `vigil detect` through a Spark Connect server (`spark.remote` in
vigil.yaml), started from the installed pyspark: the same rows and the same findings as
DuckDB over the same lake."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import SPARK_SLOW, vigil
from vigil.detect.harness import _write
from vigil.detect.sigma_import import every_unit

pytest.importorskip("pyspark")
from spark_kit import connect_server

pytestmark = pytest.mark.slow

UNITS = ("stealth-ec2-flowlogsdeleted", "recon-ec2-portscan")  # a Sigma rule, a flow-log unit


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """Two homes ingesting the same records (the units' first cases), one on DuckDB, the
    other on a Spark Connect server."""
    root = tmp_path_factory.mktemp("connect")
    units, problems = every_unit(None, Path("/nonexistent"), list(UNITS), None, cases=True)
    assert not problems
    for i, unit in enumerate(units):
        _write(unit.cases[0], root / "src" / str(i))
    duck, spark = root / "duck", root / "spark"
    done = vigil(duck, "ingest", str(root / "src"))
    assert done.returncode == 0, done.stderr
    shutil.copytree(duck, spark)
    with connect_server(root / "spark-logs") as url:
        (spark / "vigil.yaml").write_text(f"engine: spark\nspark:\n  remote: {url}\n")
        yield duck, spark


def output(home: Path, *args: str) -> Any:
    done = vigil(home, *args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout[:1500]
    return json.loads(done.stdout)


def test_a_query_through_spark_connect_reads_the_lake(homes: tuple[Path, Path]) -> None:
    duck, spark = homes
    sql = ("SELECT aws_account, count(*) AS n, sum(bytes) AS b FROM flow_logs "
           "GROUP BY aws_account ORDER BY aws_account")  # fmt: skip
    rows = output(spark, "query", sql)
    assert rows == output(duck, "query", sql) and rows and rows[0]["n"] > 0
    # DuckDB's SQL carried over to Spark's dialect
    written = "SELECT count(*) AS n FROM cloudtrail WHERE regexp_matches(eventname, '^Delete')"
    assert output(spark, "query", "--dialect", "duckdb", written) == output(duck, "query", written)


def test_detection_through_spark_connect_raises_duckdbs_findings(
    homes: tuple[Path, Path],
) -> None:
    duck, spark = homes
    chosen = [arg for unit in UNITS for arg in ("--unit", unit)]
    on_duckdb, on_spark = output(duck, "detect", *chosen), output(spark, "detect", *chosen)
    assert not on_spark["errors"] and on_spark["findings"] == on_duckdb["findings"]

    def kept(home: Path) -> list[tuple[Any, ...]]:
        found = output(home, "findings", "list")
        items = found["findings"] if isinstance(found, dict) else found
        return sorted((f["id"], f["count"], f["first_seen"], f["last_seen"]) for f in items)

    assert kept(spark) == kept(duck) and kept(duck)


def test_a_query_past_its_time_is_stopped_on_the_server(homes: tuple[Path, Path]) -> None:
    """The server's operation is interrupted (Spark Connect's tags), not left running. In a
    process of its own: a Spark Connect session turns pyspark's whole process to Connect."""
    _, spark = homes
    url = yaml.safe_load((spark / "vigil.yaml").read_text())["spark"]["remote"]
    script = f"""
import time
from vigil.errors import QueryError
from vigil.query.spark import open_spark
slow = {SPARK_SLOW!r}
with open_spark(None, remote={url!r}) as engine:
    started = time.monotonic()
    try:
        engine.bounded(slow, seconds=1)
    except QueryError as exc:
        print(round(time.monotonic() - started, 1), exc.message)
    print(engine.rows("SELECT 1 + 1"))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    took, after = done.stdout.strip().split("\n")
    assert float(took.split()[0]) < 15 and "stopped: it ran past 1 s" in took
    assert after == "[(2,)]"  # the session goes on
