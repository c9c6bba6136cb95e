"""The fuzz suite: every parser fed generated and mutated inputs (byte flips, truncation,
insertions, other encodings, huge and deeply nested values). Nothing but a `VigilError`
subclass may escape, and every file given to ingest ends ingested or quarantined.

`python tests/fuzz_kit.py --count 100000` (what `make fuzz` runs) prints the inputs per parser
and the result; the test suite runs a sample (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script: the package and the tests' helpers importable
    sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "src")]

from vigil.errors import VigilError

FLOW_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
FLOW = "2 111122223333 eni-0f00ba7c0ffee0001 198.51.100.7 10.0.1.25 51544 22 6 12 1840 " \
       "1700000100 1700000160 REJECT OK"  # fmt: skip
RECORD = {"eventVersion": "1.08", "eventTime": "2024-03-01T09:14:03Z",
          "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
          "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.23", "eventID": "e-1",
          "recipientAccountId": "111122223333",
          "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/dana"},
          "requestParameters": None, "responseElements": {"ConsoleLogin": "Success"}}  # fmt: skip
SIGMA = """title: Trail stopped
id: 5a2f7c1e-0c1b-4d0e-9a51-2b7d3c4e5f60
logsource: {product: aws, service: cloudtrail}
detection:
  selection: {eventSource: cloudtrail.amazonaws.com, eventName|startswith: Stop}
  condition: selection
