"""Vigil's SQL (DuckDB's dialect, its macros) carried over to Spark means what it means on
DuckDB: each expression of the table below gives the same value on both engines, over the
same rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from vigil.errors import QueryError
from vigil.query.engine import Engine, open_engine, translated

pytest.importorskip("pyspark")
from vigil.query.spark import open_spark

pytestmark = pytest.mark.slow

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
     "Action": "s3:GetObject", "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1a2b"}}},
    {"Effect": "Deny", "Principal": "*", "Action": ["s3:*"]},
]}  # fmt: skip
ROWS = pa.table({
    "doc": [json.dumps(POLICY), json.dumps({"names": ["/a", "/b"], "n": 3, "ok": True}), None],
    "ts": pa.array([1717754700, 1717755999, 1717800000], pa.int64()),
    "ip": ["2001:db8:1:2::9", "198.51.100.7", "fe80::1%eth0"],
    "eventid": ["e3", "e1", "e2"],
    "grp": ["a", "a", "b"],
})  # fmt: skip

# DuckDB SQL, as units write it
EXPRESSIONS = [
    "format_bytes(ts * 1000)",
    "json_extract(doc, '$.Statement[0].Principal')",
    "json_extract(doc, '$.Statement[1].Principal')",
    "json_extract_string(doc, '$.Statement[1].Principal')",
    "json_extract(doc, '$.Statement[*]')",
    "json_extract_string(doc, '$.Statement[*].Effect')",
    "json_extract_string(doc, '$.names[*]')",
    "json_extract(doc, '$.Statement[0][*]')",
    "json_extract(doc, '$.names[*]')",
    "json_type(doc, '$.Statement')",
    "json_type(doc, '$.Statement[1].Principal')",
    "json_type(doc, '$.n')",
    "json_type(doc, '$.missing')",
    "json_keys(json_extract(doc, '$.Statement[0].Condition'))",
    "json_type(json_extract(doc, '$.\"' || 'Statement' || '\"'))",
    'json_extract(doc, \'$.Statement[0].Condition."StringEquals"."aws:SourceVpc"\')',
    "CAST(json_extract(doc, '$.Statement[0].Principal.AWS') AS VARCHAR)",
    "regexp_matches(coalesce(doc, ''), 'Deny') = (1 = 1)",
    "regexp_full_match(coalesce(ip, ''), '[0-9.]+')",
    "list_slice(['a', 'b', 'c', 'd'], 2, -1)",
    "['a', 'b', 'c', 'd'][1:2]",
    "list_distinct([grp, NULL, grp])",
    "time_bucket(INTERVAL 10 MINUTE, to_timestamp(ts))",
    "ceil(epoch(to_timestamp(ts) - to_timestamp(ts - 90)) / 60)",
    "time_bucket(INTERVAL 1 DAY, to_timestamp(ts))",
    "ipv6_key(ip)",
    "ct_source_prefix(ip)",
    "NOT is_private_addr(ipv4_to_int(ip), ip)",
    "label_entropy(coalesce(grp, ''))",
]
AGGREGATES = [
    "list(eventid ORDER BY ts)",
    "list(eventid ORDER BY ts DESC)",
    "list(eventid ORDER BY ts)[1:1]",
    "list(eventid ORDER BY ts) FILTER (WHERE grp = 'a')",
    "count(DISTINCT grp)",
]


@pytest.fixture(scope="module")
def engines(spark_running: None) -> Iterator[tuple[Engine, Engine]]:
    spark, duck = open_spark(None), open_engine(None)
    for engine in (spark, duck):
        engine.load_table("rows", ROWS)
    yield spark, duck
    spark.close()
    duck.close()


def both(engines: tuple[Engine, Engine], sql: str) -> tuple[Any, Any]:
    spark, duck = engines
    return (same(spark.rows(translated(spark, sql))), same(duck.rows(sql)))


def same(value: Any) -> Any:
    """JSON objects as objects: Spark writes their keys sorted, DuckDB as they came."""
    if isinstance(value, list | tuple):
        return type(value)(same(v) for v in value)
    if isinstance(value, str) and value.startswith("{"):
        return json.loads(value)
    return value


STATEMENTS = [f"SELECT {e} FROM rows ORDER BY eventid" for e in EXPRESSIONS] + [
    f"SELECT {a} FROM rows" for a in AGGREGATES
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_a_statement_means_the_same_on_spark(engines: tuple[Engine, Engine], sql: str) -> None:
    on_spark, on_duckdb = both(engines, sql)
    assert on_spark == on_duckdb


def test_a_distinct_count_over_a_time_window_is_carried_over(
    engines: tuple[Engine, Engine],
) -> None:
    sql = (
        "SELECT eventid, count(DISTINCT grp) OVER (ORDER BY to_timestamp(ts) RANGE BETWEEN "
        "INTERVAL 1 DAY PRECEDING AND INTERVAL 1 SECOND PRECEDING) AS n FROM rows ORDER BY eventid"
    )
    on_spark, on_duckdb = both(engines, sql)
    assert on_spark == on_duckdb


def test_a_macro_negated_is_negated_whole(engines: tuple[Engine, Engine]) -> None:
    sql = (
        "SELECT eventid FROM rows WHERE NOT ct_by_aws({'type': 'IAMUser', 'invokedby': NULL, "
        "'sessioncontext': NULL, 'arn': 'x'}, 'cloudformation.amazonaws.com') ORDER BY eventid"
    )
    on_spark, on_duckdb = both(engines, sql)
    assert on_spark == on_duckdb == []


def test_sql_spark_cannot_take_is_refused_with_the_reason(engines: tuple[Engine, Engine]) -> None:
    spark, _ = engines
    with pytest.raises(QueryError, match=r"SELECT|Spark|parse"):
        spark.rows(translated(spark, "SELECT FROM WHERE"))
