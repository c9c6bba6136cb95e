"""Nothing lost, nothing doubled: rejected objects stay eligible and can be retried, re-ingests
and objects rewritten in place replace their earlier rows."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FLOW_HEADER, ct_record, flow_key, flow_line, trail_file, trail_key, write_gz
from vigil.api import lake, quarantine
from vigil.config import Settings
from vigil.errors import FormatError
from vigil.formats.flowlog_fields import DEFAULT_FORMAT
from vigil.ingest.pipeline import IngestOptions, ingest
from vigil.ingest.retry import Overrides
from vigil.lake.manifest import Manifest
from vigil.query.engine import run_query

FORMAT = " ".join("${" + f + "}" for f in DEFAULT_FORMAT)
# A custom layout without a header line that its values cannot tell (which address, which port?)
CUSTOM = ("interface-id", "srcaddr", "dstport", "action")
CUSTOM_FORMAT = " ".join("${" + f + "}" for f in CUSTOM)


def custom_line(dport: int = 22) -> str:
    return f"eni-0f00ba7c0ffee0001 198.51.100.7 {dport} REJECT"


def vigil(home: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil", "--home", str(home.home), *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def one(home: Settings, sql: str) -> object:
    return run_query(home.lake_dir, sql).to_pylist()[0]["n"]


def status_of(home: Settings, uri: str) -> str | None:
    manifest = Manifest(home.state_db)
    try:
        record = manifest.previous(uri)
        return None if record is None else record.status
    finally:
        manifest.close()


def test_a_file_rejected_for_want_of_a_format_is_ingested_when_rerun_with_it(
    home: Settings, tmp_path: Path
) -> None:
    export = tmp_path / "export" / "flows.log"
    export.parent.mkdir()
    export.write_text(custom_line() + "\n" + custom_line(dport=3389) + "\n")
    first = ingest(home, [str(export.parent)], IngestOptions())
    assert len(first.quarantined) == 1 and first.ingested == 0
    assert status_of(home, str(export)) == "failed"
    second = ingest(home, [str(export.parent)], IngestOptions(fmt=CUSTOM))
    assert second.retried == 1 and second.already_seen == 0 and second.ingested == 1
    assert second.released == 1  # the quarantine entry went with it
    assert one(home, "SELECT count(*) AS n FROM flow_logs") == 2
    assert quarantine.entries(home) == []
    third = ingest(home, [str(export.parent)], IngestOptions(fmt=CUSTOM))
    assert third.already_seen == 1 and third.ingested == 0


def test_a_mistyped_format_rejects_every_record_and_the_object_stays_eligible(
    home: Settings, tmp_path: Path
) -> None:
    export = tmp_path / "flows.log"
    export.write_text(flow_line() + "\n")
    wrong = tuple(f for f in DEFAULT_FORMAT if f != "protocol")  # one field short
    report = ingest(home, [str(export)], IngestOptions(fmt=wrong))
    assert report.ingested == 0 and report.rejected == 1
    assert status_of(home, str(export)) == "failed"
    [entry] = quarantine.entries(home)
    assert entry.status == "failed" and entry.options["format"].startswith("${version}")
    done = quarantine.retry(home, [entry.id], Overrides(fmt=FORMAT))
    assert [o.result for o in done.objects] == ["ingested"] and done.objects[0].records == 1
    assert quarantine.entries(home) == [] and status_of(home, str(export)) == "done"


def test_retry_from_the_command_line_and_from_the_kept_copy_when_the_source_is_gone(
    home: Settings, tmp_path: Path
) -> None:
    export = tmp_path / "gone" / "flows.log.gz"
    write_gz(export, custom_line() + "\n")
    assert vigil(home, "ingest", str(export)).returncode == 1  # nothing taken: it says so
    listed = vigil(home, "quarantine", "list", "--json")
    [entry] = json.loads(listed.stdout)
    assert entry["has_original"] and "no header line" in entry["reason"]
    shown = json.loads(vigil(home, "quarantine", "show", entry["id"][:6], "--json").stdout)
    assert shown["uri"] == str(export)
    export.unlink()  # the source is gone; the quarantine kept the original bytes
    retried = vigil(home, "quarantine", "retry", entry["id"], "--format", CUSTOM_FORMAT, "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["objects"][0]["result"] == "ingested"
    rows = run_query(home.lake_dir, "SELECT source_file, count(*) AS n FROM flow_logs GROUP BY 1")
    assert rows.to_pylist() == [{"source_file": str(export), "n": 1}]  # lineage: the real URI
    assert json.loads(vigil(home, "quarantine", "list", "--json").stdout) == []


def test_a_retry_that_fails_again_says_so_and_exits_non_zero(
    home: Settings, tmp_path: Path
) -> None:
    export = tmp_path / "flows.log"
    export.write_text("not a flow log at all\n")
    ingest(home, [str(export)], IngestOptions())
    done = vigil(home, "quarantine", "retry", "--json")
    assert done.returncode == 1
    [obj] = json.loads(done.stdout)["objects"]
    assert obj["result"] == "rejected" and "no header line" in obj["reason"]
    [entry] = quarantine.entries(home)
    assert entry.attempts == 2


def test_purge_drops_entries_and_stops_the_retries(home: Settings, tmp_path: Path) -> None:
    export = tmp_path / "flows.log"
    export.write_text(custom_line() + "\n")
    ingest(home, [str(export)], IngestOptions())
    refused = vigil(home, "quarantine", "purge")
    assert refused.returncode == 1 and "--all" in refused.stderr
    purged = json.loads(vigil(home, "quarantine", "purge", "--all", "--json").stdout)
    assert [p["uri"] for p in purged["purged"]] == [str(export)]
    assert quarantine.entries(home) == []
    again = ingest(home, [str(export)], IngestOptions())
    assert again.already_seen == 1 and again.retried == 0 and not again.quarantined
    forced = ingest(home, [str(export)], IngestOptions(fmt=CUSTOM, reprocess=True))
    assert forced.ingested == 1


def test_reprocess_replaces_rows_and_a_second_time_changes_nothing(
    home: Settings, tmp_path: Path
) -> None:
    src = tmp_path / "bucket"
    write_gz(flow_key(src), "\n".join([FLOW_HEADER, flow_line(), flow_line(dport=3389)]) + "\n")
    write_gz(trail_key(src), trail_file([ct_record(), ct_record(eventID="e2")]))
    write_gz(trail_key(src, stamp="20240301T0920Z"), trail_file([ct_record(eventID="e3")]))
    ingest(home, [str(src)], IngestOptions(batch_rows=2))
    before = run_query(
        home.lake_dir, "SELECT * EXCLUDE (source_file) FROM cloudtrail ORDER BY eventid"
    )
    for _ in range(2):
        again = ingest(home, [str(src)], IngestOptions(reprocess=True, batch_rows=2))
        assert again.ingested == 3 and again.reprocessed == 3 and again.already_seen == 0
        assert one(home, "SELECT count(*) AS n FROM flow_logs") == 2
        assert one(home, "SELECT count(*) AS n FROM cloudtrail") == 3
    after = run_query(
        home.lake_dir, "SELECT * EXCLUDE (source_file) FROM cloudtrail ORDER BY eventid"
    )
    assert after.equals(before)


def test_reprocess_keeps_other_objects_rows_in_shared_files(home: Settings, tmp_path: Path) -> None:
    src = tmp_path / "bucket"
    a = write_gz(trail_key(src), trail_file([ct_record(eventID="a1"), ct_record(eventID="a2")]))
    write_gz(trail_key(src, stamp="20240301T0920Z"), trail_file([ct_record(eventID="b1")]))
    ingest(home, [str(src)], IngestOptions())  # both objects' rows in one lake file
    assert len(list(home.lake_dir.rglob("*.parquet"))) == 1
    again = ingest(home, [str(a)], IngestOptions(reprocess=True))
    assert again.reprocessed == 1
    ids = run_query(home.lake_dir, "SELECT eventid FROM cloudtrail ORDER BY 1").column(0)
    assert ids.to_pylist() == ["a1", "a2", "b1"]


def test_an_object_completed_in_place_replaces_its_truncated_rows(
    home: Settings, tmp_path: Path
) -> None:
    records = [ct_record(eventID=f"e{i}", eventName=f"Call{i}") for i in range(200)]
    lines = "\n".join(json.dumps({**r, "_pad": "x" * 200}) for r in records) + "\n"
    full = gzip.compress(lines.encode(), mtime=0)
    path = tmp_path / "trail" / "events.json.gz"
    path.parent.mkdir()
    path.write_bytes(full[: len(full) // 2])  # delivered half-written
    first = ingest(home, [str(path)], IngestOptions(log_type="cloudtrail"))
    partial = int(str(one(home, "SELECT count(*) AS n FROM cloudtrail")))
    assert 0 < partial < 200 and first.quarantined
    path.write_bytes(full)  # completed in place
    second = ingest(home, [str(path)], IngestOptions(log_type="cloudtrail"))
    assert second.reprocessed == 1 and second.released == 1
    counts = run_query(home.lake_dir, "SELECT count(*) AS n, count(DISTINCT eventid) AS d "
                                      "FROM cloudtrail").to_pylist()[0]  # fmt: skip
    assert counts == {"n": 200, "d": 200}


def test_an_object_rejected_on_reprocess_keeps_its_earlier_rows(
    home: Settings, tmp_path: Path
) -> None:
    export = tmp_path / "flows.log"
    export.write_text(flow_line() + "\n")
    ingest(home, [str(export)], IngestOptions(fmt=DEFAULT_FORMAT))
    wrong = tuple(f for f in DEFAULT_FORMAT if f != "bytes")
    again = ingest(home, [str(export)], IngestOptions(fmt=wrong, reprocess=True))
    assert again.ingested == 0 and again.quarantined
    assert any("rows ingested before are kept" in n for n in again.notices)
    assert one(home, "SELECT count(*) AS n FROM flow_logs") == 1
    assert status_of(home, str(export)) == "done"


def test_errors_raise_stops_at_the_first_bad_record_and_loses_nothing(
    home: Settings, tmp_path: Path
) -> None:
    good = flow_key(tmp_path / "src", stamp="20231114T2220Z")
    write_gz(good, FLOW_HEADER + "\n" + flow_line() + "\n")
    bad = flow_key(tmp_path / "src", stamp="20231114T2225Z", tag="bad00001")
    write_gz(bad, FLOW_HEADER + "\n" + flow_line() + "\n2 111122223333 eni-1 not-a-record\n")
    with pytest.raises(FormatError) as raised:
        lake.ingest(home, [str(tmp_path / "src")], errors="raise")
    assert raised.value.path == f"file://{bad}" or str(bad) in str(raised.value.path)
    assert raised.value.line == 3 and "quarantine show" in (raised.value.hint or "")
    assert [e.uri for e in quarantine.entries(home)] == [raised.value.path]
    again = lake.ingest(home, [str(tmp_path / "src")])  # collect: the rest goes in
    assert again.rejected == 1 and again.records["flow_logs"] >= 2
