"""Benchmark: the S3 polling lane over a bucket of 1,000,000 CloudTrail keys.

A child process answers ListObjectsV2 (path style, 1,000 keys a page, StartAfter and
continuation tokens) over a synthetic sorted key space: 30 days x 4 accounts x 4 regions, the
last day being today. The lane (in this process) polls until it has seen every key, then polls
20 more times with nothing new. Prints the catch-up rate, the pages and time of a poll with
nothing new (p50, p99, max), the cursor's size and this process's peak RSS. Objects are listed
and dropped, not read: what is measured is the lane and its state.

    python benchmarks/s3_poll.py [--keys 1000000]
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing
import os
import resource
import socket
import statistics
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from common import machine

ACCOUNTS = ["111122223333", "222233334444", "333344445555", "444455556666"]
REGIONS = ["eu-west-1", "us-east-1", "us-east-2", "us-west-2"]


def key_space(total: int) -> list[str]:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=d) for d in range(29, -1, -1)]
    folders = [(a, r, d) for a in ACCOUNTS for r in REGIONS for d in days]
    each = total // len(folders) + 1
    keys = []
    for account, region, day in folders:
        path, stamp = day.strftime("%Y/%m/%d"), day.strftime("%Y%m%d")
        for n in range(each):
            if len(keys) == total:
                break
            at = f"{n // 60 % 24:02d}{n % 60:02d}"
            keys.append(f"AWSLogs/{account}/CloudTrail/{region}/{path}/{account}_CloudTrail_"
                        f"{region}_{stamp}T{at}Z_{n:06d}.json.gz")  # fmt: skip
    keys.sort()
    return keys


def serve(port: int, total: int, ready: multiprocessing.synchronize.Event) -> None:
    keys = key_space(total)
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            prefix = query.get("prefix", "")
            after = query.get("continuation-token") or query.get("start-after") or ""
            i = bisect.bisect_right(keys, after) if after else bisect.bisect_left(keys, prefix)
            i = max(i, bisect.bisect_left(keys, prefix))
            page = []
            while i < len(keys) and len(page) < 1000 and keys[i].startswith(prefix):
                page.append(keys[i])
                i += 1
            more = i < len(keys) and keys[i].startswith(prefix)
            items = "".join(
                f"<Contents><Key>{escape(k)}</Key><LastModified>{modified}</LastModified>"
                f'<ETag>"e{len(k)}"</ETag><Size>2048</Size></Contents>' for k in page)  # fmt: skip
            token = f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>" if (
                more and page) else ""  # fmt: skip
            body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns='
                    '"http://s3.amazonaws.com/doc/2006-03-01/"><Name>trail</Name>'
                    f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount>"
                    f"<MaxKeys>1000</MaxKeys><IsTruncated>{str(more).lower()}</IsTruncated>"
                    f"{token}{items}</ListBucketResult>").encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--idle-polls", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready = multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(port, args.keys, ready), daemon=True)
    child.start()
    ready.wait(300)
    from vigil.live.lanes import S3PollLane
    from vigil.live.sources import Position, Source

    url = f"http://127.0.0.1:{port}"
    lane = S3PollLane(Source("bench", "s3", "s3://trail/AWSLogs/", endpoint_url=url,
                             region="us-east-1"))  # fmt: skip
    position = Position()
    began, polls, new = time.perf_counter(), 0, 0
    while True:  # until a poll finds nothing past the cursor
        before = position.cursor.get("start_after") or ""
        batch = lane.poll(position)
        lane.done(batch, position)
        polls += 1
        fresh = sum(1 for o in batch.objects if o.uri > f"s3://trail/{before}")
        if not fresh:
            break
        new += fresh
    catch_up = time.perf_counter() - began
    assert new == args.keys, f"listed {new:,} of {args.keys:,} keys"
    idle_pages, idle_seconds = [], []
    for _ in range(args.idle_polls):
        began = time.perf_counter()
        batch = lane.poll(position)
        lane.done(batch, position)
        idle_seconds.append(time.perf_counter() - began)
        idle_pages.append(position.cursor["pages"])
    child.terminate()
    cursor = len(json.dumps(position.cursor))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    q = statistics.quantiles(idle_seconds, n=100)
    print(f"\nS3 polling lane over {args.keys:,} keys — {machine()}")
    print(f"  catch-up: {polls} polls, {catch_up:.1f} s, {args.keys / catch_up:,.0f} keys/s "
          f"listed")  # fmt: skip
    print(f"  nothing new ({args.idle_polls} polls): pages max {max(idle_pages)}, "
          f"p50 {statistics.median(idle_seconds) * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms "
          f"a poll; {len(position.cursor['recent'])} recent folders re-listed in turn")  # fmt: skip
    print(f"  cursor {cursor:,} bytes; peak RSS {peak:.0f} MiB (the lane's process)")


if __name__ == "__main__":
    main()
