"""The S3 polling lane against moto's S3: a bounded number of ListObjectsV2 pages per poll, and
a late key found in any recent folder however many there are (the re-list resumes where the
previous poll stopped)."""

from __future__ import annotations

import time
import uuid

import boto3

from vigil.live.lanes import MAX_PAGES, S3PollLane
from vigil.live.sources import Position, Source

REGIONS = ["ap-northeast-1", "ap-south-1", "ap-southeast-1", "ca-central-1", "eu-central-1",
           "eu-north-1", "eu-west-1", "eu-west-2", "sa-east-1", "us-east-1", "us-east-2",
           "us-west-2"]  # fmt: skip


def _key(region: str, day: str, n: int) -> str:
    stamp = day.replace("/", "")
    return (f"AWSLogs/111122223333/CloudTrail/{region}/{day}/"
            f"111122223333_CloudTrail_{region}_{stamp}T00{n:02d}Z_{n:04d}.json.gz")  # fmt: skip


def test_a_late_key_in_any_of_many_recent_folders_is_found(aws: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws)
    bucket = f"poll-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    now = time.time()
    days = [time.strftime("%Y/%m/%d", time.gmtime(now - 86400)),
            time.strftime("%Y/%m/%d", time.gmtime(now))]  # fmt: skip
    for region in REGIONS:  # 24 recent folders: more than one poll's page budget
        for day in days:
            s3.put_object(Bucket=bucket, Key=_key(region, day, 10), Body=b"{}")
    lane = S3PollLane(Source("poll", "s3", f"s3://{bucket}/AWSLogs/", endpoint_url=aws))
    position = Position()
    seen: set[str] = set()
    pages = []
    for _ in range(3):  # caught up, then re-listing with nothing new
        batch = lane.poll(position)
        lane.done(batch, position)
        seen |= {o.uri for o in batch.objects}
        pages.append(position.cursor["pages"])
    assert len(seen) == 24 and max(pages) <= MAX_PAGES
    late = _key("us-east-2", days[1], 5)  # sorts behind the cursor, in the 21st folder of 24
    s3.put_object(Bucket=bucket, Key=late, Body=b"{}")
    found_after = None
    for turn in range(1, 5):
        batch = lane.poll(position)
        lane.done(batch, position)
        assert position.cursor["pages"] <= MAX_PAGES
        if f"s3://{bucket}/{late}" in {o.uri for o in batch.objects}:
            found_after = turn
            break
    assert found_after is not None, position.cursor
    assert len(position.cursor["recent"]) == 24  # state: the recent folders, not the objects


def test_a_sources_rate_counts_the_last_five_minutes() -> None:
    from vigil.live.sources import counted, rate

    minute = 60_000
    recent = counted([], 600, 10 * minute + 5)
    recent = counted(recent, 300, 10 * minute + 30_000)  # the same minute: one bucket
    assert recent == [[10 * minute, 900]]
    recent = counted(recent, 60, 13 * minute)
    assert rate(recent, 13 * minute) == 960 / 300
    later = counted(recent, 0, 16 * minute)  # minute 10 is past the window now
    assert [m for m, _ in later] == [13 * minute, 16 * minute]
    assert rate(later, 16 * minute) == 60 / 300
