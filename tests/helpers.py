"""Helpers shared by the tests: AWS-shaped files (flow logs, CloudTrail), the `vigil`
command as a user runs it, a runner for refusals, and a webhook receiver."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vigil.model.finding import Finding, Hit, finding_id

DATA = Path(__file__).parent / "data"

FLOW_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def flow_line(eni: str = "eni-0f00ba7c0ffee0001", src: str = "198.51.100.7", dport: int = 22,
              start: int = 1700000100, action: str = "REJECT", account: str = "111122223333") -> str:  # fmt: skip
    return f"2 {account} {eni} {src} 10.0.1.25 51544 {dport} 6 12 1840 {start} {start + 60} {action} OK"


def write_gz(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def flow_key(root: Path, account: str = "111122223333", region: str = "us-east-1",
             day: str = "2023/11/14", flow_log: str = "fl-1234abcd", stamp: str = "20231114T2220Z",
             tag: str = "fe123456") -> Path:  # fmt: skip
    return (
        root / "AWSLogs" / account / "vpcflowlogs" / region / day
        / f"{account}_vpcflowlogs_{region}_{flow_log}_{stamp}_{tag}.log.gz"
    )  # fmt: skip


def trail_key(root: Path, account: str = "111122223333", region: str = "us-east-1",
              day: str = "2024/03/01", stamp: str = "20240301T0915Z", tag: str = "9nYN7gp2eWAJHIfT",
              org: str | None = None) -> Path:  # fmt: skip
    base = root / "AWSLogs" / org / account if org else root / "AWSLogs" / account
    return (
        base / "CloudTrail" / region / day / f"{account}_CloudTrail_{region}_{stamp}_{tag}.json.gz"
    )


def ct_record(**overrides: Any) -> dict[str, Any]:
    """The spec's §2.4 console sign-in example, with overrides."""
    rec: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser", "principalId": "AIDAEXAMPLE0000000001",
            "arn": "arn:aws:iam::111122223333:user/dana", "accountId": "111122223333",
            "userName": "dana",
        },
        "eventTime": "2024-03-01T09:14:03Z", "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.23",
        "userAgent": "Mozilla/5.0 (…)", "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
            "MFAUsed": "No",
        },
        "eventID": "3f1c5e7a-0000-4000-8000-000000000001", "readOnly": False,
        "eventType": "AwsConsoleSignIn", "managementEvent": True,
        "recipientAccountId": "111122223333", "eventCategory": "Management",
    }  # fmt: skip
    rec.update(overrides)
    return rec


def trail_file(records: list[dict[str, Any]]) -> str:
    return json.dumps({"Records": records})


def vigil(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The `vigil` command as a user runs it: a real process, its exit code and output."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "vigil", "--home", str(home), *args],
        capture_output=True, text=True, env=env, timeout=120, input=stdin,
    )  # fmt: skip


# A Sigma rule for CloudTrail, our own, for the import and management tests.
SIGMA_RULE = """title: Trail stopped
id: 5a2f7c1e-0c1b-4d0e-9a51-2b7d3c4e5f60
status: experimental
logsource: {product: aws, service: cloudtrail}
detection:
  selection: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
  condition: selection
level: high
"""


def refused_wrongly(home: Path, cases: list[tuple[list[str], str]]) -> list[tuple[Any, ...]]:
    """Run each (args, expected text) as `vigil` processes, four at a time; the cases that were
    not refused with exit 1 and one `error:` line holding the text (never an internal error)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda case: (case, vigil(home, *case[0])), cases))
    return [
        (args, done.returncode, done.stderr)
        for (args, says), done in results
        if done.returncode != 1 or says not in done.stderr or not done.stderr.startswith("error: ")
        or "internal error" in done.stderr or "Traceback" in done.stderr
    ]  # fmt: skip


def allow_loopback(home: Path, *networks: str) -> None:
    """The operator's vigil.yaml letting webhooks and SMTP reach loopback receivers (the
    tests' own): closed by default. Merged into what the file already holds."""
    import yaml

    path = home / "vigil.yaml"
    home.mkdir(parents=True, exist_ok=True)
    doc = (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
    for kind in ("webhook", "email"):
        doc.setdefault("targets", {})[kind] = {"allow_networks": list(networks or ["127.0.0.0/8"])}
    path.write_text(yaml.safe_dump(doc))


class Endpoint:
    """A webhook receiver: records requests; answers with the queued status codes, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"nope")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(check: Any, seconds: float = 30, step: float = 0.2) -> Any:
    """`check()` again until it gives something true, for at most `seconds`; its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()


def console_page(browser: Any, url: str, user: str, password: str) -> Any:
    """A Playwright page signed in to the console at `url` as `user`."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=url)
    page.goto("/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(user)
    return page


# -- shared by several packages' tests ---------------------------------------------------
VIGIL_MODULE = [sys.executable, "-m", "vigil"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*VIGIL_MODULE, "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def meta(key: str = "192.0.2.45", severity: float = 5.0) -> Finding:
    fid = finding_id("recon-ec2-portscan", "Recon:EC2/Portscan", "111122223333", {"srcaddr": key})
    return Finding(
        id=fid, unit="recon-ec2-portscan", type="Recon:EC2/Portscan", title="Port scan",
        description="d", severity=severity, account="111122223333", region="us-east-1",
        resource_type="Instance", resource_id="eni-1", key={"srcaddr": key}, first_seen="",
        last_seen="", count=0, actor=None, summary=None, evidence_query="", sample_evidence=[],
    )  # fmt: skip


def hit(fid: str, window: str, count: int, last: str | None = None) -> Hit:
    return Hit(
        fid, window, window, last or window, count, actor="192.0.2.45", summary=f"{count} probes"
    )


TGW_HEADER = (
    "resource-type tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id "
    "tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni "
    "tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol "
    "packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole "
    "packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction "
    "pkt-src-aws-service pkt-dst-aws-service"
)
TGW_RECORD = (
    "TransitGatewayAttachment tgw-0a1b2c3d4e5f60718 tgw-attach-0a1b2c3d4e5f60719 111122223333 "
    "444455556666 vpc-0a1b2c3d4e5f6071a vpc-0a1b2c3d4e5f6071b subnet-0a1b2c3d4e5f6071c "
    "subnet-0a1b2c3d4e5f6071d eni-0a1b2c3d4e5f6071e eni-0a1b2c3d4e5f6071f use1-az1 use1-az2 "
    "tgw-attach-0a1b2c3d4e5f60720 10.1.0.15 10.2.0.20 49152 443 6 12 4200 1709251200 1709251260 "
    "OK IPv4 0 3 0 0 2 us-east-1 egress - -"
)


# Spark settings for the tests' small lakes (kilobytes to megabytes, where a unit's query runs in
# well under a second): no whole-stage code generation, whose compiling costs more than it
# saves on a few rows, and no adaptive re-planning of shuffles over two partitions. About a
# quarter off a unit's time here; Vigil's own defaults, for real data, keep both.
# A Spark query of minutes unless stopped (4·10^10 rows), in 20,000 short tasks as a lake's
# files are read, for the tests of a query stopped past its time.
SPARK_SLOW = "SELECT max((id * 7919) % 104729) FROM range(0, 40000000000, 1, 20000)"

SPARK_SMALL_DATA = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
}
