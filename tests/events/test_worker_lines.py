"""`vigil run` says what each round did (stderr, or JSON lines with --json); `events audit`
shows ISO 8601 times; the job target's ingest options are used and checked at `rules put`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import flow_line, vigil, write_gz

FORMAT = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " \
         "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"  # fmt: skip


def test_rounds_are_reported_and_the_ingest_job_takes_its_options(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_gz(tmp_path / "drop" / "flows.log.gz", flow_line() + "\n")  # no header, no AWSLogs key
    rule = tmp_path / "rule.yaml"
    rule.write_text(json.dumps({"name": "pull", "pattern": {"source": ["app.drop"]}, "targets": [
        {"id": "ingest", "type": "job", "job": "ingest", "sources": [str(tmp_path / "drop")],
         "format": FORMAT, "account": "444455556666", "region": "eu-west-1"}]}))  # fmt: skip
    assert vigil(home, "events", "rules", "put", str(rule)).returncode == 0
    entry = [{"Source": "app.drop", "DetailType": "Dropped", "Detail": "{}"}]
    assert vigil(home, "events", "put", json.dumps(entry)).returncode == 0
    done = vigil(home, "run", "--once", "--json")
    assert done.returncode == 0, done.stderr
    [line] = [json.loads(x) for x in done.stderr.splitlines()]
    assert (
        line["round"] == 1
        and line["events"] == 1
        and line["queued"] == 1
        and line["delivered"] == 1
    )
    assert line["failed"] == 0 and line["jobs"] == ["job ingest: 1 object(s), 1 records"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["at"])
    assert json.loads(done.stdout)["delivered"] == 1  # the totals, as before
    rows = json.loads(vigil(home, "query", "SELECT aws_account, aws_region FROM flow_logs",
                            "--format", "json").stdout)  # fmt: skip
    assert rows == [{"aws_account": "444455556666", "aws_region": "eu-west-1"}]
    text = vigil(home, "run", "--once")
    assert re.match(
        r"^\S+Z round 1: 0 scheduled, \d+ event\(s\) read, 0 queued, 0 delivered", text.stderr
    )
    audit = vigil(home, "events", "audit")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pull/ingest ", audit.stdout)
    items = json.loads(vigil(home, "events", "audit", "--json").stdout)["audit"]
    assert items[0]["time"].endswith("Z") and isinstance(items[0]["ts"], int)


def test_a_target_that_cannot_work_is_refused_at_put(tmp_path: Path) -> None:
    rule = tmp_path / "rule.yaml"
    rule.write_text("name: r\npattern: {source: [app]}\ntargets:\n"
                    "  - {id: s, type: slack, url: 'https://hooks.slack.com/services/T0/B0/abc'}\n")  # fmt: skip
    done = vigil(tmp_path / "home", "events", "rules", "put", str(rule))
    assert done.returncode == 1
    assert "url: a secret is given as env:NAME or file:/path, not the value" in done.stderr
    assert "hooks.slack.com" not in done.stderr  # the secret itself is never echoed
    assert not (tmp_path / "home" / "rules" / "r.yaml").exists()
