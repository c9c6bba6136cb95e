from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from helpers import (
    FLOW_HEADER,
    ct_record,
    flow_key,
    flow_line,
    trail_file,
    trail_key,
    vigil,
    write_gz,
)
from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.lake.catalog import table_files
from vigil.lake.expire import expire
from vigil.lake.maintenance import compact, lake_info
from vigil.query.engine import run_query


def rows(home: Settings, sql: str) -> list[dict]:  # type: ignore[type-arg]
    return run_query(home.lake_dir, sql).to_pylist()


def test_info_counts_tables_partitions_rows(home: Settings, tmp_path: Path) -> None:
    write_gz(flow_key(tmp_path), f"{FLOW_HEADER}\n{flow_line()}\n{flow_line(dport=80)}\n")
    write_gz(trail_key(tmp_path), trail_file([ct_record()]))
    ingest(home, [str(tmp_path)], IngestOptions())
    info = {t.table: t for t in lake_info(home).tables}
    assert (info["flow_logs"].partitions, info["flow_logs"].rows) == (1, 2)
    assert info["cloudtrail"].rows == 1 and info["cloudtrail"].bytes > 0
    assert info["flow_logs"].first_date == "2023-11-14"


def test_compact_merges_small_files_and_drops_duplicate_records(
    home: Settings, tmp_path: Path
) -> None:
    # Three objects in one partition; the third repeats a record of the first (a re-delivery).
    write_gz(flow_key(tmp_path, tag="a"), f"{FLOW_HEADER}\n{flow_line(start=1700000100)}\n")
    write_gz(flow_key(tmp_path, tag="b"), f"{FLOW_HEADER}\n{flow_line(start=1700000200)}\n")
    write_gz(
        flow_key(tmp_path, tag="c"),
        f"{FLOW_HEADER}\n{flow_line(start=1700000100)}\n{flow_line(start=1700000300)}\n",
    )
    for tag in "abc":  # one ingest run per object: three files in the partition
        ingest(home, [str(flow_key(tmp_path, tag=tag))], IngestOptions())
    assert len(table_files(home.lake_dir, "flow_logs")) == 3
    report = compact(home)
    assert (report.files_before, report.files_after) == (3, 1)
    assert (report.rows_before, report.rows_after) == (4, 3)
    assert [r["start"] for r in rows(home, "SELECT start FROM flow_logs ORDER BY start")] == [
        1700000100,
        1700000200,
        1700000300,
    ]
    assert compact(home).partitions == 0  # nothing left to do
    assert not list(home.lake_dir.rglob("*.inflight"))


def test_compact_of_small_files_leaves_a_large_file_as_it_is(
    home: Settings, tmp_path: Path
) -> None:
    # A server's upkeep: the first merge makes one file; once that file is past the size,
    # the next merge takes only the new small commits and never rewrites it.
    for n, tag in enumerate("abc"):
        lines = "\n".join(flow_line(start=1700000100 + n, dport=p) for p in range(1, 2001))
        write_gz(flow_key(tmp_path, tag=tag), f"{FLOW_HEADER}\n{lines}\n")
        ingest(home, [str(flow_key(tmp_path, tag=tag))], IngestOptions())
    assert compact(home, small_bytes=1 << 20, min_files=3).files_after == 1
    [merged] = table_files(home.lake_dir, "flow_logs")
    for n, tag in enumerate("de"):
        write_gz(flow_key(tmp_path, tag=tag), f"{FLOW_HEADER}\n{flow_line(start=1700000200 + n)}\n")
        ingest(home, [str(flow_key(tmp_path, tag=tag))], IngestOptions())
    size = merged.stat().st_size
    assert compact(home, small_bytes=size, min_files=2).files_before == 2  # the new ones only
    files = table_files(home.lake_dir, "flow_logs")
    assert merged in files and len(files) == 2
    assert rows(home, "SELECT count(*) AS n FROM flow_logs") == [{"n": 6002}]
    assert compact(home, small_bytes=size, min_files=2).partitions == 0


def _two_days(home: Settings, tmp_path: Path) -> None:
    write_gz(
        trail_key(tmp_path, day="2024/01/01", tag="old"),
        trail_file([ct_record(eventTime="2024-01-01T10:00:00Z")]),
    )
    write_gz(trail_key(tmp_path, day="2024/03/01", tag="new"), trail_file([ct_record(eventID="n")]))
    ingest(home, [str(tmp_path)], IngestOptions())


OLD_PART = "aws_account=111122223333/aws_region=us-east-1/date=2024-01-01"
NOW = datetime(2024, 3, 2, 12, tzinfo=UTC)


def test_expire_deletes_old_partitions_only(home: Settings, tmp_path: Path) -> None:
    _two_days(home, tmp_path)
    report = expire(home, "30d", table="cloudtrail", now=NOW)
    assert report.partitions == 1 and report.rows == 1
    assert [(p.table, p.partition, p.rows) for p in report.removed] == [("cloudtrail", OLD_PART, 1)]
    assert [r["eventid"] for r in rows(home, "SELECT eventid FROM cloudtrail")] == ["n"]
    assert not (home.lake_dir / "cloudtrail" / OLD_PART).exists()


def test_expire_dry_run_lists_and_deletes_nothing(home: Settings, tmp_path: Path) -> None:
    _two_days(home, tmp_path)
    report = expire(home, "30d", dry_run=True, now=NOW)
    assert report.dry_run and [p.partition for p in report.removed] == [OLD_PART]
    assert report.rows == 1
    assert rows(home, "SELECT count(*) AS n FROM cloudtrail") == [{"n": 2}]


