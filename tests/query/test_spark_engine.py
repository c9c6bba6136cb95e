"""The Spark engine over a lake the CLI wrote: the same answers as DuckDB's for the same
questions (in each engine's dialect), the table specs' types whatever the files hold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import (
    FLOW_HEADER,
    SPARK_SLOW,
    ct_record,
    flow_key,
    flow_line,
    trail_file,
    trail_key,
    vigil,
    wait_for,
    write_gz,
)
from vigil.config import Settings
from vigil.errors import QueryError
from vigil.query.engine import Engine, open_engine

pytest.importorskip("pyspark")
from vigil.query.spark import open_spark

pytestmark = pytest.mark.slow  # Spark takes seconds to start, each query a second or so

ZERO_ACCOUNT = "012345678901"  # leading zero: an account id is text


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("spark")
    settings = Settings.load(root / "home")
    settings.ensure()
    src = root / "src"
    lines = [
        flow_line(src="198.51.100.7", dport=22, start=1700000100, action="REJECT"),
        flow_line(src="10.0.3.9", dport=443, start=1700000200, action="ACCEPT"),
        flow_line(src="172.20.1.1", dport=443, start=1700000300, action="ACCEPT"),
    ]
    write_gz(flow_key(src), FLOW_HEADER + "\n" + "\n".join(lines) + "\n")
    zero = [flow_line(src="192.168.1.4", dport=3389, start=1700000400, account=ZERO_ACCOUNT,
                      action="REJECT")]  # fmt: skip
    write_gz(flow_key(src, account=ZERO_ACCOUNT), FLOW_HEADER + "\n" + "\n".join(zero) + "\n")
    records = [
        ct_record(),
        ct_record(eventID="e2", eventName="StopLogging", eventSource="cloudtrail.amazonaws.com",
                  userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops",
                                "accountId": "111122223333", "userName": "ops"}),
    ]  # fmt: skip
    write_gz(trail_key(src), trail_file(records))
    done = vigil(settings.home, "ingest", str(src))
    assert done.returncode == 0, done.stderr
    return settings


@pytest.fixture(scope="module")
def spark(home: Settings, spark_running: None) -> Iterator[Engine]:
    """An engine on the process's Spark: engines opened later run on it too."""
    started = time.monotonic()
    engine = open_spark(home)
    print(f"spark engine opened in {time.monotonic() - started:.2f} s")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def duck(home: Settings) -> Iterator[Engine]:
    engine = open_engine(home)
    yield engine
    engine.close()


def both(spark: Engine, duck: Engine, spark_sql: str, duck_sql: str) -> list[tuple[Any, ...]]:
    """The rows both engines give (timed, for the report), which must be equal."""
    times = []
    answers = []
    for engine, sql in ((spark, spark_sql), (duck, duck_sql)):
        started = time.monotonic()
        answers.append(engine.rows(sql))
        times.append(time.monotonic() - started)
    print(f"spark {times[0]:.3f} s, duckdb {times[1]:.3f} s: {spark_sql}")
    assert answers[0] == answers[1]
    return answers[0]


def test_counts_sums_and_columns_match_duckdb(spark: Engine, duck: Engine) -> None:
    assert spark.dialect == "spark"
    by_action = "SELECT action, count(*) FROM flow_logs GROUP BY action ORDER BY action"
    assert both(spark, duck, by_action, by_action) == [("ACCEPT", 2), ("REJECT", 2)]
    by_account = ("SELECT aws_account, sum(bytes) FROM flow_logs GROUP BY aws_account "
                  "ORDER BY aws_account")  # fmt: skip
    rows = both(spark, duck, by_account, by_account)
    assert rows == [(ZERO_ACCOUNT, 1840), ("111122223333", 3 * 1840)]
    for table in ("flow_logs", "cloudtrail", "log_events", "dns_logs", "s3_access_logs"):
        sql = f"SELECT * FROM {table} LIMIT 0"
        assert spark.query(sql).column_names == duck.query(sql).column_names, table


def test_struct_fields_and_partitions(spark: Engine, duck: Engine) -> None:
    sql = ("SELECT eventname, useridentity.username, aws_account, date FROM cloudtrail "
           "ORDER BY eventname")  # fmt: skip
    rows = both(spark, duck, sql, sql)
    assert [r[:3] for r in rows] == [("ConsoleLogin", "dana", "111122223333"),
                                     ("StopLogging", "ops", "111122223333")]  # fmt: skip
    assert str(rows[0][3]) == "2024-03-01"
    table = spark.query("SELECT aws_account, date, start_time FROM flow_logs LIMIT 1")
    assert table.schema.field("aws_account").type == pa.string()
    assert table.schema.field("date").type == pa.date32()
    assert pa.types.is_timestamp(table.schema.field("start_time").type)


