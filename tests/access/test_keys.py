from __future__ import annotations

from datetime import date

import pytest

from vigil.sources.keys import KeyInfo, parse_key

CASES = [
    (
        "b/p/AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/"
        "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
        KeyInfo("flowlogs", "123456789012", "us-east-1", date(2018, 6, 20), "fl-1234abcd"),
    ),
    (
        "b/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/03/01/07/"
        "123456789012_vpcflowlogs_eu-west-1_fl-0abc_20240301T0705Z_aa.log.gz",
        KeyInfo("flowlogs", "123456789012", "eu-west-1", date(2024, 3, 1), "fl-0abc"),
    ),
    (
        "b/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-2/"
        "year=2024/month=03/day=01/hour=07/123456789012_vpcflowlogs_us-east-2_fl-9_20240301T0705Z_b.log.parquet",
        KeyInfo("flowlogs", "123456789012", "us-east-2", date(2024, 3, 1), "fl-9"),
    ),
    (
        "b/AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/"
        "111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
        KeyInfo("cloudtrail", "111122223333", "us-east-2", date(2015, 8, 17)),
    ),
    (
        "b/AWSLogs/o-exampleorgid/111122223333/CloudTrail/ap-southeast-2/2024/03/01/"
        "111122223333_CloudTrail_ap-southeast-2_20240301T0915Z_x.json.gz",
        KeyInfo("cloudtrail", "111122223333", "ap-southeast-2", date(2024, 3, 1), org_id="o-exampleorgid"),
    ),
    (
        "b/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/"
        "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T100000Z.json.gz",
        KeyInfo("digest", "111122223333", "us-east-1", date(2024, 3, 1)),
    ),
    ("/home/me/logs/export/000000.gz", KeyInfo()),
]  # fmt: skip


@pytest.mark.parametrize(("key", "expected"), CASES, ids=[c[0][-40:] for c in CASES])
def test_key_layouts(key: str, expected: KeyInfo) -> None:
    assert parse_key(key) == expected
