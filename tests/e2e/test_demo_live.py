"""`vigil demo --serve`'s replay: the day's CloudTrail records, in time order, each sent once
with a fresh event id and the time it is sent, in PutLogEvents-sized calls."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from helpers import ct_record
from vigil.demo import live


def test_replay_sends_the_day_once_in_time_order(tmp_path: Path) -> None:
    folder = (
        tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2026" / "11" / "24"
    )
    folder.mkdir(parents=True)
    records = [ct_record(eventID=f"e{i}", eventTime=f"2026-11-24T0{9 - i}:00:00Z", pad="x" * 300_000)
               for i in range(5)]  # fmt: skip
    records.append(ct_record(eventID="other-day", eventTime="2026-11-25T01:00:00Z"))
    (folder / "111122223333_CloudTrail_us-east-1_20261124T0000Z_a.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": records}).encode())
    )
    calls: list[list[tuple[int, str]]] = []
    sent = live.replay(calls.append, tmp_path, "2026-11-24", 0)
    assert sent == 5
    docs = [json.loads(m) for call in calls for _, m in call]
    assert [d["eventID"].split("-live-")[0] for d in docs] == ["e4", "e3", "e2", "e1", "e0"]
    assert len({d["eventID"] for d in docs}) == 5 and all("-live-" in d["eventID"] for d in docs)
    assert all(sum(len(m.encode()) + 26 for _, m in call) <= 1_048_576 for call in calls)
    assert len(calls) >= 2  # 1.5 MB of records: more than one call