def test_expire_below_one_day_needs_confirmation(home: Settings, tmp_path: Path) -> None:
    _two_days(home, tmp_path)
    for age in ("0d", "12h"):
        with pytest.raises(ConfigError, match="would delete today's data") as caught:
            expire(home, age, now=NOW)
        assert "--yes" in (caught.value.hint or "")
    assert rows(home, "SELECT count(*) AS n FROM cloudtrail") == [{"n": 2}]
    assert expire(home, "0d", dry_run=True, now=NOW).partitions == 2  # looking is always allowed
    assert expire(home, "0d", confirmed=True, now=NOW).rows == 2


def test_expire_cli_says_what_it_removed(home: Settings, tmp_path: Path) -> None:
    _two_days(home, tmp_path)
    age = f"{(datetime.now(UTC).date() - date(2024, 2, 1)).days}d"  # between the two days
    dry = vigil(home.home, "lake", "expire", "--older-than", age, "--dry-run")
    assert "would remove 1 partition(s)" in dry.stdout and "date=2024-01-01" in dry.stdout
    refused = vigil(home.home, "lake", "expire", "--older-than", "0d")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    done = vigil(home.home, "lake", "expire", "--older-than", age)
    assert done.returncode == 0 and "removed 1 partition(s)" in done.stdout
    assert "date=2024-01-01" in done.stdout  # the older day is the one named
    again = json.loads(vigil(home.home, "lake", "expire", "--older-than", age, "--json").stdout)
    assert again["removed"] == [] and again["dry_run"] is False


def test_compact_keeps_distinct_records_without_an_event_id(home: Settings, tmp_path: Path) -> None:
    # Four distinct records with no eventID (some producers omit it), and one exact copy of one
    # of them delivered again in another file: only the copy may go.
    def no_id(name: str) -> dict:  # type: ignore[type-arg]
        rec = ct_record(eventName=name)
        del rec["eventID"]
        return rec

    records = [no_id(n) for n in ("A", "B", "C", "D")]
    write_gz(trail_key(tmp_path, tag="one"), trail_file(records))
    write_gz(trail_key(tmp_path, tag="two"), trail_file([records[1], ct_record(eventID="x")]))
    for tag in ("one", "two"):
        ingest(home, [str(trail_key(tmp_path, tag=tag))], IngestOptions())
    report = compact(home, "cloudtrail")
    assert (report.rows_before, report.rows_after) == (6, 5)
    assert report.removed == {"cloudtrail": {"identical record (no natural key)": 1}}
    names = rows(home, "SELECT eventname FROM cloudtrail ORDER BY 1")
    assert [r["eventname"] for r in names] == ["A", "B", "C", "ConsoleLogin", "D"]


def test_compact_reports_copies_by_natural_key_and_never_merges_other_nodata_records(
    home: Settings, tmp_path: Path
) -> None:
    eni = "eni-0f00ba7c0ffee0001"
    nodata = [
        f"2 111122223333 {eni} - - - - - - - {t} {t + 60} - NODATA"
        for t in (1700000100, 1700000200)
    ]
    write_gz(flow_key(tmp_path, tag="a"), "\n".join([FLOW_HEADER, flow_line(), *nodata]) + "\n")
    write_gz(flow_key(tmp_path, tag="b"), "\n".join([FLOW_HEADER, flow_line(), nodata[0]]) + "\n")
    for tag in "ab":
        ingest(home, [str(flow_key(tmp_path, tag=tag))], IngestOptions())
    report = compact(home, "flow_logs")
    assert report.rows_after == 3
    removed = report.removed["flow_logs"]
    assert removed["identical record (no natural key)"] == 1
    assert [v for k, v in removed.items() if k.startswith("same natural key")] == [1]


def test_cloudtrail_files_are_clustered_by_service_and_name(home: Settings, tmp_path: Path) -> None:
    """Rows sorted by (eventsource, eventname, time) in row groups of 16,384, at ingest and after
    compaction, so the min/max of a row group let a query for rare calls skip the others."""
    import pyarrow.parquet as pq

    names = ["GetObject", "DescribeInstances", "StopLogging", "AssumeRole", "ListBuckets"]
    for batch in range(2):
        records = [ct_record(eventID=f"c{batch}-{i}", eventName=names[i % 5],
                             eventSource=f"s{i % 3}.amazonaws.com",
                             eventTime=f"2024-03-01T10:{i % 60:02d}:{i % 57:02d}Z")
                   for i in range(20_000)]  # fmt: skip
        write_gz(trail_key(tmp_path / f"src{batch}", tag=f"t{batch}"), trail_file(records))
        ingest(home, [str(tmp_path / f"src{batch}")], IngestOptions())

    def check(path: Path) -> None:
        meta = pq.ParquetFile(path).metadata
        assert meta.num_row_groups > 1
        assert all(meta.row_group(g).num_rows <= 16_384 for g in range(meta.num_row_groups))
        rows = pq.read_table(path, columns=["eventsource", "eventname", "event_ts"]).to_pylist()
        keys = [(r["eventsource"], r["eventname"], r["event_ts"]) for r in rows]
        assert keys == sorted(keys)

    files = table_files(home.lake_dir, "cloudtrail")
    assert len(files) == 2
    for path in files:
        check(path)
    compact(home, "cloudtrail")
    (merged,) = table_files(home.lake_dir, "cloudtrail")
    check(merged)
    stop = run_query(
        home.lake_dir, "SELECT count(*) AS n FROM cloudtrail WHERE eventname = 'StopLogging'"
    )
    assert stop.to_pylist() == [{"n": 8_000}]
