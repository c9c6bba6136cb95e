"""The lake on S3 (moto in server mode on loopback): `vigil ingest` writes there and `vigil
query`, `vigil detect`, compaction and expiry read and maintain it with the same results as a
local lake; a killed ingest leaves nothing visible that the manifest does not hold; a one-day
query reads only that day's objects and lists none."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from moto_kit import CountingMoto
from vigil.config import Settings
from vigil.errors import ConfigError

pytestmark = pytest.mark.slow


@pytest.fixture
def bucket(aws: str) -> tuple[Any, str]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=aws)
    name = f"lake-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    return s3, name


def s3_home(tmp_path: Path, endpoint: str, bucket: str, name: str = "s3home") -> Path:
    home = tmp_path / name
    home.mkdir()
    (home / "vigil.yaml").write_text(f"lake: s3://{bucket}/lake\nlake_endpoint_url: {endpoint}\n")
    return home


def keys(s3: Any, bucket: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def entries(home: Path) -> set[str]:
    """The objects the lake's index holds (published ones), as keys."""
    index = home / "lake-index"
    return {f"lake/{p.relative_to(index).as_posix()}" for p in index.rglob("*.parquet")}


def ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def query(home: Path, sql: str) -> Any:
    return ok(vigil(home, "query", sql, "--json"))


def sources(root: Path) -> Path:
    """Flow logs of two accounts, two Regions and two days (a port scan among them) and a
    CloudTrail file of calls detection looks for."""
    scan = [flow_line(src="192.0.2.45", dport=p, start=1700000000 + p) for p in range(1, 41)]
    write_gz(flow_key(root), FLOW_HEADER + "\n" + "\n".join(scan) + "\n")
    other = [flow_line(account="444455556666", dport=443, start=1700090000 + n, action="ACCEPT")
             for n in range(25)]  # fmt: skip
    write_gz(flow_key(root, account="444455556666", region="eu-west-1", day="2023/11/15",
                      stamp="20231115T2220Z"), FLOW_HEADER + "\n" + "\n".join(other) + "\n")  # fmt: skip
    calls = [
        ct_record(),
        ct_record(eventID="e-2", eventName="StopLogging", eventSource="cloudtrail.amazonaws.com",
                  eventTime="2024-03-01T09:20:00Z"),
        ct_record(eventID="e-3", eventName="DeleteTrail", eventSource="cloudtrail.amazonaws.com",
                  eventTime="2024-03-01T09:21:00Z"),
        ct_record(eventID="e-4", userIdentity={"type": "Root", "arn":
                  "arn:aws:iam::111122223333:root", "accountId": "111122223333"},
                  eventTime="2024-03-01T09:22:00Z"),
    ]  # fmt: skip
    write_gz(trail_key(root), trail_file(calls))
    return root


