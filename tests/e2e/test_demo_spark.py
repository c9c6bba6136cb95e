"""The demo's detection on Spark (`local[2]`) writes the same findings as on DuckDB: every
built-in unit over the AnyCompany lake, into a findings hub of its own, finding for finding
(ids, units, groups, severities, counts, first and last seen, sample evidence ids)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helpers import SPARK_SMALL_DATA
from vigil.api import detect
from vigil.api.findings import list_findings
from vigil.config import Settings, SparkSettings
from vigil.demo.run import run_demo

pytest.importorskip("pyspark")

pytestmark = pytest.mark.slow  # Spark plans each of the 126 units: two minutes or more


def hub(settings: Settings) -> list[tuple[Any, ...]]:
    return sorted(
        (f.id, f.unit, f.type, tuple(sorted(f.key.items())), f.severity, f.account, f.region,
         f.resource_id, f.first_seen, f.last_seen, f.count, f.actor, tuple(f.sample_evidence))
        for f in list_findings(settings) if f.product == "vigil"
    )  # fmt: skip


def test_the_demos_detection_on_spark_equals_duckdbs(tmp_path: Path, spark_running: None) -> None:
    demo = Settings.load(tmp_path / "demo")
    demo.ensure()
    assert all(r.clean for r in run_demo(demo, "small", "2026-11-24").reports)
    found = {}
    for engine in ("duckdb", "spark"):  # a fresh home each, over the demo's lake
        home = replace(Settings.load(tmp_path / engine), lake=str(demo.lake_dir), engine=engine,
                       spark=SparkSettings(master="local[2]", conf=SPARK_SMALL_DATA))  # fmt: skip
        report = detect.run(home)
        assert report.errors == [], engine
        assert report.units >= 120, engine
        found[engine] = (report.hits, report.findings, hub(home))
    assert found["spark"] == found["duckdb"]
    hits, per_unit, findings = found["duckdb"]
    assert hits and len(findings) >= 10 and len(per_unit) >= 8  # the demo's attacks are found
