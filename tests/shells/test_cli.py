"""The command line as a user runs it: real processes, exit codes, --json, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from helpers import FLOW_HEADER, flow_key, flow_line, run, write_gz

VIGIL = [sys.executable, "-m", "vigil"]


def test_ingest_query_info_with_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_gz(flow_key(tmp_path / "src"), f"{FLOW_HEADER}\n{flow_line()}\n{flow_line(dport=3389)}\n")
    done = run(home, "ingest", str(tmp_path / "src"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["records"]["flow_logs"] == 2 and report["ingested"] == 1
    out = run(home, "query", "SELECT dstport FROM flow_logs ORDER BY dstport", "--format", "json")
    assert json.loads(out.stdout) == [{"dstport": 22}, {"dstport": 3389}]
    csv_out = run(home, "query", "SELECT dstport FROM flow_logs ORDER BY 1", "--format", "csv")
    assert csv_out.stdout.splitlines() == ["dstport", "22", "3389"]
    info = json.loads(run(home, "lake", "info", "--json").stdout)
    assert info["tables"][0]["rows"] == 2
    pq_file = tmp_path / "out.parquet"
    assert (
        run(
            home, "query", "SELECT * FROM flow_logs", "--format", "parquet", "--out", str(pq_file)
        ).returncode
        == 0
    )
    import pyarrow.parquet as pq

    assert pq.read_table(pq_file).num_rows == 2


def test_errors_are_one_line_with_a_hint_and_nonzero_exit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()  # a read-only command on a missing home says that instead (test_clear_errors)
    refused = run(home, "query", "DROP TABLE flow_logs")
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert lines[0].startswith("error: DROP statements are refused") and lines[1].startswith(
        "hint:"
    )
    missing = run(home, "ingest", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no such file or directory" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_format = run(home, "ingest", str(tmp_path), "--format", "version account-id")
    assert bad_format.returncode == 1 and "${field-name}" in bad_format.stderr


def test_strict_turns_rejects_into_a_failing_exit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_gz(tmp_path / "src" / "f.log.gz", f"{FLOW_HEADER}\n{flow_line()}\n2 1 eni-1 - -\n")
    lenient = run(home, "ingest", str(tmp_path / "src"))
    assert lenient.returncode == 0 and "f.log.gz:3: expected 14 fields, found 5" in lenient.stderr
    strict = run(tmp_path / "home2", "ingest", str(tmp_path / "src"), "--strict")
    assert strict.returncode == 1


def test_detect_and_triage_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    lines = [
        f"2 111122223333 eni-0b1 192.0.2.45 10.0.2.10 51000 {p} 6 1 44 {1700000000 + p} {1700000003 + p} REJECT OK"
        for p in range(1, 41)
    ]
    write_gz(flow_key(tmp_path / "src"), FLOW_HEADER + "\n" + "\n".join(lines) + "\n")
    assert run(home, "ingest", str(tmp_path / "src")).returncode == 0
    (tmp_path / "bad.txt").write_text("# demo list\n192.0.2.45\nnot-an-ip\n")
    added = run(home, "intel", "add", "--threat", str(tmp_path / "bad.txt"), "--json")
    assert (
        json.loads(added.stdout)["entries"] == 1
        and "not-an-ip" in json.loads(added.stdout)["problems"][0]
    )
    detected = json.loads(run(home, "detect", "--json").stdout)
    assert detected["errors"] == [] and detected["findings"]["recon-ec2-portscan"] == 1
    backfill = run(home, "detect", "--since", "2023-11-14", "--until", "2023-11-15", "--json")
    assert backfill.returncode == 0, backfill.stderr
    assert json.loads(backfill.stdout)["changed"] == 0  # dates are UTC days; merged, not doubled
    listed = json.loads(run(home, "findings", "list", "--json").stdout)
    assert [f["type"] for f in listed] == ["Recon:EC2/Portscan"]
    fid = listed[0]["id"]
    shown = json.loads(run(home, "findings", "show", fid[:10], "--json").stdout)
    assert "192.0.2.45" in shown["evidence_query"] and shown["count"] == 40
    updated = json.loads(
        run(
            home, "findings", "update", fid, "--status", "resolved", "--note", "ok", "--json"
        ).stdout
    )
    assert (updated["workflow"], updated["note"]) == ("RESOLVED", "ok")
    bad = run(home, "findings", "update", fid, "--status", "done")
    assert bad.returncode == 1 and "no workflow status" in bad.stderr


def test_content_commands(tmp_path: Path) -> None:
    listed = json.loads(run(tmp_path, "content", "list", "--json").stdout)
    assert len(listed["units"]) >= 10 and listed["errors"] == []
    tested = run(tmp_path, "content", "test", "recon-ec2-portscan")
    assert tested.returncode == 0 and "3 passed, 0 failed" in tested.stdout
    missing = run(tmp_path, "content", "test", "no-such-unit")
    assert missing.returncode == 1 and "no detection unit" in missing.stderr


def test_paths_that_do_not_exist_are_clean_errors(tmp_path: Path) -> None:
    for args in (["intel", "add", "--threat", str(tmp_path / "none.txt")],
                 ["rules", "import", str(tmp_path / "none")],
                 ["query", "SELECT 1", "--format", "csv", "--out", str(tmp_path / "no" / "dir.csv")]):  # fmt: skip
        done = run(tmp_path / "home", *args)
        assert done.returncode == 1, args
        assert (
            done.stderr.startswith("error: ")
            and "Traceback" not in done.stderr
            and "internal" not in done.stderr
        )
