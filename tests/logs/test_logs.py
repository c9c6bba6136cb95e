"""CloudWatch Logs: groups and streams, PutLogEvents limits and rejections, reading back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from helpers import run
from vigil.api import lake
from vigil.api.logs import InputEvent, put_log_events
from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs import files, read
from vigil.logs.groups import RETENTION_DAYS, LogsError, LogStore
from vigil.logs.put import DAY_MS

HOUR = 3_600_000


@pytest.fixture
def logs(home: Settings) -> Settings:
    with LogStore(home) as store:
        store.create_group("app/web")
        store.create_stream("app/web", "i-1")
        store.create_stream("app/web", "i-2")
    return home


@pytest.mark.parametrize(
    ("name", "ok"),
    [("app/web", True), ("/aws/lambda/fn", True), ("a.b-c_d#e", True), ("x" * 512, True),
     ("aws/reserved", False), ("", False), ("x" * 513, False), ("has space", False),
     ("star*", False)],
)  # fmt: skip
def test_group_names(home: Settings, name: str, ok: bool) -> None:
    with LogStore(home) as store:
        if ok:
            assert store.create_group(name).name == name
        else:
            with pytest.raises(LogsError, match="InvalidParameterException"):
                store.create_group(name)


def test_streams_retention_and_duplicates(home: Settings) -> None:
    with LogStore(home) as store:
        store.create_group("g")
        with pytest.raises(LogsError, match="ResourceAlreadyExistsException"):
            store.create_group("g")
        for bad in ("a:b", "a*b", ""):
            with pytest.raises(LogsError, match="InvalidParameterException"):
                store.create_stream("g", bad)
        with pytest.raises(LogsError, match="ResourceNotFoundException"):
            store.create_stream("missing", "s")
        for days in RETENTION_DAYS:
            store.put_retention("g", days)
        for days in (2, 0, 4000, 366):
            with pytest.raises(LogsError, match="retention of"):
                store.put_retention("g", days)
        store.put_retention("g", None)
        assert store.group("g").retention_days is None


def test_the_spec_worked_example(logs: Settings) -> None:
    now = now_ms()
    events = [InputEvent(now - 15 * DAY_MS, "a"), InputEvent(now - 14 * DAY_MS - 1000, "b"),
              InputEvent(now - HOUR, "c"), InputEvent(now, "d"), InputEvent(now + 3 * HOUR, "e")]  # fmt: skip
    result = put_log_events(logs, "app/web", "i-1", events, now=now)
    assert result.response() == {
        "rejectedLogEventsInfo": {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 4}
    }
    assert [e.message for e in read.filter_events(logs, "app/web")] == ["c", "d"]


def test_retention_expires_on_put_and_hides_on_read(logs: Settings) -> None:
    now = now_ms()
    events = [InputEvent(now - 30 * HOUR, "thirty hours"), InputEvent(now - HOUR, "an hour")]
    for event in events:
        assert put_log_events(logs, "app/web", "i-1", [event], now=now).rejected == {}
    with LogStore(logs) as store:
        store.put_retention("app/web", 1)
    assert [e.message for e in read.filter_events(logs, "app/web")] == ["an hour"]
    again = put_log_events(logs, "app/web", "i-2", events, now=now)
    assert again.response() == {"rejectedLogEventsInfo": {"expiredLogEventEndIndex": 1}}


@pytest.mark.parametrize(
    ("events", "says"),
    [
        ([], "0 events"),
        ([InputEvent(0, "x")] * 10_001, "10001 events"),
        ([InputEvent(0, "")], "empty"),
        ([InputEvent(2, "b"), InputEvent(1, "a")], "must not decrease"),
        ([InputEvent(0, "x" * (1_048_576 - 26))] * 2, "the batch is"),
    ],
)
def test_calls_that_fail_whole(logs: Settings, events: list[InputEvent], says: str) -> None:
    with pytest.raises(LogsError, match=says):
        put_log_events(logs, "app/web", "i-1", events)
    assert read.filter_events(logs, "app/web") == []


def test_batch_bytes_count_26_per_event(logs: Settings) -> None:
    now = now_ms()
    exact = [InputEvent(now, "x" * (524_288 - 26)), InputEvent(now, "y" * (524_288 - 26))]
    assert put_log_events(logs, "app/web", "i-1", exact, now=now).accepted == 2
    over = [InputEvent(now, "x" * (524_288 - 26)), InputEvent(now, "y" * (524_288 - 25))]
    with pytest.raises(LogsError, match="1048577 bytes"):
        put_log_events(logs, "app/web", "i-1", over, now=now)


def test_span_of_kept_events_is_at_most_a_day(logs: Settings) -> None:
    now = now_ms()
    with pytest.raises(LogsError, match="24 hours"):
        put_log_events(logs, "app/web", "i-1",
                       [InputEvent(now - 25 * HOUR, "a"), InputEvent(now, "b")], now=now)  # fmt: skip
    # a too-old event outside the span does not count against it
    ok = [
        InputEvent(now - 20 * DAY_MS, "old"),
        InputEvent(now - 23 * HOUR, "a"),
        InputEvent(now, "b"),
    ]
    assert put_log_events(logs, "app/web", "i-1", ok, now=now).accepted == 2


def test_filter_by_pattern_time_and_stream(logs: Settings) -> None:
    now = now_ms()
    put_log_events(logs, "app/web", "i-1", [InputEvent(now - 2 * HOUR, "ERROR disk full"),
                                            InputEvent(now - HOUR, "INFO ok")], now=now)  # fmt: skip
    put_log_events(logs, "app/web", "i-2", [InputEvent(now - HOUR, '{"level": "ERROR", "n": 3}')],
                   now=now)  # fmt: skip
    found = read.filter_events(logs, "app/web", pattern="ERROR")
    assert [e.log_stream for e in found] == ["i-1", "i-2"]  # "ERROR" in quotes is a term too
    assert [e.message for e in read.filter_events(logs, "app/web", pattern="ERROR disk")] == [
        "ERROR disk full"
    ]
    json_hits = read.filter_events(logs, "app/web", pattern="{ $.n > 2 }")
    assert [e.log_stream for e in json_hits] == ["i-2"]
    assert len(read.filter_events(logs, "app/web", start=now - 90 * 60_000)) == 2
    assert len(read.filter_events(logs, "app/web", end=now - 90 * 60_000)) == 1
    assert len(read.filter_events(logs, "app/web", stream_prefix="i-2")) == 1
    assert len(read.filter_events(logs, "app/web", streams=["i-1"], limit=1)) == 1


def test_a_recreated_group_starts_empty(logs: Settings) -> None:
    put_log_events(logs, "app/web", "i-1", [InputEvent(now_ms(), "before")])
    with LogStore(logs) as store:
        store.delete_group("app/web")
        with pytest.raises(LogsError, match="ResourceNotFoundException"):
            read.filter_events(logs, "app/web")
        store.create_group("app/web")
    assert read.filter_events(logs, "app/web") == []


def test_put_file_chunks_sorts_and_is_idempotent(logs: Settings, tmp_path: Path) -> None:
    now = now_ms()
    lines = [json.dumps({"timestamp": now - i, "message": f"line {i}"}) for i in range(25_000)]
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\nnot json, stamped now\n")
    summary = files.put_file(logs, "app/web", "i-1", path)
    assert (summary.events, summary.accepted, summary.calls) == (25_001, 25_001, 3)
    assert files.put_file(logs, "app/web", "i-1", path).already
    events = read.filter_events(logs, "app/web", limit=100_000)
    assert len(events) == 25_001
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


def test_cli_put_filter_and_test_filter(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = tmp_path / "app.log"
    source.write_text("ERROR 404 /index.html\nINFO 200 /\n")
    done = run(home, "logs", "put", "app/web", "i-1", str(source), "--create", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 2
    out = run(home, "logs", "filter", "app/web", "--pattern", "[level, status=4*, path]", "--json")
    assert [e["message"] for e in json.loads(out.stdout)["events"]] == ["ERROR 404 /index.html"]
    tested = run(home, "logs", "test-filter", "--pattern", "[level, status>=400, path]",
                 str(source), "--json")  # fmt: skip
    assert json.loads(tested.stdout)["matches"] == [
        {"eventNumber": 1, "eventMessage": "ERROR 404 /index.html",
         "extractedValues": {"$level": "ERROR", "$status": "404", "$path": "/index.html"}}
    ]  # fmt: skip
    bad = run(home, "logs", "filter", "app/web", "--pattern", "{ $.a = }")
    assert bad.returncode == 1 and "column 9: expected a value" in bad.stderr
    missing = run(home, "logs", "get", "app/web", "nope")
    assert missing.returncode == 1 and "ResourceNotFoundException" in missing.stderr


def test_ingest_routes_flow_logs_and_cloudtrail_to_groups(home: Settings, tmp_path: Path) -> None:
    from helpers import (
        FLOW_HEADER,
        ct_record,
        flow_key,
        flow_line,
        trail_file,
        trail_key,
        write_gz,
    )
    from vigil.ingest.pipeline import IngestOptions, ingest
    from vigil.logs.export import export
    from vigil.metrics.filters import FilterStore, MetricFilter
    from vigil.metrics.stats import statistics
    from vigil.metrics.store import Metric, MetricStore

    now = now_ms() // 1000
    lines = [flow_line(eni="eni-0a", start=now - 600), flow_line(eni="eni-0b", start=now - 500),
             flow_line(eni="eni-0a", start=now - 400, dport=3389)]  # fmt: skip
    write_gz(flow_key(tmp_path / "src"), FLOW_HEADER + "\n" + "\n".join(lines) + "\n")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 300))
    root = ct_record(eventTime=stamp, eventName="ListBuckets",
                     userIdentity={"type": "Root", "arn": "arn:aws:iam::111122223333:root"})  # fmt: skip
    write_gz(trail_key(tmp_path / "src"), trail_file([root, ct_record(eventTime=stamp)]))
    with LogStore(home) as store:
        store.create_group("CloudTrail/logs")
    with FilterStore(home) as filters:
        filters.put(MetricFilter("CloudTrail/logs", "root",
                                 '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }',
                                 "RootAccountUsage", "LogMetrics"))  # fmt: skip
    report = lake.ingest_with(home, [str(tmp_path / "src")],
                    IngestOptions(flow_logs_to="vpc/flows", cloudtrail_to="CloudTrail/logs"))  # fmt: skip
    assert report.routed == {"vpc/flows": 3, "CloudTrail/logs": 2}
    flows = read.filter_events(home, "vpc/flows")
    assert sorted({e.log_stream for e in flows}) == ["eni-0a-all", "eni-0b-all"]
    assert flows[0].message.split()[2] == "eni-0a" and flows[0].timestamp == (now - 600) * 1000
    trail = read.filter_events(home, "CloudTrail/logs", pattern='{ $.userIdentity.arn = "*:root" }')
    assert [json.loads(e.message)["eventName"] for e in trail] == ["ListBuckets"]
    assert trail[0].log_stream == "111122223333_CloudTrail_us-east-1"
    with MetricStore(home) as metrics:
        points = statistics(metrics, Metric("LogMetrics", "RootAccountUsage"), (now - 3600) * 1000,
                            now_ms(), 3600, ["Sum"])  # fmt: skip
    assert sum(p.values["Sum"] for p in points) == 1
    # the export of the flow group reads back as the same records
    out = export(home, "vpc/flows", str(tmp_path / "export"))
    assert out.events == 3 and len(out.files) == 2
    again = Settings.load(tmp_path / "other")
    fmt = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " \
          "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"  # fmt: skip
    from vigil.formats.flowlog_fields import parse_format

    back = ingest(again, [str(tmp_path / "export")], IngestOptions(fmt=parse_format(fmt),
                                                                     account="111122223333",
                                                                     region="us-east-1"))  # fmt: skip
    assert back.records["flow_logs"] == 3


def test_expire_removes_past_retention_and_deleted_groups(logs: Settings) -> None:
    from vigil.logs.retention import expire_events
    from vigil.query.engine import open_engine

    now = now_ms()
    put_log_events(logs, "app/web", "i-1", [InputEvent(now - 30 * HOUR, "old")], now=now)
    put_log_events(logs, "app/web", "i-1", [InputEvent(now - HOUR, "new")], now=now)
    with LogStore(logs) as store:
        store.create_group("gone")
        store.create_stream("gone", "s")
    put_log_events(logs, "gone", "s", [InputEvent(now - HOUR, "bye")], now=now_ms())
    with LogStore(logs) as store:
        store.put_retention("app/web", 1)
        store.delete_group("gone")
    report = expire_events(logs, now=now)
    assert report.removed == 2 and report.kept == 1
    with open_engine(logs) as con:
        assert con.rows("SELECT message FROM log_events") == [("new",)]
    assert expire_events(logs, now=now).removed == 0


def test_put_from_stdin_streams_batches_every_second(tmp_path: Path) -> None:
    """`vigil logs put G S -` as an agent: lines go out within a second of being read, each
    stamped when read, in the order read; a slow producer is not held until EOF."""
    import json
    import subprocess
    import sys
    import time

    from helpers import vigil

    home = tmp_path / "home"
    assert vigil(home, "logs", "create-group", "app").returncode == 0
    assert vigil(home, "logs", "create-stream", "app", "live").returncode == 0
    writer = subprocess.Popen(
        [sys.executable, "-m", "vigil", "--home", str(home), "logs", "put", "app", "live", "-",
         "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert writer.stdin is not None
    for word in ("first", "second", "third"):
        writer.stdin.write(word + "\n")
        writer.stdin.flush()
    seen: list[dict[str, object]] = []
    deadline = time.monotonic() + 15
    while len(seen) < 3 and time.monotonic() < deadline:  # the batch lands while stdin is open
        time.sleep(0.3)
        seen = json.loads(vigil(home, "logs", "get", "app", "live", "--json").stdout)["events"]
    assert [e["message"] for e in seen] == ["first", "second", "third"]
    time.sleep(1.1)
    writer.stdin.write("fourth\n")
    out, err = writer.communicate(timeout=30)  # closes stdin: end of the stream
    assert writer.returncode == 0, err
    summary = json.loads(out)
    assert summary["events"] == 4 and summary["accepted"] == 4 and summary["calls"] == 2
    events = json.loads(vigil(home, "logs", "get", "app", "live", "--json").stdout)["events"]
    assert [e["message"] for e in events] == ["first", "second", "third", "fourth"]
    stamps = [int(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps) and stamps[3] - stamps[2] >= 1000  # stamped when read
