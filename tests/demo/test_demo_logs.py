"""The demo's Route 53 Resolver query logs and S3 server access logs: AWS's key layouts, records
every parser takes, the trail's request ids shared, and planted attacks that fit a detection
window."""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from vigil.demo import access_logs, dns, dns_attacks, trail
from vigil.demo import scenario as sc
from vigil.formats.route53_resolver import parse_dns
from vigil.formats.s3_access import parse_s3access
from vigil.sources.keys import parse_key

DAY = datetime(2026, 11, 24, tzinfo=UTC)


def test_query_logs_are_hourly_objects_under_the_vpc_with_every_record_readable(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    net, inst = sc.PROD_USE1, sc.instance("A2")
    records, truths = dns_attacks.attack_queries(rng, DAY)
    records.setdefault(net.vpc_id, dns.Records()).add(
        *dns.background(rng, net, inst, 2_000, int(DAY.timestamp()))
    )
    written = dns.write(records, tmp_path)
    assert len(written) == 24  # the background fills every hour of the one VPC
    total = 0
    for path in written:
        key = path.relative_to(tmp_path).as_posix()
        info = parse_key(key)
        assert (info.kind, info.account, info.day) == ("dns", net.account, DAY.date())
        assert key.startswith(f"AWSLogs/{net.account}/vpcdnsquerylogs/{net.vpc_id}/2026/11/24/")
        parsed = parse_dns(gzip.decompress(path.read_bytes()), key)
        assert parsed.rejects == []
        table = parsed.table.to_pydict()
        assert set(table["region"]) == {"us-east-1"} and set(table["vpc_id"]) == {net.vpc_id}
        hours = {t[11:13] for t in table["query_timestamp"]}
        assert hours == {path.name.split("T")[1][:2]}  # the object's hour is its records'
        total += len(table["query_name"])
    assert total == 2_000 + sum(t.records for t in truths)


def test_a_background_instance_asks_only_for_its_own_names_and_addresses() -> None:
    rng = np.random.default_rng(5)
    net, inst = sc.DEV_APSE2, sc.instance("D1")
    times, lines = dns.background(rng, net, inst, 500, int(DAY.timestamp()))
    table = parse_dns(("\n".join(lines) + "\n").encode(), "memory").table.to_pydict()
    assert set(table["srcaddr"]) == {inst.ip}
    assert {s["instance"] for s in table["srcids"]} == {inst.instance_id}
    assert all(DAY.timestamp() <= t < DAY.timestamp() + 86400 for t in times)
    names = set(table["query_name"])
    peer = sc.instance("D2")
    assert f"ip-10-20-1-20.{net.region}.compute.internal." in names  # its peer, by VPC name
    assert "20.1.20.10.in-addr.arpa." in names and peer.ip == "10.20.1.20"
    assert not any("ec2.internal" in n for n in names)  # us-east-1's zone, not Sydney's


def test_each_planted_dns_attack_fits_in_one_hour_on_a_demo_instance() -> None:
    _, truths = dns_attacks.attack_queries(np.random.default_rng(7), DAY)
    ids = {i.instance_id for n in sc.NETWORKS for i in n.instances}
    for truth in truths:
        start, end = (
            datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (truth.start, truth.end)
        )
        assert start.hour == end.hour, truth.id  # detections count in windows of an hour
        assert truth.actor in ids and truth.table == "dns_logs"


def test_access_logs_repeat_the_trails_reads_with_its_request_ids_under_the_partitioned_key(
    tmp_path: Path,
) -> None:
    role = trail.role_identity(sc.PRODUCTION, "app-server-role", "i-0a1000000000000a1",
                               issued=DAY, ec2=True)  # fmt: skip
    reads = [
        trail.event(
            DAY + timedelta(hours=22, seconds=i),
            sc.PRODUCTION,
            "us-east-1",
            role,
            "s3.amazonaws.com",
            "GetObject",
            sc.STOLEN_CREDS_IP,
            "aws-cli/2.13.0",
            params={"bucketName": sc.CUSTOMER_BUCKET, "key": f"customers/{i:06d}.json"},
            read_only=True,
            category="Data",
        )
        for i in range(30)
    ]
    other = trail.event(DAY, sc.PRODUCTION, "us-east-1", role, "iam.amazonaws.com", "ListUsers",
                        "203.0.113.10", trail.CLI_AGENT)  # fmt: skip
    uuid_id = other["requestID"]
    n, written, truth = access_logs.generate([*reads, other], random.Random(1), DAY, 40, tmp_path)
    assert other["requestID"] == uuid_id  # only S3's data events take S3's request ids
    ids = {e["requestID"] for e in reads}
    assert all(len(i) == 16 and i == i.upper() for i in ids)
    assert n == 30 + 40 + 1  # the reads, the uploads, the intruder's listing
    seen: dict[str, str] = {}
    for path in written:
        key = path.relative_to(tmp_path).as_posix()
        info = parse_key(key)
        assert (info.kind, info.account, info.region) == ("s3access", sc.PRODUCTION, "us-east-1")
        assert key.startswith(
            f"s3-access/{sc.PRODUCTION}/us-east-1/{sc.CUSTOMER_BUCKET}/2026/11/24/2026-11-24-00-00-00-"
        )
        parsed = parse_s3access(path.read_bytes(), key)
        assert parsed.rejects == []
        table = parsed.table.to_pydict()
        seen.update(zip(table["requestid"], table["operation"], strict=True))
    assert {i: seen[i] for i in ids} == dict.fromkeys(ids, "REST.GET.OBJECT")
    assert sorted(set(seen.values())) == ["REST.GET.BUCKET", "REST.GET.OBJECT", "REST.PUT.OBJECT"]
    assert (truth.finding_type, truth.records) == ("Exfiltration:S3/MassObjectRead", 30)
