"""Entity pages in a real browser over a real `vigil serve` of the demo home: each opened from a
finding's links and from the header's search box, with its findings, activity chart, first and
last seen and links to related entities; addresses with their AWS range, threat lists and
GeoIP place (a test MMDB); imported GuardDuty and Security Hub findings linked like our own;
"search around this" and sample records opening the Search page. And the id classification
and a finding's entities as tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from helpers import vigil
from mmdb_build import write
from serving import start
from vigil.findings.asff_import import read
from vigil.findings.entities import entities_of
from vigil.findings.guardduty_import import read_guardduty
from vigil.model.entity import EntityRef, Kind, check, classify

SEEN = re.compile(r"^2026-11-24T\d\d:\d\d:\d\dZ$")  # the demo's day
PASSWORD = "ada-admin-pass"
SESSION = "arn:aws:sts::222222222222:assumed-role/app-server-role/i-0a1000000000000a1"
ROLE = "arn:aws:iam::222222222222:role/app-server-role"
EXFIL = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
RANGES = {"syncToken": "1", "createDate": "2026-11-20-00-00-00", "prefixes": [
    {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3",
     "network_border_group": "us-east-1"},
    {"ip_prefix": "52.0.0.0/8", "region": "GLOBAL", "service": "AMAZON",
     "network_border_group": "GLOBAL"}], "ipv6_prefixes": []}  # fmt: skip
GUARDDUTY = {
    "schemaVersion": "2.0", "accountId": "222222222222", "region": "us-east-1",
    "id": "gd-entities-1", "arn": "arn:aws:guardduty:us-east-1:222222222222:detector/d/finding/1",
    "type": "UnauthorizedAccess:EC2/SSHBruteForce", "severity": 5,
    "createdAt": "2026-11-24T10:00:00Z", "updatedAt": "2026-11-24T11:00:00Z",
    "title": "SSH brute force against i-0d1000000000000d1",
    "resource": {"resourceType": "Instance", "instanceDetails": {
        "instanceId": "i-0d1000000000000d1",
        "networkInterfaces": [{"networkInterfaceId": "eni-0d1000000000000d1",
                               "privateIpAddress": "10.0.3.10"}]}},
    "service": {"count": 40, "eventFirstSeen": "2026-11-24T10:00:00Z",
                "eventLastSeen": "2026-11-24T11:00:00Z",
                "action": {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
                    "remoteIpDetails": {"ipAddressV4": "203.0.113.77"},
                    "localIpDetails": {"ipAddressV4": "10.0.3.10"}}},
                "additionalInfo": {"threatListName": "ProofPoint"}},
}  # fmt: skip
ASFF = {
    "SchemaVersion": "2018-10-08", "Id": "hub-entities-1",
    "ProductArn": "arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default",
    "GeneratorId": "entities-test", "AwsAccountId": "222222222222",
    "Types": ["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B"],
    "CreatedAt": "2026-11-24T12:00:00Z", "UpdatedAt": "2026-11-24T12:00:00Z",
    "Severity": {"Label": "HIGH"}, "Title": "An instance talked to a known C&C server",
    "Description": "imported for the entity links",
    "Resources": [{"Type": "AwsEc2Instance",
                   "Id": "arn:aws:ec2:us-east-1:222222222222:instance/i-0a1000000000000a1"},
                  {"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::anycompany-customer-data"}],
    "Network": {"Direction": "OUT", "SourceIpV4": "10.0.1.10",
                "DestinationIpV4": "198.51.100.200"},
    "ThreatIntelIndicators": [{"Type": "IPV4_ADDRESS", "Value": "198.51.100.200",
                               "Source": "Emerging Threats"}],
}  # fmt: skip
CITY = {"198.51.100.0/24": {"country": {"iso_code": "NL", "names": {"en": "Netherlands"}}}}
ASN = {"198.51.100.0/24": {"autonomous_system_number": 64500,
                           "autonomous_system_organization": "Example Hosting BV"}}  # fmt: skip
pytestmark = pytest.mark.slow  # a demo home, a server and a browser


# -- ids and a finding's entities, as tables ------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("arn:aws:iam::222222222222:user/mallory", [(Kind.PRINCIPAL, "arn:aws:iam::222222222222:user/mallory")]),
    (SESSION, [(Kind.PRINCIPAL, SESSION)]),
    ("arn:aws:iam::222222222222:root", [(Kind.PRINCIPAL, "arn:aws:iam::222222222222:root")]),
    ("AKIAIOSFODNN7EXAMPLE", [(Kind.PRINCIPAL, "AKIAIOSFODNN7EXAMPLE")]),
    ("ASIA8714966490406900", [(Kind.PRINCIPAL, "ASIA8714966490406900")]),
    ("i-0a1000000000000a1", [(Kind.INSTANCE, "i-0a1000000000000a1")]),
    ("i-0abc1234", [(Kind.INSTANCE, "i-0abc1234")]),
    ("eni-0b1000000000000b1", [(Kind.INSTANCE, "eni-0b1000000000000b1")]),
    ("198.51.100.77", [(Kind.ADDRESS, "198.51.100.77")]),
    (" 2001:DB8:0:0::1 ", [(Kind.ADDRESS, "2001:db8::1")]),
    ("anycompany-customer-data", [(Kind.BUCKET, "anycompany-customer-data")]),
    ("arn:aws:s3:::anycompany-customer-data/key.txt", [(Kind.BUCKET, "anycompany-customer-data")]),
    ("222222222222", [(Kind.ACCOUNT, "222222222222")]),
    ("ec2.amazonaws.com", [(Kind.PRINCIPAL, "ec2.amazonaws.com")]),
    ("Not_A_Bucket!", []), ("", []), ("999.1.1.1", []),
    ("arn:aws:ec2:us-east-1:222222222222:instance/i-0a1000000000000a1", []),
])  # fmt: skip
def test_an_id_is_classified_by_its_shape(text: str, expected: list[tuple[Kind, str]]) -> None:
    assert [(r.kind, r.id) for r in classify(text)] == expected


@pytest.mark.parametrize(("kind", "ident", "why"), [
    ("address", "10.0.0.300", "not an IPv4 or IPv6 address"),
    ("account", "12345", "not an account id"),
    ("instance", "vol-0123456789abcdef0", "not an instance id"),
    ("bucket", "UPPER_case", "not an S3 bucket name"),
    ("host", "x", "no entity kind 'host'"),
    ("principal", "a\nb", "is not a principal id"),
])  # fmt: skip
def test_a_page_path_of_the_wrong_shape_says_why(kind: str, ident: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check(kind, ident)


def test_an_id_is_its_page_path_escaped_whole() -> None:
    ref = EntityRef(Kind.PRINCIPAL, SESSION)
    assert ref.href == "/entities/principal/" + quote(SESSION, safe="")
    assert "/" not in ref.href.removeprefix("/entities/principal/")


def test_imported_findings_name_their_resources_actors_networks_and_threat_lists() -> None:
    asff = read(ASFF).finding
    asff.sample_evidence = [json.dumps(ASFF)]  # as the hub keeps the document it was sent
    named = entities_of(asff)
    pairs = {(n.entity.kind, n.entity.id): n.role for n in named.named}
    assert pairs[(Kind.INSTANCE, "i-0a1000000000000a1")] == "Instance or interface"
    assert pairs[(Kind.BUCKET, "anycompany-customer-data")] == "Bucket"
    assert pairs[(Kind.ADDRESS, "10.0.1.10")] == "Source address"
    assert pairs[(Kind.ADDRESS, "198.51.100.200")] == "Destination address"
    assert pairs[(Kind.ACCOUNT, "222222222222")] == "Account"
    assert named.threats == ["Emerging Threats: 198.51.100.200"]
    guardduty = read_guardduty(GUARDDUTY).finding
    guardduty.sample_evidence = [json.dumps(GUARDDUTY)]
    named = entities_of(guardduty)
    pairs = {(n.entity.kind, n.entity.id): n.role for n in named.named}
    assert pairs[(Kind.INSTANCE, "i-0d1000000000000d1")] == "Instance or interface"
    assert pairs[(Kind.INSTANCE, "eni-0d1000000000000d1")] == "Instance or interface"
    assert pairs[(Kind.ADDRESS, "203.0.113.77")] == "Remote address"
    assert pairs[(Kind.ADDRESS, "10.0.3.10")] == "Address"  # the interface's own
    assert any("ProofPoint" in t for t in named.threats)


# -- the console -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("entities")
    home = base / "home"
    home.mkdir()
    assert vigil(home, "demo", "--json").returncode == 0
    made = vigil(home, "users", "create", "ada", "--role", "admin", "--password-stdin",
                 stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    ranges = base / "ip-ranges.json"
    ranges.write_text(json.dumps(RANGES))
    for args in (("intel", "aws-ranges", "update", str(ranges)),
                 ("intel", "geoip", str(write(base / "city.mmdb", CITY, "GeoLite2-City"))),
                 ("intel", "geoip", str(write(base / "asn.mmdb", ASN, "GeoLite2-ASN")))):  # fmt: skip
        done = vigil(home, *args)
        assert done.returncode == 0, done.stderr
    token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
    key = json.loads(vigil(home, "keys", "create", "--json").stdout)
    proc, url = start(home)
    try:
        event = {"version": "0", "id": "e1", "source": "aws.guardduty", "account": "222222222222",
                 "detail-type": "GuardDuty Finding", "region": "us-east-1",
                 "time": "2026-11-24T11:00:00Z", "resources": [], "detail": GUARDDUTY}  # fmt: skip
        sent = httpx.post(url + "/ingest/eventbridge", json=event,
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert sent.status_code == 200 and sent.json()["findings"] == 1, sent.text
        hub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])  # fmt: skip
        assert hub.batch_import_findings(Findings=[ASFF])["SuccessCount"] == 1
        yield {"url": url, "home": home, "token": token}
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def page(browser: Browser, site: dict[str, Any]) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=site["url"])
    page.goto("/login")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_contain_text("ada")
    yield page
    page.close()


def finding_id(site: dict[str, Any], type_: str) -> str:
    found = httpx.get(site["url"] + "/api/v1/findings", params={"type": type_},
                      headers={"Authorization": f"Bearer {site['token']}"}).json()  # fmt: skip
    assert found["findings"], type_
    return str(found["findings"][0]["id"])


def entity_link(page: Page, ident: str) -> Any:
    return page.locator("section[aria-labelledby=entities-h] a", has_text=ident).first


def expect_an_entity_page(page: Page, ident: str, finding_type: str | None) -> None:
    """The parts every entity page has: its id, first and last seen, the chart, its findings."""
    expect(page.locator("h1")).to_have_text(ident)
    expect(page.locator("[data-field=first-seen]")).to_have_text(SEEN)
    expect(page.locator("[data-field=last-seen]")).to_have_text(SEEN)
    expect(page.locator("figure.chart .uplot")).to_have_count(1)
    if finding_type:
        expect(page.locator("table.entity-findings")).to_contain_text(finding_type)


def test_a_principal_from_a_finding_resolves_to_its_access_key_and_back(
    page: Page, site: dict[str, Any]
) -> None:
    page.goto(f"/findings/{finding_id(site, EXFIL)}")
    entity_link(page, SESSION).click()
    expect_an_entity_page(page, SESSION, EXFIL)
    expect(page.locator("section[aria-labelledby=act-h]")).to_contain_text("API calls")
    keys = page.locator(".related", has_text="Access keys").locator("a")
    key = keys.first.inner_text()
    assert key.startswith("ASIA"), key
    role = page.locator(".related", has_text="Roles").locator("a", has_text=ROLE)
    expect(role).to_have_count(1)
    keys.first.click()  # the key's page shows the principal it belongs to
    expect_an_entity_page(page, key, None)
    expect(page.locator("main")).to_contain_text("(access key)")
    back = page.locator(".related", has_text="Identities and sessions").locator("a")
    expect(back).to_have_text(SESSION)
    page.locator(".related", has_text="Roles").locator("a").first.click()
    expect_an_entity_page(page, ROLE, EXFIL)  # a role's page: its sessions' findings too
    expect(page.locator(".related", has_text="Buckets").locator("a")).to_contain_text(
        "anycompany-customer-data"
    )
    expect(page.locator("#trail-records tbody tr")).to_have_count(25)
    page.locator(".pager a", has_text="Older").first.click()
    expect(page).to_have_url(re.compile(r"offset=25"))
    expect(page.locator("#trail-records tbody tr").first).to_be_visible()


def test_an_address_from_a_finding_has_its_place_lists_and_principals(
    page: Page, site: dict[str, Any]
) -> None:
    page.goto(f"/findings/{finding_id(site, EXFIL)}")
    card = page.locator("section[aria-labelledby=entities-h]")
    expect(card).to_contain_text("Netherlands (NL)")  # the finding shows the context too
    expect(card).to_contain_text("AS64500 Example Hosting BV")
    entity_link(page, "198.51.100.77").click()
    expect_an_entity_page(page, "198.51.100.77", EXFIL)
    about = page.locator("section[aria-labelledby=ctx-h]")
    expect(about).to_contain_text("outside AWS's published ranges")
    expect(about).to_contain_text("Netherlands (NL)")
    expect(about).to_contain_text("AS64500")
    principals = page.locator(".related", has_text="Principals").locator("a")
    expect(principals.first).to_have_text(ROLE)


def test_an_address_in_aws_ranges_shows_the_service_and_region(page: Page) -> None:
    page.goto("/entities/address/52.216.117.182")
    about = page.locator("section[aria-labelledby=ctx-h]")
    expect(about).to_contain_text("S3 in us-east-1")
    expect(about).to_contain_text("52.216.0.0/15")
    expect(about).not_to_contain_text("Netherlands")  # not in the test database
    expect(page.locator("main")).to_contain_text("Flows")
    page.goto("/entities/address/203.0.113.250")  # on the demo's threat list
    expect(page.locator("section[aria-labelledby=ctx-h] .tag")).to_contain_text("threat")


def test_an_interface_from_a_finding_shows_its_flows_and_peers(
    page: Page, site: dict[str, Any]
) -> None:
    page.goto(f"/findings/{finding_id(site, 'Recon:EC2/Portscan')}")
    entity_link(page, "eni-0b1000000000000b1").click()
    expect_an_entity_page(page, "eni-0b1000000000000b1", "Recon:EC2/Portscan")
    expect(page.locator("#flow-records tbody tr")).to_have_count(25)
    peers = page.locator(".related", has_text="Remote addresses").locator("a")
    expect(peers.filter(has_text="192.0.2.45")).to_have_count(1)
    peers.filter(has_text="192.0.2.45").click()
    expect_an_entity_page(page, "192.0.2.45", "Recon:EC2/Portscan")
    interfaces = page.locator(".related", has_text="Instances and interfaces").locator("a")
    expect(interfaces.filter(has_text="eni-0b1000000000000b1")).to_have_count(1)
    interfaces.filter(has_text="eni-0b1000000000000b1").click()
    attached = page.locator(".related", has_text="Attached").locator("a")  # posture snapshot
    expect(attached.filter(has_text="10.0.2.10")).to_have_count(1)
    attached.filter(has_text="i-0b1000000000000b1").click()
    expect_an_entity_page(page, "i-0b1000000000000b1", None)  # its flows through its interface
    expect(page.locator("#flow-records tbody tr")).to_have_count(25)
    expect(page.locator(".related", has_text="Attached").locator("a").first).to_have_text(
        "eni-0b1000000000000b1"
    )


def search_box(page: Page, text: str) -> None:
    box = page.locator("header form.find input[name=q]")
    box.fill(text)
    box.press("Enter")


def test_the_search_box_goes_to_a_bucket_an_account_or_a_chooser(page: Page) -> None:
    page.goto("/")
    search_box(page, "anycompany-customer-data")
    expect(page).to_have_url(re.compile(r"/entities/bucket/anycompany-customer-data$"))
    expect_an_entity_page(page, "anycompany-customer-data", None)
    expect(page.locator(".related", has_text="Principals").locator("a")).to_have_text(ROLE)
    search_box(page, "222222222222")
    expect_an_entity_page(page, "222222222222", EXFIL)
    expect(page.locator(".related", has_text="Buckets").locator("a").first).to_be_visible()
    search_box(page, "mallory")  # a name, not an id: the entities the findings name
    expect(page.locator("h1")).to_have_text("Find an entity")
    choice = page.locator("ul.chooser a", has_text="arn:aws:iam::222222222222:user/mallory")
    choice.click()
    expect_an_entity_page(page, "arn:aws:iam::222222222222:user/mallory",
                          "Stealth:IAMUser/CloudTrailLoggingDisabled")  # fmt: skip
    search_box(page, "i-0a1000000000000a1")
    expect_an_entity_page(page, "i-0a1000000000000a1", EXFIL)  # its role's session's calls
    search_box(page, "no such thing!")
    expect(page.locator("[role=alert]")).to_contain_text("Nothing is named")


def test_search_around_a_finding_and_its_sample_records(page: Page, site: dict[str, Any]) -> None:
    fid = finding_id(site, EXFIL)
    page.goto(f"/findings/{fid}")
    page.locator("a.search-around", has_text="CloudTrail around this").click()
    expect(page.locator("textarea#q")).to_contain_text(SESSION)
    expect(page.locator("input[name=start]")).to_have_value("2026-11-24T21:15:00.000Z")
    expect(page.locator("input[name=end]")).to_have_value("2026-11-24T23:24:59.000Z")
    expect(page.locator("main table").first).to_contain_text("GetObject")
    page.goto(f"/findings/{fid}")
    record = page.locator("a.record-link").first
    event_id = record.inner_text()
    record.click()
    expect(page.locator("textarea#q")).to_contain_text(event_id)
    expect(page.locator("main table").first).to_contain_text(event_id)


def test_imported_findings_link_their_entities(page: Page, site: dict[str, Any]) -> None:
    page.goto(f"/findings/{finding_id(site, 'UnauthorizedAccess:EC2/SSHBruteForce')}")
    for ident in ("203.0.113.77", "i-0d1000000000000d1", "eni-0d1000000000000d1"):
        expect(entity_link(page, ident)).to_have_count(1)
    guardduty = [
        f for f in httpx.get(site["url"] + "/api/v1/findings",
                             headers={"Authorization": f"Bearer {site['token']}"}).json()["findings"]
        if f["unit"] == "asff/GuardDuty"
    ]  # fmt: skip
    page.goto(f"/findings/{guardduty[0]['id']}")
    card = page.locator("section[aria-labelledby=entities-h]")
    expect(card).to_contain_text("ProofPoint")
    entity_link(page, "i-0d1000000000000d1").click()
    expect(page.locator("table.entity-findings")).to_contain_text("SSHBruteForce")
    page.goto(f"/findings/{finding_id(site, ASFF['Types'][0])}")
    card = page.locator("section[aria-labelledby=entities-h]")
    expect(card).to_contain_text("Emerging Threats: 198.51.100.200")
    expect(card).to_contain_text("Netherlands (NL)")
    entity_link(page, "anycompany-customer-data").click()
    expect(page.locator("table.entity-findings")).to_contain_text("C&CActivity")


def test_bad_entity_paths_are_clear_errors_not_failures(page: Page) -> None:
    for path, status, text in (
        ("/entities/address/not-an-address", 400, "is not an IPv4 or IPv6 address"),
        ("/entities/host/web-1", 404, "no entity kind"),
        ("/entities/account/12", 400, "not an account id"),
        ("/entities/address/192.0.2.1?window=1y", 404, "no window"),
        ("/entities/address/192.0.2.1?end=yesterday", 400, "not an ISO 8601 time"),
        ("/entities/principal/" + quote("x' OR 1=1 --", safe=""), 200, "No API calls"),
    ):  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == status, (path, response)
        expect(page.locator("main")).to_contain_text(text)