def test_ingest_query_and_detect_on_s3_equal_a_local_lake(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    s3, name = bucket
    src = sources(tmp_path / "src")
    local, remote = tmp_path / "local", s3_home(tmp_path, aws, name)
    for home in (local, remote):
        taken = ok(vigil(home, "ingest", str(src), "--json"))
        assert taken["records"]["flow_logs"] == 65 and taken["records"]["cloudtrail"] == 4
    stored = keys(s3, name)
    assert stored == entries(remote) and len(stored) == 3  # two flow partitions, one trail
    assert all(k.startswith("lake/flow_logs/aws_account=") or
               k.startswith("lake/cloudtrail/aws_account=111122223333/aws_region=us-east-1/date=")
               for k in stored)  # fmt: skip
    assert not list((remote / "lake-index").rglob("*.inflight"))
    for path in (remote / "lake-index").rglob("*.parquet"):  # entries, not copies of the data
        assert path.read_bytes()[:4] != b"PAR1" and path.stat().st_size < 16_384
    for sql in (
        "SELECT * FROM flow_logs ORDER BY ALL",
        "SELECT aws_account, aws_region, date, action, count(*) n, sum(bytes) b FROM flow_logs "
        "GROUP BY ALL ORDER BY ALL",
        "SELECT eventid, eventname, eventsource, useridentity, aws_account, date FROM cloudtrail "
        "ORDER BY eventid",
        "SELECT * FROM vpc_flow_logs WHERE date = DATE '2023-11-15' ORDER BY ALL",
    ):
        assert query(remote, sql) == query(local, sql), sql
    found = [ok(vigil(home, "detect", "--json")) for home in (local, remote)]
    assert found[0]["errors"] == found[1]["errors"] == []
    assert (
        found[1]["findings"] == found[0]["findings"]
        and "recon-ec2-portscan" in found[1]["findings"]
    )
    listed = [ok(vigil(home, "findings", "list", "--json")) for home in (local, remote)]
    assert listed[0] and _findings(listed[1]) == _findings(listed[0])
    info = ok(vigil(remote, "lake", "info", "--json"))
    flows = next(t for t in info["tables"] if t["table"] == "flow_logs")
    assert (flows["files"], flows["rows"], flows["partitions"]) == (2, 65, 2)


def _findings(doc: Any) -> list[tuple[Any, ...]]:
    rows = doc["findings"] if isinstance(doc, dict) else doc
    return sorted((f["id"], f.get("type"), f.get("count")) for f in rows)


def test_a_killed_ingest_leaves_nothing_the_manifest_does_not_hold(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    s3, name = bucket
    home = s3_home(tmp_path, aws, name)
    src = tmp_path / "src"
    for n in range(120):  # one object per file, one lake write per object (--batch-rows)
        lines = [flow_line(dport=1000 + r, start=1700000000 + 60 * n + r) for r in range(10)]
        write_gz(flow_key(src, stamp=f"20231114T{n // 60:02d}{n % 60:02d}Z", tag=f"{n:08x}"),
                 FLOW_HEADER + "\n" + "\n".join(lines) + "\n")  # fmt: skip
    args = [sys.executable, "-m", "vigil", "--home", str(home), "ingest", str(src),
            "--batch-rows", "5"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught = _kill_when_pending(proc, home / "state.db")
    visible = query(home, "SELECT count(*) n, count(DISTINCT source_file) f FROM flow_logs")[0]
    with sqlite3.connect(home / "state.db") as db:
        held = db.execute("SELECT count(*), coalesce(sum(records), 0) FROM objects "
                          "WHERE status = 'done'").fetchone()  # fmt: skip
    assert (visible["f"], visible["n"]) == (held[0], held[1]) and held[0] < 120
    done = ok(vigil(home, "ingest", str(src), "--json"))
    assert done["repaired_batches"] == (1 if caught else 0)
    total = query(
        home, "SELECT count(*) n, count(DISTINCT (source_file, dstport)) d FROM flow_logs"
    )
    assert total == [{"n": 1200, "d": 1200}]
    assert keys(s3, name) == entries(home)  # no object left that the index does not hold


def _kill_when_pending(proc: subprocess.Popen[bytes], state: Path) -> bool:
    """kill -9 the ingest while a batch is journaled but not committed (its objects being
    uploaded), or after a few batches if none is caught so; whether one was."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=0.05) as db:
                pending, committed = db.execute(
                    "SELECT count(*) FILTER (WHERE status = 'pending'), "
                    "count(*) FILTER (WHERE status = 'committed') FROM batches"
                ).fetchone()
        except sqlite3.Error:
            continue
        if pending or committed >= 20:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return bool(pending)
        time.sleep(0.002)
    pytest.fail("the ingest finished before it could be killed")


def test_a_pending_batch_is_rolled_back_or_finished_with_its_objects(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    """A batch journaled with one of its two objects uploaded (a crash mid-batch) is rolled
    back, the uploaded object deleted; one with all its objects uploaded is finished."""
    from vigil.lake.manifest import Manifest, ObjectRecord
    from vigil.lake.tables import TABLES
    from vigil.lake.writer import LakeWriter

    s3, name = bucket
    home = s3_home(tmp_path, aws, name)
    ok(vigil(home, "ingest", str(sources(tmp_path / "src")), "--json"))
    before = keys(s3, name)
    settings = Settings.load(home)
    manifest = Manifest(settings.state_db)
    writer = LakeWriter(settings, manifest)
    first = sorted((home / "lake-index" / "flow_logs").rglob("*.parquet"))[0]
    table = writer.store.parquet(first).read().slice(0, 3)  # rows as the lake holds them
    day = datetime(2023, 11, 20).date()
    one, two = ("111122223333", "us-east-1", day), ("111122223333", "us-east-2", day)
    parts = {one: [table], two: [table]}
    staged = writer._stage(TABLES["flow_logs"], parts, "20991231T000000-00000001")
    manifest.begin_batch("20991231T000000-00000001", [str(t) for t, _ in staged], [], [])
    writer._move_inflight(staged[:1])  # killed after the first upload
    assert len(keys(s3, name) - before) == 1
    assert query(home, "SELECT count(*) n FROM flow_logs") == [{"n": 65}]
    record = ObjectRecord("s3://elsewhere/x.log.gz", 1, "v1", None, "flow_logs", "done", 3)
    staged = writer._stage(TABLES["flow_logs"], {one: [table]}, "20991231T000000-00000002")
    manifest.begin_batch("20991231T000000-00000002", [str(t) for t, _ in staged], [], [record])
    writer._move_inflight(staged)  # all placed: the crash came before the commit
    manifest.close()
    repaired = ok(vigil(home, "ingest", str(tmp_path / "src"), "--json"))["repaired_batches"]
    assert repaired == 2
    assert keys(s3, name) == entries(home) and len(keys(s3, name) - before) == 1
    assert query(home, "SELECT count(*) n FROM flow_logs") == [{"n": 68}]
    with sqlite3.connect(home / "state.db") as db:
        assert db.execute("SELECT status FROM objects WHERE uri = ?",
                          (record.uri,)).fetchone() == ("done",)  # fmt: skip


def test_compact_and_expire_on_s3(tmp_path: Path, aws: str, bucket: tuple[Any, str]) -> None:
    s3, name = bucket
    home = s3_home(tmp_path, aws, name)
    recent = int((datetime.now(UTC) - timedelta(days=2)).timestamp())
    day = datetime.fromtimestamp(recent, UTC)
    for n in range(3):  # three runs: three objects in each partition
        src = tmp_path / f"src{n}"
        write_gz(flow_key(src, stamp=f"20231114T22{n}0Z"),
                 FLOW_HEADER + "\n" + flow_line(dport=n + 1, start=1700000000 + n) + "\n")  # fmt: skip
        write_gz(flow_key(src, day=day.strftime("%Y/%m/%d"), stamp=f"{day:%Y%m%dT}22{n}0Z"),
                 FLOW_HEADER + "\n" + flow_line(dport=n + 1, start=recent + n) + "\n")  # fmt: skip
        ok(vigil(home, "ingest", str(src), "--json"))
    assert len(keys(s3, name)) == 6
    before = query(home, "SELECT * FROM flow_logs ORDER BY ALL")
    report = ok(vigil(home, "lake", "compact", "--json"))
    assert (report["partitions"], report["files_before"], report["files_after"]) == (2, 6, 2)
    assert len(keys(s3, name)) == 2 and keys(s3, name) == entries(home)  # the old ones deleted
    assert query(home, "SELECT * FROM flow_logs ORDER BY ALL") == before
    gone = ok(vigil(home, "lake", "expire", "--older-than", "30d", "--json"))
    assert gone["partitions"] == 1 and gone["rows"] == 3
    assert [k.split("/")[4] for k in keys(s3, name)] == [f"date={day:%Y-%m-%d}"]
    assert keys(s3, name) == entries(home)
    assert query(home, "SELECT count(*) n, min(date) d FROM flow_logs") == [
        {"n": 3, "d": f"{day:%Y-%m-%d}"}
    ]


def test_a_one_day_query_reads_only_that_days_objects_and_lists_none(
    tmp_path: Path, aws: str
) -> None:
    """Partition pruning on S3, counted at the server: a lake of 6 days, 2 accounts and 2
    Regions, and a query for one account's day."""
    server = CountingMoto()
    endpoint = server.start()
    try:
        import boto3

        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="pruned")
        home = s3_home(tmp_path, endpoint, "pruned")
        src = tmp_path / "src"
        for d in range(6):
            for account in ("111122223333", "444455556666"):
                for region in ("us-east-1", "eu-west-1"):
                    start = 1700000000 + 86400 * d
                    day = datetime.fromtimestamp(start, UTC)
                    lines = [flow_line(account=account, dport=p, start=start + p,
                                       eni=f"eni-{region}") for p in range(5)]  # fmt: skip
                    write_gz(flow_key(src, account=account, region=region, day=f"{day:%Y/%m/%d}",
                                      stamp=f"{day:%Y%m%dT%H%MZ}"),
                             FLOW_HEADER + "\n" + "\n".join(lines) + "\n")  # fmt: skip
        ok(vigil(home, "ingest", str(src), "--json"))
        assert len(entries(home)) == 24
        server.requests.clear()
        day = datetime.fromtimestamp(1700000000 + 86400 * 3, UTC)
        found = query(home, "SELECT count(*) n, sum(bytes) b FROM flow_logs WHERE date = "
                      f"DATE '{day:%Y-%m-%d}' AND aws_account = '444455556666'")  # fmt: skip
        assert found == [{"n": 10, "b": 10 * 1840}]
        seen = Counter((method, "list" if kind == "list" else "object") for method, kind, _ in
                       server.requests)  # fmt: skip
        read = {key for method, kind, key in server.requests if method == "GET" and kind != "list"}
        assert seen[("GET", "list")] == 0 and seen[("HEAD", "object")] == 0
        assert len(read) == 2 and all(f"date={day:%Y-%m-%d}" in k and "444455556666" in k
                                      for k in read)  # fmt: skip
    finally:
        server.stop()


def test_live_batches_and_the_iceberg_export_on_s3(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    """What a server does after each committed batch (detection over the batch's own files, in
    a scratch lake of their index entries; CloudTrail events for the bus) reads the objects;
    the Iceberg export registers them by their s3:// URIs, which pyiceberg reads back."""
    pytest.importorskip("pyiceberg")
    from pyiceberg.catalog.sql import SqlCatalog

    from vigil.detect.batch import BatchDetector
    from vigil.events.emit import cloudtrail_events
    from vigil.findings.store import FindingStore
    from vigil.ingest.options import IngestOptions
    from vigil.ingest.pipeline import ingest

    s3, name = bucket
    home = s3_home(tmp_path, aws, name)
    settings = Settings.load(home)
    written = ingest(settings, [str(sources(tmp_path / "src"))], IngestOptions()).written
    assert {t: len(f) for t, f in written.items() if f} == {"flow_logs": 2, "cloudtrail": 1}
    detector = BatchDetector(settings)
    try:
        with FindingStore(settings.state_db) as store:
            report = detector.detect(store, written)
    finally:
        detector.close()
    assert report.errors == [] and report.changed
    calls = {e["detail"]["eventName"] for e in cloudtrail_events(written["cloudtrail"])}
    assert {"StopLogging", "DeleteTrail"} <= calls
    catalog = f"sqlite:///{tmp_path / 'catalog.db'}"
    warehouse = (tmp_path / "warehouse").as_uri()
    done = ok(vigil(home, "lake", "export", "--format", "iceberg", "--catalog", "sql", "--uri",
                    catalog, "--warehouse", warehouse, "--json"))  # fmt: skip
    assert {t["table"]: t["added"] for t in done["tables"]}["flow_logs"] == 2
    table = SqlCatalog("vigil", uri=catalog, warehouse=warehouse, **{
        "s3.endpoint": aws, "s3.region": "us-east-1", "s3.access-key-id": "testing",
        "s3.secret-access-key": "testing"}).load_table("vigil.flow_logs")  # fmt: skip
    paths = {task.file.file_path for task in table.scan().plan_files()}
    assert paths == {f"s3://{name}/{k}" for k in keys(s3, name) if "/flow_logs/" in k}
    assert table.scan().to_arrow().num_rows == 65


def test_the_index_names_its_lake_and_refuses_another(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, lake="s3://logs-bucket/lake/", lake_endpoint_url="http://x:1")
    assert (
        settings.lake_url == "s3://logs-bucket/lake"
        and settings.lake_location == "s3://logs-bucket/lake"
    )
    assert settings.lake_dir == home / "lake-index"
    marker = json.loads((home / "lake-index" / "_lake.json").read_text())
    assert marker == {"url": "s3://logs-bucket/lake", "endpoint_url": "http://x:1"}
    other = Settings(home=home, lake="s3://other-bucket/lake")
    with pytest.raises(ConfigError, match="is the index of the lake s3://logs-bucket/lake, not"):
        _ = other.lake_dir
    with pytest.raises(ConfigError, match=r"only S3 \(s3://bucket/prefix\)"):
        _ = Settings(home=home, lake="s3:///no-bucket").lake_url
    assert Settings(home=home, lake=f"file://{tmp_path}/l").lake_dir == tmp_path / "l"


def test_an_object_rewritten_with_more_content_replaces_its_rows_on_s3(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    s3, name = bucket
    home = s3_home(tmp_path, aws, name)
    path = flow_key(tmp_path / "src")
    write_gz(path, FLOW_HEADER + "\n" + flow_line(dport=22) + "\n")
    ok(vigil(home, "ingest", str(tmp_path / "src"), "--json"))
    first = keys(s3, name)
    write_gz(path, FLOW_HEADER + "\n" + flow_line(dport=22) + "\n" + flow_line(dport=23) + "\n")
    again = ok(vigil(home, "ingest", str(tmp_path / "src"), "--json"))
    assert again["reprocessed"] == 1
    assert query(home, "SELECT dstport FROM flow_logs ORDER BY 1") == [
        {"dstport": 22},
        {"dstport": 23},
    ]
    assert keys(s3, name) == entries(home) and not first & keys(s3, name)  # the old one gone


def test_spark_reads_the_objects_through_s3a_or_says_it_has_no_connector(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    """Spark is given the index's objects as s3a:// URIs (never a prefix to list) and the
    endpoint's S3A settings; this pyspark has no S3A connector, which is one clear error."""
    from vigil.lake.snapshot import Reader
    from vigil.lake.store import store_at
    from vigil.query.spark import s3a_conf
    from vigil.query.spark.engine import _uri

    _, name = bucket
    home = s3_home(tmp_path, aws, name)
    ok(vigil(home, "ingest", str(sources(tmp_path / "src")), "--json"))
    index = Settings.load(home).lake_dir
    reader = Reader(index)
    try:
        listed = reader.list(["flow_logs"])["flow_logs"]
        store = store_at(index, listed)
        uris = sorted(_uri(store, f) for f in listed)
    finally:
        reader.close()
    assert len(uris) == 2 and all(
        u.startswith(f"s3a://{name}/lake/flow_logs/aws_account=") and u.endswith(".parquet")
        for u in uris
    )
    assert _uri(store, index / "flow_logs", entry=False) == f"s3a://{name}/lake/flow_logs"
    assert s3a_conf(aws) == {"spark.hadoop.fs.s3a.endpoint": aws,
                             "spark.hadoop.fs.s3a.path.style.access": "true"}  # fmt: skip
    assert s3a_conf(None) == {}
    done = vigil(home, "query", "--engine", "spark", "SELECT count(*) FROM flow_logs", "--json")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"Spark cannot read the lake's objects in s3://{name}: it has no S3A connector" in (
        done.stderr
    )
    assert "hadoop-aws" in done.stderr


def test_a_server_and_its_console_read_a_lake_on_s3(
    tmp_path: Path, aws: str, bucket: tuple[Any, str]
) -> None:
    """`vigil serve` over an S3 lake: the native API's query and the console's search (an
    Insights query over a lake table, a signed-in user's) read the objects."""
    import httpx

    from serving import serving, sign_in

    _, name = bucket
    home = s3_home(tmp_path, aws, name)
    ok(vigil(home, "ingest", str(sources(tmp_path / "src")), "--json"))
    password = "correct horse battery staple 9"
    made = vigil(home, "users", "create", "ada", "--role", "viewer", "--password-stdin",
                 stdin=password + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    with serving(home) as server:
        bearer = {"Authorization": f"Bearer {server.viewer_token}"}
        sql = "SELECT aws_account, count(*) AS n FROM flow_logs GROUP BY 1 ORDER BY 1"
        rows = httpx.post(server.url + "/api/v1/query", headers=bearer, json={"sql": sql})
        assert rows.status_code == 200, rows.text
        assert rows.json()["rows"] == [{"aws_account": "111122223333", "n": 40},
                                       {"aws_account": "444455556666", "n": 25}]  # fmt: skip
        with httpx.Client(base_url=server.url, follow_redirects=True, timeout=60) as client:
            assert sign_in(client, "ada", password).status_code == 200
            page = client.get("/search", params={
                "table": "flow_logs", "mode": "insights", "run": "1",
                "q": "filter dstport = 443 | stats count(*) as https by aws_account",
                "start": "2023-11-01T00:00:00Z", "end": "2023-12-01T00:00:00Z"})  # fmt: skip
            assert page.status_code == 200
            assert "444455556666" in page.text and ">25<" in page.text, page.text[-3000:]
            assert 'class="error' not in page.text
    log = (home / "serve.log").read_text()
    assert "Traceback" not in log