def test_helper_functions_match_duckdb(spark: Engine, duck: Engine) -> None:
    private = ("SELECT srcaddr, is_private_ip(srcaddr), is_private_addr(srcaddr_ipv4, srcaddr), "
               "ipv4_to_int(srcaddr), ipv4_in_cidr(srcaddr, '10.0.0.0/8') FROM flow_logs "
               "ORDER BY srcaddr")  # fmt: skip
    rows = both(spark, duck, private, private)
    assert [r[1] for r in rows] == [True, True, True, False]  # 10., 172.20, 192.168, 198.51
    assert rows[0][3] == (10 << 24) + (3 << 8) + 9
    # Spark's own from_unixtime gives text; as a timestamp it is DuckDB's
    times = both(spark, duck,
                 "SELECT CAST(from_unixtime(start) AS TIMESTAMP), start_time FROM flow_logs ORDER BY 1",
                 "SELECT from_unixtime(start), start_time FROM flow_logs ORDER BY 1")  # fmt: skip
    assert times[0][0] == times[0][1] and times[0][0].isoformat().startswith("2023-11-14T22:15:00")
    misc = (
        "SELECT to_iso8601(start_time), json_extract_scalar('{\"a\": \"b\"}', '$.a'), "
        "day_of_week(date), round(label_entropy('aabb'), 6) FROM flow_logs ORDER BY 1 LIMIT 1"
    )
    assert both(spark, duck, misc, misc) == [("2023-11-14T22:15:00.000Z", "b", 2, 1.0)]


def test_bad_query_is_a_query_error(spark: Engine) -> None:
    with pytest.raises(QueryError, match="nope") as info:
        spark.query("SELECT nope FROM flow_logs")
    assert "\n" not in str(info.value)
    with pytest.raises(QueryError, match="not supported on Spark yet"):
        spark.files([Path("x.parquet")])


def test_bounded_loaded_tables_and_refresh(spark: Engine) -> None:
    answer = spark.bounded("SELECT * FROM flow_logs", max_rows=3)
    assert answer.table.num_rows == 3 and answer.truncated
    assert not spark.bounded("SELECT * FROM flow_logs", max_rows=10).truncated
    spark.load_table("trusted_list", pa.table({"lo": [1, 5], "hi": [2, 9]}))
    assert spark.has_relation("trusted_list") and not spark.has_relation("nothing_here")
    assert spark.rows("SELECT sum(hi - lo) FROM trusted_list") == [(5,)]
    assert [b.num_rows for b in spark.batches("SELECT * FROM flow_logs", 3)] == [3, 1]
    spark.refresh(["flow_logs"])
    assert spark.rows("SELECT count(*) FROM flow_logs WHERE srcport = ?", [51544]) == [(4,)]


def test_narrower_older_files_missing_columns_and_empty_tables(spark: Engine,
                                                               tmp_path: Path) -> None:  # fmt: skip
    """An int32 `timestamp` file beside an int64 one reads as the spec's BIGINT; a column only
    the newer file has is NULL in the older; a table without files is its typed schema."""
    lake = tmp_path / "lake"
    folder = lake / "log_events" / f"aws_account={ZERO_ACCOUNT}" / "aws_region=eu-west-1"
    old = pa.table({"log_group": ["/app"], "timestamp": pa.array([1_700_000_000], pa.int32()),
                    "message": ["old"]})  # fmt: skip
    new = pa.table({"log_group": ["/app"], "timestamp": pa.array([1_700_000_000_123], pa.int64()),
                    "message": ["new"], "event_id": ["e-1"]})  # fmt: skip
    for day, table in (("2023-11-13", old), ("2023-11-14", new)):
        (folder / f"date={day}").mkdir(parents=True)
        pq.write_table(table, folder / f"date={day}" / "part-0.parquet")
    with open_spark(lake) as other:
        rows = other.rows("SELECT message, timestamp, event_id, aws_account, CAST(date AS STRING), "
                          "event_time FROM log_events ORDER BY message")  # fmt: skip
        empty = other.query("SELECT * FROM cloudtrail")
        schema = other.query("SELECT timestamp FROM log_events").schema
    assert [r[:5] for r in rows] == [
        ("new", 1_700_000_000_123, "e-1", ZERO_ACCOUNT, "2023-11-14"),
        ("old", 1_700_000_000, None, ZERO_ACCOUNT, "2023-11-13"),
    ]
    assert rows[0][5].isoformat().startswith("2023-11-14T22:13:20.123")
    assert schema.field("timestamp").type == pa.int64()
    assert empty.num_rows == 0 and "useridentity" in empty.column_names
    assert pa.types.is_struct(empty.schema.field("useridentity").type)
    assert spark.rows("SELECT count(*) FROM flow_logs") == [(4,)]  # the first engine is intact


def test_a_query_past_its_time_is_stopped(spark: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError, match="stopped: it ran past 1 s"):
        spark.bounded(SPARK_SLOW, seconds=1)
    assert time.monotonic() - started < 15
    tracker = spark.spark.sparkContext.statusTracker()  # type: ignore[attr-defined]
    assert wait_for(lambda: not tracker.getActiveStageIds(), seconds=10)  # nothing runs on
    assert spark.rows("SELECT count(*) FROM flow_logs") == [(4,)]  # the engine goes on


PARTITIONS = "SET spark.sql.shuffle.partitions"  # its name and value


def test_a_session_given_back_keeps_nothing_of_its_engine(spark: Engine, home: Settings) -> None:
    """An engine on a running Spark takes a session given back by an earlier one: without its
    views, and without the settings the earlier engine was given."""
    with open_spark(home, conf={"spark.sql.shuffle.partitions": "7"}) as first:
        first.execute("CREATE OR REPLACE TEMPORARY VIEW leftover AS SELECT 1 AS one")
        assert first.rows(PARTITIONS)[0][1] == "7"
    with open_spark(home) as second:
        assert second.rows(PARTITIONS)[0][1] != "7"
        with pytest.raises(QueryError):
            second.rows("SELECT one FROM leftover")
        assert second.rows("SELECT count(*) FROM flow_logs") == [(4,)]