level: high
"""
RULE = "name: r1\npattern: {source: [app], detail: {n: [{numeric: ['>', 5]}]}}\ntargets:\n" \
       "  - {id: t, type: log}\n"  # fmt: skip
STIX = json.dumps({"type": "bundle", "objects": [
    {"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '203.0.113.9']"}]})  # fmt: skip

QUERY = {"version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
         "vpc_id": "vpc-0a1b", "query_timestamp": "2024-03-01T09:14:03Z",
         "query_name": "www.example.com.", "query_type": "A", "query_class": "IN",
         "rcode": "NOERROR", "answers": [{"Rdata": "192.0.2.8", "Type": "A", "Class": "IN"}],
         "srcaddr": "10.0.1.5", "srcport": "53001", "transport": "UDP",
         "srcids": {"instance": "i-0a1b"}}  # fmt: skip
ACCESS = (
    b"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bucket1 "
    b"[06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT a%20b.txt "
    b'"GET /bucket1/a%20b.txt HTTP/1.1" 200 - 113 113 7 5 "-" "curl/8.4.0" - aGk= SigV4 '
    b"ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -"
)
FINDING = {"schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1",
           "id": "f1", "type": "Recon:EC2/Portscan", "severity": 5, "title": "t",
           "createdAt": "2024-03-01T09:00:00Z", "updatedAt": "2024-03-01T09:10:00Z",
           "resource": {"resourceType": "Instance"},
           "service": {"serviceName": "guardduty", "count": 2}}  # fmt: skip

SEEDS: dict[str, list[bytes]] = {
    "flowlogs": [f"{FLOW_HEADER}\n{FLOW}\n{FLOW}\n".encode(), f"{FLOW}\n".encode()],
    "cloudtrail": [
        json.dumps({"Records": [RECORD, {**RECORD, "eventID": "e-2"}]}).encode(),
        (json.dumps(RECORD) + "\n").encode(),
        json.dumps(
            {
                "version": "0",
                "id": "x",
                "detail-type": "AWS API Call via CloudTrail",
                "source": "aws.signin",
                "detail": RECORD,
            }
        ).encode(),
    ],
    "dns": [
        (json.dumps(QUERY) + "\n" + json.dumps({**QUERY, "srcport": 53002})).encode(),
        ("2024-03-01T09:14:04.000Z " + json.dumps(QUERY)).encode(),
    ],
    "s3access": [ACCESS + b"\n" + ACCESS.replace(b" 200 ", b" 404 ") + b" us-west-1\n"],
    "findings": [
        (json.dumps(FINDING) + "\n" + json.dumps({**FINDING, "id": "f2"})).encode(),
        json.dumps({"findings": [FINDING]}, indent=2).encode(),
        json.dumps({"detail-type": "GuardDuty Finding", "detail": FINDING}).encode(),
    ],
    "filter_pattern": [
        b'{ $.status >= 500 && $.method = "POST" }',
        b"ERROR -DEBUG ?WARN",
        b"[ip, user, ..., status=4*, bytes>1000]",
        b"%ERR[0-9]+%",
        b"{ $.a = * }",
    ],
    "event_pattern": [
        b'{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "ok"}]}}',
        b'{"detail": {"n": [{"numeric": [">", 0, "<=", 5]}], "x": [{"exists": false}]}}',
        b'{"$or": [{"a": [1]}, {"b": [{"prefix": "x"}]}]}',
    ],
    "insights": [
        b"fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc"
        b" | limit 20",
        b"stats count(*) as n by bin(5m) | sort n desc",
        b'parse @message "* *" as a, b | stats sum(b) by a',
    ],
    "schedule": [b"rate(5 minutes)", b"cron(0 12 * * ? *)", b"cron(15 10 ? * 6L 2024-2026)"],
    "sigma": [SIGMA.encode()],
    "threat_list": [
        b"198.51.100.0/24\n# c\n203.0.113.9\n",
        STIX.encode(),
        b"Indicator type,Indicator\nIPv4,203.0.113.7\n",
    ],
    "rule": [RULE.encode()],
    "topic": [
        b"subscriptions:\n  - {type: log, filter_policy: {severity: [{numeric: ['>', 7]}]}}\n"
    ],
    "posture": [json.dumps({"trailList": [{"Name": "t", "IsMultiRegionTrail": True}]}).encode()],
}


# -- mutations ----------------------------------------------------------------------------------
def mutate(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(10)
    if choice == 0 or not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if choice == 1:  # byte flips
        out = bytearray(data)
        for _ in range(rng.randrange(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if choice == 2:  # truncation
        return data[: rng.randrange(len(data))]
    if choice == 3:  # insertion of a special character
        at = rng.randrange(len(data) + 1)
        return (
            data[:at]
            + rng.choice(
                [
                    b"\x00",
                    b"{",
                    b"[",
                    b'"',
                    b"\n",
                    b"\xff",
                    b"\\",
                    b"*",
                    b"$",
                    b"%",
                    b"|",
                    b"'",
                    b"\r\n",
                    b" ",
                ]
            )
            + data[at:]
        )
    if choice == 4:  # other encodings
        text = data.decode("utf-8", "replace")
        return text.encode(rng.choice(["utf-16", "utf-16-be", "latin-1", "utf-32"]), "replace")
    if choice == 5:  # huge values
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice([b"A", b"9", b"[", b"{", b" "]) * rng.choice([10**3, 10**5]) \
            + data[at:]  # fmt: skip
    if choice == 6:  # deep nesting
        depth = rng.choice([100, 1000, 20000])
        return (b'{"a":' * depth + b"1" + b"}" * depth) if rng.random() < 0.5 else \
            (b"[" * depth + b"]" * depth)  # fmt: skip
    if choice == 7:  # splice two parts
        a, b = rng.randrange(len(data)), rng.randrange(len(data))
        return data[:a] + data[b:]
    if choice == 8:  # duplicate a line
        lines = data.split(b"\n")
        line = rng.choice(lines)
        return b"\n".join(lines + [line] * rng.randrange(1, 4))
    return data


# -- targets: parse one input; anything but a VigilError escaping is a bug -----------------------
def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _flowlogs(data: bytes) -> None:
    from vigil.formats.flowlog_fields import DEFAULT_FORMAT
    from vigil.formats.flowlogs import parse_flowlogs, parse_flowlogs_parquet

    parse_flowlogs(data, DEFAULT_FORMAT if data[:1] == b"2" else None, "fuzz")
    if data.startswith(b"PAR1"):
        parse_flowlogs_parquet(data, "fuzz")


def _cloudtrail(data: bytes) -> None:
    from vigil.ingest.classify import parse_object
    from vigil.sources.keys import parse_key

    parse_object(data, parse_key("fuzz/file.json"), "auto", None, "fuzz")


def _dns(data: bytes) -> None:
    from vigil.formats.route53_resolver import parse_dns

    parse_dns(data, "fuzz")


def _s3access(data: bytes) -> None:
    from vigil.formats.s3_access import parse_s3access

    parse_s3access(data, "fuzz")


def _findings(data: bytes) -> None:
    from vigil.findings.asff_import import AsffInvalid
    from vigil.findings.guardduty_import import read_guardduty
    from vigil.formats.finding_docs import parse_findings

    for _, doc in parse_findings(data, "fuzz", "guardduty").docs:
        with contextlib.suppress(AsffInvalid):  # a refusal with its reason
            read_guardduty(doc)


def _filter_pattern(data: bytes) -> None:
    from vigil.logs.pattern_match import compile_pattern

    matcher = compile_pattern(_text(data)[:1024])
    matcher.matches('{"status": 503, "method": "POST", "a": [1, {"b": null}]}')
    matcher.matches("198.51.100.7 dana [01/Mar/2024] 404 2048")
    matcher.extract('{"status": 503}')


def _event_pattern(data: bytes) -> None:
    from vigil.events.pattern import Pattern

    pattern = Pattern(_text(data))
    pattern.matches({"source": "aws.ec2", "detail": {"state": "running", "n": 3, "x": {"y": 1}}})


def _insights(data: bytes) -> None:
    from vigil.insights.compile import to_sql
    from vigil.insights.sources import table_source

    to_sql(_text(data), table_source("flow_logs", None, None))


def _schedule(data: bytes) -> None:
    from datetime import UTC, datetime

    from vigil.events.schedule import parse_schedule

    schedule = parse_schedule(_text(data))
    schedule.next_after(datetime(2024, 3, 1, tzinfo=UTC))


def _sigma(data: bytes) -> None:
    from vigil.detect.sigma_rules import load_rule

    load_rule(_text(data), "fuzz.yml")


def _threat_list(data: bytes) -> None:
    from vigil.inputs import decode
    from vigil.intel.lists import parse_list

    parse_list(decode(data, "fuzz"), "fuzz")


def _rule(data: bytes) -> None:
    from vigil.events.rules import parse_rule
    from vigil.inputs import decode, parse_yaml

    parse_rule(parse_yaml(decode(data, "fuzz"), "fuzz"), "fuzz")


def _topic(data: bytes, folder: Path) -> None:
    from vigil.config import Settings
    from vigil.events.rules import load_topic

    (folder / "topics").mkdir(parents=True, exist_ok=True)
    (folder / "topics" / "fuzz.yaml").write_bytes(data)
    load_topic(Settings.load(folder), "fuzz")


def _posture(data: bytes, folder: Path) -> None:
    from vigil.errors import SourceError
    from vigil.posture.snapshot import import_dir

    target = folder / "111122223333" / "us-east-1" / "cloudtrail-describe-trails.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    from vigil.intel.aws_ranges import egress_addresses
    from vigil.posture.audit import audit, load_checks

    with contextlib.suppress(SourceError):  # nothing readable: said so
        snap = import_dir(folder)
        egress_addresses(snap.accounts)  # what detection reads of it
        if not _CHECKS:
            _CHECKS.extend(load_checks())
        audit(snap, _CHECKS)  # and what posture reports


_CHECKS: list[Any] = []
TARGETS: dict[str, Callable[[bytes], None]] = {
    "flowlogs": _flowlogs, "cloudtrail": _cloudtrail, "dns": _dns, "s3access": _s3access,
    "findings": _findings, "filter_pattern": _filter_pattern,
    "event_pattern": _event_pattern, "insights": _insights, "schedule": _schedule,
    "sigma": _sigma, "threat_list": _threat_list, "rule": _rule,
}  # fmt: skip
ON_DISK: dict[str, Callable[[bytes, Path], None]] = {"posture": _posture, "topic": _topic}
WEIGHT = {"sigma": 0.2, "posture": 0.2, "topic": 0.3}  # the slower parsers get fewer inputs


def fuzz(count: int, seed: int = 0) -> dict[str, Any]:
    """`count` inputs spread over the parsers; returns counts and every escape found."""
    rng = random.Random(seed)
    names = [*TARGETS, *ON_DISK]
    share = {n: WEIGHT.get(n, 1.0) for n in names}
    total = sum(share.values())
    counts: dict[str, int] = {}
    escapes: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="vigil-fuzz-"))
    sys.setrecursionlimit(10_000)
    for name in names:
        n = max(1, int(count * share[name] / total))
        counts[name] = n
        for i in range(n):
            data = rng.choice(SEEDS[name])
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                data = mutate(data, rng)
            try:
                if name in ON_DISK:
                    ON_DISK[name](data, folder)
                else:
                    TARGETS[name](data)
            except VigilError:
                pass
            except Exception as exc:  # the bug this suite exists to find
                escapes.append(f"{name} #{i}: {type(exc).__name__}: {str(exc)[:120]} "
                               f"input={data[:80]!r}")  # fmt: skip
    return {"inputs": sum(counts.values()), "per_parser": counts, "escapes": escapes}


STAMP = "20240301T0000Z"


def _fuzz_key(kind: str, i: int) -> str:
    """Where AWS delivers an object of the kind (under AWSLogs/111122223333/)."""
    day = "us-east-1/2024/03/01"
    if kind == "flowlogs":
        return (
            f"vpcflowlogs/{day}/111122223333_vpcflowlogs_us-east-1_fl-0fuzz_{STAMP}_{i:05d}.log.gz"
        )
    if kind == "cloudtrail":
        return f"CloudTrail/{day}/111122223333_CloudTrail_us-east-1_{STAMP}_{i:05d}.json.gz"
    if kind == "dns":
        return (f"vpcdnsquerylogs/vpc-0a1b/2024/03/01/"
                f"vpc-0a1b_vpcdnsquerylogs_111122223333_20240301T0000Z_{i:05d}.log.gz")  # fmt: skip
    if kind == "findings":
        return f"GuardDuty/{day}/0a1b2c3d-0000-4000-8000-{i:012d}.jsonl.gz"
    return f"s3-access/111122223333/us-east-1/bucket1/2024/03/01/2024-03-01-00-00-00-FUZZ{i:012d}"


def fuzz_ingest(files: int, seed: int = 0) -> dict[str, Any]:
    """Mutated flow-log, CloudTrail, DNS query log, S3 access log and GuardDuty export files
    through `vigil ingest`: every one must end ingested or quarantined (never lost, never an
    internal error)."""
    import sqlite3

    from vigil.api import lake as lake_api
    from vigil.api import quarantine as quarantine_api
    from vigil.config import Settings

    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="vigil-fuzz-ingest-"))
    src = root / "src" / "AWSLogs" / "111122223333"
    for i in range(files):
        kind = rng.choice(["flowlogs", "cloudtrail", "dns", "s3access", "findings"])
        data = mutate(rng.choice(SEEDS[kind]), rng)
        path = src / _fuzz_key(kind, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        gzipped = path.name.endswith(".gz") and rng.random() < 0.8
        path.write_bytes(gzip.compress(data) if gzipped else data)
    settings = Settings.load(root / "home")
    report = lake_api.ingest(settings, [str(root / "src")])
    db = sqlite3.connect(settings.state_db)
    try:
        status = {uri: state for uri, state in db.execute("SELECT uri, status FROM objects")}
    finally:
        db.close()
    held = {e.uri for e in quarantine_api.entries(settings)}
    unaccounted = []
    for path in sorted(p for p in (root / "src").rglob("*") if p.is_file()):
        uri = next((u for u in status if u.endswith(str(path))), None)
        state = status.get(uri) if uri else None
        ingested = state in ("done", "partial", "duplicate")
        if not ingested and uri not in held:
            unaccounted.append(f"{path.name}: {state or 'never recorded'}, not in quarantine")
    internal = [q["reason"] for q in report.quarantined if "internal error" in q.get("reason", "")]
    return {"files": files, "ingested": report.ingested, "quarantined": len(report.quarantined),
            "unaccounted": unaccounted, "internal_errors": internal}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=400, help="mutated files through ingest")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    began = time.perf_counter()
    parsers = fuzz(args.count, args.seed)
    ingest = fuzz_ingest(args.files, args.seed)
    seconds = time.perf_counter() - began
    for name, n in parsers["per_parser"].items():
        print(f"{name:<15} {n:>8,} inputs")
    print(f"{'ingest files':<15} {ingest['files']:>8,} ({ingest['ingested']} ingested, "
          f"{ingest['quarantined']} quarantined)")  # fmt: skip
    total = parsers["inputs"] + ingest["files"]
    bad = parsers["escapes"] + ingest["unaccounted"] + ingest["internal_errors"]
    print(f"{total:,} inputs in {seconds:.0f} s: {len(bad)} problem(s)")
    for line in bad[:50]:
        print("  " + line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
