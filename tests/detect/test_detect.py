"""`vigil detect` over a lake: watermarks, re-runs, backfills and late data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers import FLOW_HEADER, ct_record, flow_key, trail_file, trail_key, write_gz
from vigil.config import Settings
from vigil.content import content_root
from vigil.detect.runner import DetectReport
from vigil.detect.runner import detect as run_detect
from vigil.findings.store import FindingStore
from vigil.ingest.pipeline import IngestOptions, ingest


def detect(home: Settings, **options: Any) -> DetectReport:
    with FindingStore(home.state_db) as store:
        return run_detect(home, store, **options)


SCAN_START = 1700000000  # 2023-11-14T22:13:20Z


def scan_lines(first_port: int, count: int, start: int) -> str:
    lines = [
        f"2 111122223333 eni-0b1 192.0.2.45 10.0.2.10 51000 {first_port + i} 6 1 44 {start + i} {start + i + 3} REJECT OK"
        for i in range(count)
    ]
    return FLOW_HEADER + "\n" + "\n".join(lines) + "\n"


def findings(home: Settings) -> dict[str, int]:
    store = FindingStore(home.state_db)
    try:
        return {f.type: f.count for f in store.find()}
    finally:
        store.close()


def test_rerun_adds_nothing_and_late_data_updates_the_same_finding(
    home: Settings, tmp_path: Path
) -> None:
    write_gz(flow_key(tmp_path / "a", tag="a"), scan_lines(1, 30, SCAN_START))
    ingest(home, [str(tmp_path / "a")], IngestOptions())
    first = detect(home, ids=["recon-ec2-portscan"])
    assert first.errors == [] and findings(home) == {"Recon:EC2/Portscan": 30}
    again = detect(home, ids=["recon-ec2-portscan"])
    assert again.changed == 0 and findings(home) == {"Recon:EC2/Portscan": 30}
    # Ten more probes in the same window arrive in a later delivery.
    write_gz(flow_key(tmp_path / "b", tag="b"), scan_lines(31, 10, SCAN_START + 60))
    ingest(home, [str(tmp_path / "b")], IngestOptions())
    late = detect(home, ids=["recon-ec2-portscan"])
    assert late.changed == 1 and findings(home) == {"Recon:EC2/Portscan": 40}


def test_backfill_merges_into_the_same_findings(home: Settings, tmp_path: Path) -> None:
    write_gz(flow_key(tmp_path, tag="a"), scan_lines(1, 30, SCAN_START))
    ingest(home, [str(tmp_path)], IngestOptions())
    detect(home, ids=["recon-ec2-portscan"])
    since, until = datetime(2023, 11, 14, tzinfo=UTC), datetime(2023, 11, 15, tzinfo=UTC)
    backfill = detect(home, since=since, until=until, ids=["recon-ec2-portscan"])
    assert backfill.hits == 1 and backfill.changed == 0
    assert findings(home) == {"Recon:EC2/Portscan": 30}


def test_a_broken_unit_is_reported_and_the_others_run(home: Settings, tmp_path: Path) -> None:
    content = tmp_path / "content" / "detections"
    good = content_root() / "detections" / "stealth-iamuser-cloudtrailloggingdisabled"
    (content / "stealth").mkdir(parents=True)
    (content / "stealth" / "detection.yaml").write_text((good / "detection.yaml").read_text())
    (content / "stealth" / "query.sql").write_text((good / "query.sql").read_text())
    (content / "broken").mkdir()
    (content / "broken" / "detection.yaml").write_text((good / "detection.yaml").read_text())
    (content / "broken" / "query.sql").write_text("SELECT nonsense FROM cloudtrail")
    stop = ct_record(
        eventName="StopLogging",
        eventSource="cloudtrail.amazonaws.com",
        requestParameters={"name": "t"},
    )
    write_gz(trail_key(tmp_path / "src"), trail_file([stop]))
    ingest(home, [str(tmp_path / "src")], IngestOptions())
    report = detect(home, content=tmp_path / "content")
    assert len(report.errors) == 1 and "broken/query.sql" in report.errors[0]
    assert findings(home) == {"Stealth:IAMUser/CloudTrailLoggingDisabled": 1}
