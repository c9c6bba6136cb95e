"""Benchmark: alerts within seconds, and PutLogEvents throughput, on a real `vigil serve`.

Everything on loopback: the server, a webhook receiver, moto (S3 and SQS) for the SQS lane.
Each trial makes a new finding (its own trail name), and is timed until the webhook has it:

* PutLogEvents of a CloudTrail StopLogging record into a CloudTrail log group → webhook;
* POST /ingest/eventbridge of the same record as EventBridge delivers it → webhook;
* an S3 object whose notification is in SQS (put_object returned) → webhook;
* PutLogEvents throughput: boto3 clients in threads, 1 MiB calls, events/s and call latency.

    python benchmarks/latency.py [--trials 100] [--warmup 5] [--puts 60] [--clients 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx

from common import machine

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from helpers import allow_loopback, vigil
from serving import Server, free_port, start


class Receiver:
    """A webhook: the time each body arrived, for the marker it contains."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                at = time.perf_counter()
                with outer.cond:
                    for marker in _markers(body):
                        outer.seen.setdefault(marker, at)
                    outer.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, marker: str, timeout: float = 30) -> float | None:
        deadline = time.perf_counter() + timeout
        with self.cond:
            while marker not in self.seen:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.seen[marker]


def _markers(body: str) -> list[str]:
    return [part.split('"')[0] for part in body.split("trail-mark-")[1:]]


def record(marker: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"eventVersion": "1.08", "eventTime": now, "eventSource": "cloudtrail.amazonaws.com",
            "eventName": "StopLogging", "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15",
            "requestParameters": {"name": f"trail-mark-{marker}"}, "responseElements": None,
            "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "accountId": "111122223333",
                             "arn": "arn:aws:iam::111122223333:user/mallory"}}  # fmt: skip


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100) if len(ordered) > 1 else ordered * 99
    return (f"p50 {statistics.median(ordered):.3f} s, p99 {q[98]:.3f} s, max {ordered[-1]:.3f} s "
            f"({len(values)} trials)")  # fmt: skip


def trials(name: str, n: int, warmup: int, send: Any, hook: Receiver,
           timeout: float = 30) -> list[float]:  # fmt: skip
    took = []
    for i in range(warmup + n):
        marker = f"t{i}x{uuid.uuid4().hex[:8]}"  # a plain word: JSON writes it as is
        began = time.perf_counter()
        send(marker)
        arrived = hook.wait(marker, timeout)
        if arrived is None:
            print(f"  {name} trial {i}: no alert in {timeout} s", flush=True)
            continue
        if i >= warmup:
            took.append(arrived - began)
    print(f"  {name:<46} {percentiles(took)}", flush=True)
    return took


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--puts", type=int, default=60, help="1 MiB PutLogEvents calls")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--home", help="keep the server's home here (its serve.log)")
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto.start()
    aws = f"http://127.0.0.1:{moto_port}"
    import os

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    hook = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home or tmp) / "home"
        home.mkdir(parents=True)
        allow_loopback(home)  # the receiver is on loopback, which webhooks may not reach unasked
        key = json.loads(vigil(home, "keys", "create", "--json").stdout)
        token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
        vigil(home, "sources", "add", "trail", "--log-group", "org-trail", "--type", "cloudtrail")
        s3 = boto3.client("s3", endpoint_url=aws)
        sqs = boto3.client("sqs", endpoint_url=aws)
        s3.create_bucket(Bucket="bench-trail")
        queue = sqs.create_queue(QueueName="bench-trail")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        s3.put_bucket_notification_configuration(Bucket="bench-trail", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn["Attributes"]["QueueArn"],
                                     "Events": ["s3:ObjectCreated:*"]}]})  # fmt: skip
        vigil(home, "sources", "add", "queue", "--sqs", queue, "--endpoint-url", aws)
        proc, url = start(home)
        server = Server(url, home, proc, key, key, token, token)
        try:
            events = server.client("events")
            events.put_rule(Name="alerts", EventPattern=json.dumps({
                "source": ["aws.guardduty"],
                "detail": {"type": ["Stealth:IAMUser/CloudTrailLoggingDisabled"]}}))  # fmt: skip
            events.put_targets(Rule="alerts", Targets=[{"Id": "hook", "Arn": hook.url}])
            logs = server.logs()
            logs.create_log_group(logGroupName="org-trail")
            logs.create_log_stream(logGroupName="org-trail", logStreamName="s")
            print(f"\nlatency — {machine()}", flush=True)

            def push(marker: str) -> None:
                logs.put_log_events(logGroupName="org-trail", logStreamName="s", logEvents=[
                    {"timestamp": int(time.time() * 1000),
                     "message": json.dumps(record(marker))}])  # fmt: skip

            client = httpx.Client()

            def eventbridge(marker: str) -> None:
                rec = record(marker)
                event = {"version": "0", "id": str(uuid.uuid4()),
                         "detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail",
                         "account": "111122223333", "time": rec["eventTime"],
                         "region": "us-east-1", "resources": [], "detail": rec}  # fmt: skip
                reply = client.post(url + "/ingest/eventbridge", headers={"x-api-key": token},
                                    json=event)  # fmt: skip
                reply.raise_for_status()

            day = time.strftime("%Y/%m/%d", time.gmtime())

            def object_in_sqs(marker: str) -> None:
                body = gzip.compress(json.dumps({"Records": [record(marker)]}).encode())
                s3.put_object(
                    Bucket="bench-trail",
                    Body=body,
                    Key=(f"AWSLogs/111122223333/CloudTrail/us-east-1/{day}/{marker}.json.gz"),
                )

            trials("PutLogEvents (CloudTrail group) → webhook", args.trials, args.warmup, push,
                   hook)  # fmt: skip
            trials("POST /ingest/eventbridge → webhook", args.trials, args.warmup, eventbridge,
                   hook)  # fmt: skip
            trials("S3 notification in SQS → webhook", args.trials, args.warmup, object_in_sqs,
                   hook)  # fmt: skip
            throughput(server, args.puts, args.clients)
            print(f"  server peak RSS {peak_rss(proc.pid) / 2**20:.0f} MiB", flush=True)
        finally:
            proc.terminate()
            proc.wait(30)
            moto.stop()


def throughput(server: Server, puts: int, clients: int) -> None:
    message = json.dumps({"level": "INFO", "msg": "request served", "path": "/api/orders",
                          "status": 200, "ms": 12, "pad": "x" * 40})  # fmt: skip
    per_call = min(10_000, (1_048_576 - 1024) // (len(message) + 26))
    logs = [server.logs() for _ in range(clients)]
    for i, client in enumerate(logs):
        client.create_log_group(logGroupName=f"load-{i}")
        client.create_log_stream(logGroupName=f"load-{i}", logStreamName="s")
    latencies: list[float] = []

    def one(i: int) -> None:
        client = logs[i % clients]
        now = int(time.time() * 1000)
        batch = [{"timestamp": now, "message": message} for _ in range(per_call)]
        began = time.perf_counter()
        client.put_log_events(logGroupName=f"load-{i % clients}", logStreamName="s",
                              logEvents=batch)  # fmt: skip
        latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(puts)))
    seconds = time.perf_counter() - began
    rate = puts * per_call / seconds
    q = statistics.quantiles(latencies, n=100)
    print(
        f"  {'PutLogEvents throughput':<46} {rate:,.0f} events/s ({clients} clients, "
        f"{puts} calls of {per_call} events ≈ 1 MiB; call p50 {statistics.median(latencies):.3f} "
        f"s, p99 {q[98]:.3f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
