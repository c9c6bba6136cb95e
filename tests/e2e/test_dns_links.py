"""Route 53 Resolver query logs beside flow logs: the flow explorer names the talkers'
addresses by the DNS answers that gave them and lists the DNS queries of the interface's
instance or address; an instance's and an address's entity page count and list their queries
(what a finding on an instance links to)."""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path

from helpers import FLOW_HEADER, flow_key, vigil, write_gz
from vigil.api import entities, flows
from vigil.config import Settings

ENI, INSTANCE, HOST = "eni-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60001", "10.0.1.5"
PEER = "203.0.113.9"  # what www.example.co.uk resolved to
START = 1700000100  # 2023-11-14T22:15:00Z


def dns(name: str, answer: str | None, at: str, rcode: str = "NOERROR",
        src: str = HOST, instance: str = INSTANCE) -> dict[str, object]:  # fmt: skip
    return {
        "version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
        "vpc_id": "vpc-0a1b2c3d", "query_timestamp": at, "query_name": name,
        "query_type": "A", "query_class": "IN", "rcode": rcode,
        "answers": [{"Rdata": answer, "Type": "A", "Class": "IN"}] if answer else [],
        "srcaddr": src, "srcport": "40001", "transport": "UDP", "srcids": {"instance": instance},
    }  # fmt: skip


def home_with_both(tmp_path: Path) -> Settings:
    src = tmp_path / "src"
    flows_text = [FLOW_HEADER] + [
        f"2 111122223333 {ENI} {HOST} {PEER} 40222 443 6 30 9021 {START + i * 60} "
        f"{START + i * 60 + 60} ACCEPT OK"
        for i in range(3)
    ]
    write_gz(flow_key(src), "\n".join(flows_text) + "\n")
    records = [
        dns("www.example.co.uk.", PEER, "2023-11-14T22:14:58Z"),
        dns("www.example.co.uk.", PEER, "2023-11-14T22:16:58Z"),
        dns("qzxkvbnmpw.example.", None, "2023-11-14T22:17:01Z", rcode="NXDOMAIN"),
        dns("other.example.org.", "198.51.100.1", "2023-11-14T22:17:02Z", src="10.0.9.9",
            instance="i-0ffffffffffff0009"),
    ]  # fmt: skip
    folder = src / "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d/2023/11/14"
    write_gz(folder / "vpc-0a1b2c3d_vpcdnsquerylogs_111122223333_20231114T2215Z_0a1b2c3d.log.gz",
             "\n".join(json.dumps(r) for r in records) + "\n")  # fmt: skip
    home = tmp_path / "home"
    done = vigil(home, "ingest", str(src), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["records"]["dns_logs"] == 4 and report["records"]["flow_logs"] == 3
    return Settings.load(home)


def test_the_flow_explorer_names_talkers_and_lists_the_interfaces_queries(tmp_path: Path) -> None:
    settings = home_with_both(tmp_path)
    report = flows.explore(settings, flows.FlowView(window="24h", interface=ENI))
    assert report.names[PEER] == ["www.example.co.uk"]
    assert report.asking == [HOST]  # the interface's own address, as its flows name it
    asked = {(q["name"], q["rcodes"], q["queries"]) for q in report.queries}
    assert asked == {("www.example.co.uk", "NOERROR", 2), ("qzxkvbnmpw.example", "NXDOMAIN", 1)}
    by_address = flows.explore(settings, flows.FlowView(window="24h", address="10.0.9.9"))
    assert [q["name"] for q in by_address.queries] == ["other.example.org"]
    everything = flows.explore(settings, flows.FlowView(window="24h"))
    assert everything.queries == [] and everything.names[PEER] == ["www.example.co.uk"]


def test_an_instance_and_an_address_page_show_their_dns_queries(tmp_path: Path) -> None:
    settings = home_with_both(tmp_path)
    page = entities.page(settings, "instance", INSTANCE, window="1d", end="2023-11-15T00:00:00Z")
    assert page.queries == 3
    assert [r["name"] for r in page.dns_records][:1] == ["qzxkvbnmpw.example."]
    groups = {g.title: [v.value for v in g.values] for g in page.related}
    assert set(groups["Domains asked for"]) == {"example.co.uk", "qzxkvbnmpw.example"}
    assert groups["Addresses the answers gave"] == [PEER]
    peer = entities.page(settings, "address", PEER, window="1d", end="2023-11-15T00:00:00Z")
    assert peer.flows == 3 and peer.queries == 2  # the flows to it, the lookups that gave it
    asking = {g.title: [v.value for v in g.values] for g in peer.related}
    assert asking["Instances asking"] == [INSTANCE]


def test_vigils_dns_finding_and_guardduty_s_on_the_same_instance_are_linked(
    tmp_path: Path,
) -> None:
    """Vigil's DNS exfiltration finding from the query logs and GuardDuty's own finding of the
    same behaviour on the same instance, imported from its export: each names the other."""
    folder = tmp_path / "src/AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d/2024/05/02"
    records = [
        dns(
            f"{sha256(str(i).encode()).hexdigest()[:48]}.cdn-statsync.example.",
            None,
            f"2024-05-02T10:{i:02d}:00Z",
        )
        for i in range(30)
    ]
    for record in records:
        record["query_type"] = "TXT"
    write_gz(folder / "vpc-0a1b2c3d_vpcdnsquerylogs_111122223333_20240502T1000Z_0a1b2c3d.log.gz",
             "\n".join(json.dumps(r) for r in records) + "\n")  # fmt: skip
    guardduty = {
        "schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1",
        "partition": "aws", "id": "gd-exfil-1", "severity": 8,
        "arn": "arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/gd-exfil-1",
        "type": "Trojan:EC2/DNSDataExfiltration!DNS",
        "createdAt": "2024-05-02T10:05:00.000Z", "updatedAt": "2024-05-02T10:40:00.000Z",
        "title": f"Data exfiltration through DNS queries from {INSTANCE}.",
        "resource": {"resourceType": "Instance", "instanceDetails": {"instanceId": INSTANCE}},
        "service": {"serviceName": "guardduty", "count": 12, "archived": False},
    }  # fmt: skip
    export = tmp_path / "src/AWSLogs/111122223333/GuardDuty/us-east-1/2024/05/02/1b9e.jsonl.gz"
    write_gz(export, json.dumps(guardduty) + "\n")
    home = tmp_path / "home"
    report = json.loads(vigil(home, "ingest", str(tmp_path / "src"), "--json").stdout)
    assert report["records"]["dns_logs"] == 30 and report["findings"] == {"guardduty": 1}
    assert vigil(home, "detect", "--json").returncode == 0
    listed = json.loads(vigil(home, "findings", "list", "--json").stdout)
    rows = listed["findings"] if isinstance(listed, dict) else listed
    by_product = {f["product"]: f for f in rows}
    assert set(by_product) == {"vigil", "guardduty"}
    assert by_product["vigil"]["type"] == "Trojan:EC2/DNSDataExfiltration"
    for mine, other in (("vigil", "guardduty"), ("guardduty", "vigil")):
        shown = json.loads(vigil(home, "findings", "show", by_product[mine]["id"], "--json").stdout)
        assert [r["id"] for r in shown["related"]] == [by_product[other]["id"]]
