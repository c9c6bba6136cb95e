"""Detection units run on Spark (`local[2]`) raise the same findings as on DuckDB from the
same records: the same ids, groups, severities, windows, counts, first and last seen and
evidence ids, hit for hit. A sample covering what the SQL carried over to Spark must mean
the same (`vigil.query.spark.carry`): Sigma rules and their correlations, JSON paths, lists,
threat lists, the DGA model, intervals. Every unit runs on Spark over the demo's lake, which
has each source (flow logs with their RANGE frames, S3 access logs and CloudTrail as one
`s3_requests`, DNS and its domain lists, distinct counts over windows, the port scan):
tests/e2e/test_demo_spark.py. `vigil content test --engine spark` runs every unit's cases the
same way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helpers import SPARK_SMALL_DATA
from vigil.config import Settings, SparkSettings
from vigil.detect.harness import case_results, found_keys, matches
from vigil.detect.sigma_import import every_unit
from vigil.detect.units import Unit
from vigil.model.finding import Finding, Hit
from vigil.query.engine import engine_kept

pytest.importorskip("pyspark")

pytestmark = pytest.mark.slow  # Spark: seconds a case

SAMPLE = (
    "trojan-ec2-dgadomainrequest-c-dns",  # DNS; the DGA model's n-grams
    "execution-ssm-sendcommandtomany",  # JSON lists ([*] paths)
    "persistence-iam-roletrustoutsideorganization",  # JSON types, policies, accounts
    "impact-bedrock-llmjackingrecon",  # a Sigma temporal correlation
    "unauthorizedaccess-iamuser-consoleloginspray",  # a Sigma value_count correlation
    "stealth-ec2-flowlogsdeleted",  # a Sigma rule
    "recon-iamuser-toripcaller",  # threat lists, trusted lists, IPv6 ranges
    "unauthorizedaccess-iamuser-consoleloginbruteforce-identity",  # epoch() of an interval
)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory, spark_running: None) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp("spark-content") / "home"
    settings = replace(Settings.load(home), engine="spark",
                       spark=SparkSettings(master="local[2]", conf=SPARK_SMALL_DATA))  # fmt: skip
    with engine_kept(settings):
        yield settings


def units() -> list[Unit]:
    found, problems = every_unit(None, Path("/nonexistent"), list(SAMPLE), None, cases=True)
    assert not problems and sorted(u.id for u in found) == sorted(SAMPLE)
    return found


def shape(results: list[tuple[Finding, Hit]]) -> list[tuple[Any, ...]]:
    """What must be the same on both engines: everything but the summary's wording (numbers
    written as text may differ: 1.0E9 and 1000000000.0)."""
    return sorted(
        (f.id, f.unit, f.account, f.region, tuple(sorted(f.key.items())), f.severity,
         f.resource_id, h.window_start, h.first_seen, h.last_seen, h.count, h.actor,
         tuple(h.evidence))
        for f, h in results
    )  # fmt: skip


@pytest.mark.parametrize("unit", units(), ids=lambda u: u.id)
def test_a_unit_finds_the_same_on_spark_as_on_duckdb(spark: Settings, unit: Unit) -> None:
    raised = 0
    for case in unit.cases:
        on_duckdb = shape(case_results(unit, case))
        found = case_results(unit, case, spark)
        assert shape(found) == on_duckdb, case.name
        assert matches(case.expect, found_keys(found)), f"{case.name}: its expectation on Spark"
        raised += len(on_duckdb)
    assert raised, "the unit's cases raise findings to compare"
