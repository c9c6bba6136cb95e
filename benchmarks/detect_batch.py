"""Benchmark: detection on one committed batch (what the server runs on every commit).

A batch of N CloudTrail records (default 1,000, a mix of reads, writes and a few attack calls)
is spooled, committed (ingest into the lake) and evaluated by the record rules on the kept
engine, as the live ingest does; repeated, after a warm-up. Prints the commit and detection
times (p50, p99) and peak RSS.

A batch skips the units whose event names it does not hold; `--every-unit` puts one record of
every name any unit watches into each batch (in place of as many ordinary ones), so that every
unit runs: the worst case.

    python benchmarks/detect_batch.py [--events 1000] [--trials 30] [--every-unit]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from common import machine
from vigil.config import Settings
from vigil.detect.batch import BatchDetector
from vigil.live import spool
from vigil.live.commit import commit
from vigil.live.runner import options_for
from vigil.live.sources import Source
from vigil.sources.objects import Reader

NAMES = ["DescribeInstances", "GetObject", "AssumeRole", "PutObject", "ListBuckets",
         "ConsoleLogin", "CreateTags", "StopLogging", "CreateAccessKey",
         "AuthorizeSecurityGroupIngress"]  # fmt: skip


def record(i: int, rng: random.Random) -> dict[str, Any]:
    name = rng.choice(NAMES[:7]) if rng.random() > 0.01 else rng.choice(NAMES[7:])
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"eventVersion": "1.08", "eventTime": now, "eventSource": "ec2.amazonaws.com",
            "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": f"198.51.100.{i % 250}",
            "userAgent": "aws-cli/2.15", "requestParameters": {"name": f"trail-{i % 7}",
                                                                "userName": f"u{i % 13}"},
            "responseElements": None, "eventID": str(uuid.uuid4()), "readOnly": name.startswith(
                ("Describe", "Get", "List")), "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "accountId": "111122223333",
                             "arn": f"arn:aws:iam::111122223333:user/u{i % 17}",
                             "userName": f"u{i % 17}"}}  # fmt: skip


def _every_name() -> list[str]:
    """One name for each name or prefix any CloudTrail unit watches (as CloudTrail spells
    versioned Lambda names: the prefix and a date)."""
    from vigil.detect.routing import event_names
    from vigil.detect.units import load_units

    names = set()
    for unit in load_units()[0]:
        for name in event_names(unit) or ():
            names.add(name[:-1] + "20150331" if name.endswith("*") else name)
    return sorted(names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--every-unit", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    watched = _every_name() if args.every_unit else []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(Path(tmp) / "home")
        settings.ensure()
        source = Source("bench", "log_group", "aws-cloudtrail-logs-bench", "cloudtrail")
        detector = BatchDetector(settings, refresh=3600)
        commits, detects = [], []
        for trial in range(args.trials + 3):
            batch = [record(i, rng) for i in range(args.events)]
            for i, name in enumerate(watched[: len(batch)]):
                batch[i]["eventName"] = name
            spool.cloudtrail(settings, "bench", batch, f"t{trial}")
            objects = spool.pending(settings, "cloudtrail", "bench")
            began = time.perf_counter()
            done = commit(settings, objects, options_for(source, "cloudtrail"), Reader(), detector)
            took = time.perf_counter() - began
            spool.remove(objects)
            if trial >= 3:
                commits.append(took)
                detects.append(done.detection.seconds)
        detector.close()
    q = statistics.quantiles
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ndetection on a committed batch — {machine()}")
    mix = f"every unit's names ({len(watched)}) in each" if watched else "ordinary"
    print(f"  {args.events} CloudTrail records a batch ({mix}), {done.detection.units} units "
          f"run, {done.detection.skipped} skipped (names not in the batch), "
          f"{args.trials} trials")  # fmt: skip
    print(f"  detection   p50 {statistics.median(detects) * 1000:.0f} ms, "
          f"p99 {q(detects, n=100)[98] * 1000:.0f} ms")  # fmt: skip
    print(f"  ingest + detection (the whole commit)   p50 {statistics.median(commits) * 1000:.0f} "
          f"ms, p99 {q(commits, n=100)[98] * 1000:.0f} ms; peak RSS {peak:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
