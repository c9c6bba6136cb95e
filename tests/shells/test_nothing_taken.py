"""A command given files exits non-zero when it took none of them, says which and why, and
exits 0 when it took some (listing the rest): a cron job notices a feed gone bad."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import DATA, FLOW_HEADER, flow_key, flow_line, vigil, write_gz


def test_ingest_of_only_bad_objects_fails_and_names_them(tmp_path: Path) -> None:
    home, src = tmp_path / "home", tmp_path / "src"
    write_gz(src / "a.log.gz", b"\x00\x01 binary junk " * 50)
    write_gz(src / "b.log.gz", "this is not a log of any kind\n" * 3)
    done = vigil(home, "ingest", str(src))
    assert done.returncode == 1
    assert "nothing was ingested" in done.stderr and "2 objects were quarantined" in done.stderr
    assert "vigil quarantine" in done.stderr  # the hint
    as_json = vigil(home, "ingest", str(src), "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["nothing_taken"] is True


def test_ingest_of_good_and_bad_objects_succeeds_and_lists_the_bad(tmp_path: Path) -> None:
    home, src = tmp_path / "home", tmp_path / "src"
    write_gz(flow_key(src), f"{FLOW_HEADER}\n{flow_line()}\n")
    write_gz(src / "junk.log.gz", "garbage garbage\n")
    done = vigil(home, "ingest", str(src), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["nothing_taken"] is False and report["records"]["flow_logs"] == 1
    assert [q["uri"].rsplit("/", 1)[-1] for q in report["quarantined"]] == ["junk.log.gz"]
    # a re-run takes nothing new and is not a failure: the good object was taken before
    again = vigil(home, "ingest", str(flow_key(src)))
    assert again.returncode == 0, again.stderr


def test_rules_import_with_nothing_imported_fails(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "not-sigma.yml").write_text("title: x\nfoo: [1, 2]\n")
    (bad / "windows.yml").write_text((DATA / "sigma" / "windows.yml").read_text())
    done = vigil(home, "rules", "import", str(bad))
    assert done.returncode == 1 and "no rule was imported from 2 file(s)" in done.stderr
    mixed = tmp_path / "mixed"
    shutil.copytree(bad, mixed)
    shutil.copy(DATA / "sigma" / "root-and-errors.yml", mixed)
    ok = vigil(home, "rules", "import", str(mixed), "--json")
    assert ok.returncode == 0, ok.stderr
    statuses = sorted(r["status"] for r in json.loads(ok.stdout))
    assert statuses == ["imported", "rejected", "rejected"]
