"""Every query a client sends is bounded: rows read only up to its limit (streamed, never the
whole result first), a time limit, a memory limit, a number at once, and its client's leaving
stops it. What it may call is judged on the parsed statement. And a reader never fails, nor
counts a row twice or misses one, because compaction replaced files under it."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from helpers import FLOW_HEADER, flow_key, flow_line, write_gz
from vigil.config import QueryLimits, Settings
from vigil.errors import BusyError, QueryError
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.lake.catalog import table_files
from vigil.lake.maintenance import compact
from vigil.query.answer import Cancel
from vigil.query.duckdb import check_read_only
from vigil.query.engine import client_engine, open_engine, read_only_query

HEAVY = "SELECT sum(hash(range)) FROM range(20000000000)"  # minutes of work, no memory


def limited(home: Settings, **limits: object) -> Settings:
    return replace(home, limits=QueryLimits(**limits))  # type: ignore[arg-type]


def test_a_huge_result_is_read_only_up_to_its_row_limit(home: Settings) -> None:
    answer = read_only_query(limited(home, max_rows=10_000), "SELECT * FROM range(60000000)",
                             max_rows=5)  # fmt: skip
    assert answer.table.column("range").to_pylist() == [0, 1, 2, 3, 4] and answer.truncated
    exact = read_only_query(home, "SELECT * FROM range(5)", max_rows=5)
    assert exact.table.num_rows == 5 and not exact.truncated
    capped = read_only_query(limited(home, max_rows=3), "SELECT * FROM range(10)", max_rows=500)
    assert capped.table.num_rows == 3 and capped.truncated  # the server's cap wins


def test_a_query_past_its_time_is_interrupted(home: Settings) -> None:
    began = time.monotonic()
    with pytest.raises(QueryError, match=r"ran past 1 s.*query_timeout") as stopped:
        read_only_query(limited(home, seconds=1), HEAVY)
    assert time.monotonic() - began < 10 and stopped.value.hint


def test_a_query_past_its_memory_is_refused_not_the_server(home: Settings) -> None:
    with pytest.raises(QueryError, match="more memory than it may use") as refused:
        read_only_query(limited(home, memory="64MB"), "SELECT list(range) FROM range(100000000)")
    assert "query_memory_limit" in str(refused.value.hint)
    # sorting more than the limit spills to <home>/tmp instead of failing
    top = read_only_query(limited(home, memory="64MB"),
                          "SELECT * FROM range(10000000) ORDER BY range DESC", max_rows=2)  # fmt: skip
    assert top.table.column("range").to_pylist() == [9999999, 9999998]


def test_an_abandoned_query_stops(home: Settings) -> None:
    cancel = Cancel()
    threading.Timer(0.3, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(QueryError, match="abandoned"):
        read_only_query(home, HEAVY, cancel=cancel)
    assert time.monotonic() - began < 10


def test_queries_beyond_the_concurrency_wait_then_are_refused(home: Settings) -> None:
    busy = limited(home, seconds=0.5, concurrency=1)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with client_engine(busy):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(10)
        with pytest.raises(BusyError, match="query_concurrency"):
            read_only_query(busy, "SELECT 1")
    finally:
        release.set()
        holder.join()
    assert read_only_query(busy, "SELECT 1").table.num_rows == 1  # the slot is free again


@pytest.mark.parametrize("sql, says", [
    ('SELECT * FROM "read_text"(\'/etc/passwd\')', "read_text() is refused"),
    ("SELECT * FROM read_text/**/('/etc/passwd')", "read_text() is refused"),
    ("SELECT * FROM READ_PARQUET('/tmp/x.parquet')", "read_parquet() is refused"),
    ("SELECT * FROM read_csv_auto('/etc/hosts')", "read_csv_auto() is refused"),
    ("SELECT (SELECT count(*) FROM glob('/home/*'))", "glob() is refused"),
    ("SELECT * FROM '/etc/passwd'", "names a file"),
    ('SELECT * FROM "s3://bucket/key.parquet"', "names a file"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings() is refused"),
    ("SELECT current_setting('allowed_directories')", "current_setting() is refused"),
    ("WITH x AS (SELECT * FROM sqlite_scan('/x/state.db', 'keys')) SELECT * FROM x",
     "sqlite_scan() is refused"),
    ("EXPLAIN SELECT * FROM read_blob('/etc/shadow')", "read_blob() is refused"),
    ("SELECT 1; COPY (SELECT 1) TO '/tmp/x.csv'", "COPY statements are refused"),
    ("ATTACH '/tmp/x.db'", "ATTACH statements are refused"),
    ("PIVOT flow_logs ON action USING count(*)", "refused"),
])  # fmt: skip
def test_file_functions_are_refused_on_the_parsed_statement(sql: str, says: str) -> None:
    with pytest.raises(QueryError, match=says.replace("(", r"\(").replace(")", r"\)")):
        check_read_only(sql)


@pytest.mark.parametrize("sql", [
    "SELECT 'read_text(' AS looks_like_a_call",
    "SELECT * FROM range(3) AS r(read_csv)",
    "SELECT count(*) FROM flow_logs WHERE action = 'REJECT'",
    "WITH t AS (SELECT 1 AS n) SELECT * FROM t, generate_series(1, 2)",
    "SELECT unnest([1, 2])",
    "/* the top */ EXPLAIN SELECT eventname FROM cloudtrail",
])  # fmt: skip
def test_queries_that_read_only_the_lake_pass(sql: str) -> None:
    check_read_only(sql)


def _flow_object(root: Path, tag: str, start: int) -> Path:
    lines = "\n".join(flow_line(start=start + i, dport=1000 + i) for i in range(5))
    return write_gz(flow_key(root, tag=tag), f"{FLOW_HEADER}\n{lines}\n")


def _count(engine: object) -> int:
    return int(engine.query("SELECT count(*) AS n FROM flow_logs").column("n")[0].as_py())  # type: ignore[attr-defined]


def test_a_reader_keeps_its_files_while_compaction_replaces_them(
    home: Settings, tmp_path: Path
) -> None:
    for n in range(4):
        ingest(home, [str(_flow_object(tmp_path, f"o{n}", 1700000000 + 100 * n))], IngestOptions())
    before = table_files(home.lake_dir, "flow_logs")
    assert len(before) == 4
    with open_engine(home) as engine:  # lists the four files now
        report = compact(home)  # merges them into one, under the open reader
        assert (report.files_before, report.files_after) == (4, 1)
        assert [p.name for p in table_files(home.lake_dir, "flow_logs")] != [
            p.name for p in before
        ]  # new readers see only the merged file ...
        assert all(p.exists() for p in before)  # ... the old stay for the reader that has them
        assert _count(engine) == 20  # no "Cannot open file", no row twice
    with open_engine(home) as fresh:
        assert _count(fresh) == 20
    ingest(home, [str(_flow_object(tmp_path, "o9", 1700009000))], IngestOptions())  # a publish
    assert not any(p.exists() for p in before)  # no reader left: the retired files are gone


def test_readers_never_fail_or_miscount_during_compaction(home: Settings, tmp_path: Path) -> None:
    """Objects keep arriving and being compacted while readers count: every count is one the
    lake really had (a whole number of objects, never more than ingested, never less than an
    earlier count)."""
    objects = 12
    done = threading.Event()
    errors: list[str] = []
    counts: list[tuple[int, int]] = []  # (objects ingested when the count began, count)
    ingested = [0]

    def read() -> None:
        while not done.is_set():
            floor = ingested[0]
            try:
                with open_engine(home) as engine:
                    counts.append((floor, _count(engine)))
            except Exception as exc:  # the failure under test: nothing may be raised
                errors.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for n in range(objects):
            ingest(home, [str(_flow_object(tmp_path, f"s{n}", 1700000000 + 100 * n))],
                   IngestOptions())  # fmt: skip
            ingested[0] = n + 1
            compact(home)
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert errors == []
    assert counts and all(n % 5 == 0 and 5 * floor <= n <= 5 * objects for floor, n in counts)
    with open_engine(home) as engine:
        assert _count(engine) == 5 * objects


def test_the_servers_query_settings(home: Settings) -> None:
    from vigil.api import serve as serve_api
    from vigil.errors import ConfigError

    (home.home / "vigil.yaml").write_text(
        "port: 0\nquery_timeout: 12\nquery_memory_limit: 768MiB\nquery_max_rows: 500\n"
        "query_concurrency: 3\ntrusted_proxies: [10.0.0.5, 10.1.0.0/24]\n"
    )
    config = serve_api.ServeConfig.load(home)
    assert config["trusted_proxies"] == ["10.0.0.5/32", "10.1.0.0/24"]
    served = serve_api.for_serving(home, config)
    cores_but_one = max(1, (os.cpu_count() or 2) - 1)  # one core left for requests
    assert served.limits == QueryLimits(seconds=12.0, memory="768MiB", max_rows=500,
                                        concurrency=3, max_bytes=64_000_000,
                                        threads=cores_but_one)  # fmt: skip
    shipped = serve_api.ServeConfig.load(replace(home, home=home.home / "fresh"))
    assert shipped.query_limits() == QueryLimits(30.0, "1GB", 10_000, 4, 64_000_000, cores_but_one)
    assert shipped["trusted_proxies"] == []  # no proxy is believed unless listed
    for text, says in (("query_memory_limit: lots", "not a size"),
                       ("query_timeout: 0", "above 0"),
                       ("trusted_proxies: [proxy.example]", "not an address or network")):  # fmt: skip
        (home.home / "vigil.yaml").write_text(text)
        with pytest.raises(ConfigError, match=says):
            serve_api.ServeConfig.load(home)


def test_wide_rows_stop_at_the_byte_limit(home: Settings) -> None:
    wide = limited(home, max_bytes=8_000_000)
    answer = read_only_query(wide, "SELECT repeat('x', 1000000) AS s FROM range(100)")
    assert answer.truncated and 0 < answer.table.num_rows < 10
    assert answer.table.nbytes <= 8_000_000


def test_a_waiting_query_leaves_when_abandoned_and_the_queue_is_bounded(home: Settings) -> None:
    one = limited(home, seconds=30, concurrency=1)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with client_engine(one):
            held.set()
            release.wait(20)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(10)
        cancel = Cancel()
        threading.Timer(0.3, cancel.set).start()
        began = time.monotonic()
        with pytest.raises(QueryError, match="abandoned"):  # it waited, then its client left
            read_only_query(one, "SELECT 1", cancel=cancel)
        assert time.monotonic() - began < 5
        waiting = [Cancel(), Cancel()]  # two may wait for the one slot ...
        left: list[str] = []

        def wait(cancel: Cancel) -> None:
            try:
                read_only_query(one, "SELECT 1", cancel=cancel)
            except QueryError as exc:
                left.append(exc.message)

        waiters = [threading.Thread(target=wait, args=(c,)) for c in waiting]
        for thread in waiters:
            thread.start()
        time.sleep(0.3)
        began = time.monotonic()
        with pytest.raises(BusyError):  # ... a third is refused at once, holding no thread
            read_only_query(one, "SELECT 1")
        assert time.monotonic() - began < 1
        for c in waiting:
            c.set()
        for thread in waiters:
            thread.join()
        assert len(left) == 2 and all("abandoned" in m for m in left)
    finally:
        release.set()
        holder.join()


def test_log_events_keep_their_own_page_size_under_the_row_cap(home: Settings) -> None:
    from vigil.api import logs as logs_api

    logs_api.create_group(home, "paged")
    logs_api.create_stream(home, "paged", "s")
    now = int(time.time() * 1000)
    events = [logs_api.InputEvent(now - 300 + n, f"event {n}") for n in range(300)]
    logs_api.put_log_events(home, "paged", "s", events)
    capped = limited(home, max_rows=100)  # SQL queries: at most 100 rows
    page = logs_api.filter_events(capped, "paged", logs_api.EventsQuery(limit=201))
    assert len(page) == 201  # FilterLogEvents asks for limit + 1 to know there is a next page
    assert read_only_query(capped, "SELECT * FROM log_events").table.num_rows == 100
