"""The web console in a real browser: Playwright driving Debian's Chromium against a real
`vigil serve` on the demo home. Every page is opened (and its screenshot saved under
docs/screenshots/), the main flows are clicked through, and what a role may not do is absent
from the page and refused by the server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from helpers import console_page, vigil
from serving import start

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
USERS = {"ada": ("admin", "ada-admin-pass"), "ann": ("analyst", "ann-analyst-pass"),
         "vic": ("viewer", "vic-viewer-pass"), "rex": ("viewer", "rex-viewer-pass")}  # fmt: skip
PAGES = [("Overview", "/", "Overview"), ("Findings", "/findings", "Findings"),
         ("Search", "/search", "Log search"), ("Flows", "/flows", "Flow explorer"),
         ("Alarms", "/alarms", "Alarms and metrics"), ("Dashboards", "/dashboards", "Dashboards"),
         ("Detections", "/detections", "Detections"), ("Posture", "/posture", "Posture"), ("Response", "/response", "Response"),
         ("Sources", "/sources", "Sources and health")]  # fmt: skip
ASSET_BUDGET = 200 * 1024  # bytes of JavaScript and CSS a page may load
pytestmark = pytest.mark.slow  # a demo home, a server and a browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("console") / "home"
    home.mkdir()
    done = vigil(home, "demo", "--json")
    assert done.returncode == 0, done.stderr
    for name, (role, password) in USERS.items():
        made = vigil(home, "users", "create", name, "--role", role, "--password-stdin",
                     stdin=password + "\n")  # fmt: skip
        assert made.returncode == 0, made.stderr
    token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
    key = json.loads(vigil(home, "keys", "create", "--json").stdout)
    proc, url = start(home)
    site = {"url": url, "home": home, "token": token, "key": key, "proc": proc}
    try:
        yield site
    finally:
        site["proc"].kill()
        site["proc"].wait()


def signed_in(browser: Browser, site: dict[str, Any], user: str) -> Page:
    return console_page(browser, site["url"], user, USERS[user][1])


def csrf(page: Page) -> str:
    return str(page.locator("body").get_attribute("data-csrf"))


def test_every_page_opens_from_the_navigation_within_the_asset_budget(
    browser: Browser, site: dict[str, Any]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    login = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=site["url"])
    login.goto("/findings")
    assert "/login" in login.url  # no session: to the sign-in form, and back after it
    login.screenshot(path=SHOTS / "login.png")
    login.close()
    page = signed_in(browser, site, "ada")
    cdp = page.context.new_cdp_session(page)  # every asset fetched, so every one is counted
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for label, path, heading in PAGES:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label,
                                                                exact=True).click()  # fmt: skip
        page.wait_for_load_state("networkidle")
        assert urlsplit(page.url).path == path, (label, page.url)  # /findings adds its filter
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.locator("nav a[aria-current=page]")).to_have_text(label)
        loaded = page.evaluate("""() => performance.getEntriesByType('resource')
            .filter(e => /\\.(js|css)$/.test(new URL(e.name).pathname))
            .reduce((n, e) => n + e.decodedBodySize, 0)""")
        assert 50_000 < loaded <= ASSET_BUDGET, (label, loaded)  # htmx alone is 52 KB
        page.screenshot(path=SHOTS / f"{label.lower()}.png", full_page=True)
    assert errors == []


def test_findings_show_full_types_threats_and_controls_apart_and_page_by_fifty(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "vic")
    page.goto("/findings?kind=threat")
    types = page.locator("table.findings td.type").all_inner_texts()
    assert "Recon:EC2/Portscan" in types and all("/" in t or ":" in t for t in types)
    assert not any(t.startswith("Software and Configuration") for t in types)
    page.get_by_role("link", name=re.compile(r"^Controls \(\d+\)$")).click()
    controls = page.locator("table.findings td.type").all_inner_texts()
    assert controls and all(t.startswith("Software and Configuration Checks") for t in controls)
    page.goto("/findings?state=ANY&limit=50")
    total = int(re.search(r"(\d+) findings", page.locator("main").inner_text()).group(1))  # type: ignore[union-attr]
    rows = page.locator("table.findings tbody tr").count()
    assert rows == min(total, 50)
    if total > 50:
        page.get_by_role("link", name="Next").click()
        assert page.locator("table.findings tbody tr").count() == min(total - 50, 50)
    else:
        assert page.get_by_role("link", name="Next").count() == 0


def test_filter_then_bulk_update_with_a_note_is_audited(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ann")
    page.goto("/findings")
    page.fill("input[name=type]", "UnauthorizedAccess:*")
    page.get_by_role("button", name="Filter").click()
    types = page.locator("table.findings td.type").all_inner_texts()
    assert types and all(t.startswith("UnauthorizedAccess:") for t in types)
    page.get_by_label("Select all on this page").check()
    bulk = page.locator("fieldset.bulk")
    bulk.get_by_label("Workflow").select_option("NOTIFIED")
    bulk.get_by_label("Note").fill("paged the on-call")
    bulk.get_by_label("Assign to").select_option("ann")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flash").first).to_contain_text(f"{len(types)} findings updated")
    assert set(page.locator("table.findings td .wf").all_inner_texts()) == {"NOTIFIED"}
    assert set(page.locator("table.findings tbody td:last-child").all_inner_texts()) == {"ann"}
    audit = httpx.get(site["url"] + "/api/v1/audit?user=ann",
                      headers={"Authorization": f"Bearer {site['token']}"}).json()["entries"]  # fmt: skip
    changed = [e for e in audit if e["action"] == "console:findings.update"]
    assert len(changed) == len(types) and changed[0]["detail"]["note"] == "paged the on-call"
    page.locator("table.findings tbody a").first.click()
    expect(page.locator("section", has_text="History")).to_contain_text("console:findings.update")


def test_saved_filters_and_queries_are_kept_opened_and_deleted(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ann")
    page.goto("/findings?kind=threat&severity=7")
    page.get_by_label("Save this filter as").fill("high threats")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash").first).to_contain_text("Saved the filter 'high threats'")
    page.goto("/findings")
    page.get_by_role("link", name="high threats").click()
    assert "kind=threat" in page.url and "severity=7" in page.url
    page.get_by_role("button", name="Delete the saved filter high threats").click()
    expect(page.locator(".flash").first).to_contain_text("Deleted")
    assert page.get_by_role("link", name="high threats").count() == 0
    page.goto("/search?run=1&mode=pattern&group=aws-cloudtrail-logs-anycompany-org&q=StopLogging")
    expect(page.locator("#result-count")).to_contain_text("rows")
    page.get_by_label("Save this query as").fill("stops")
    page.get_by_role("button", name="Save", exact=True).click()
    page.goto("/search")
    page.get_by_role("link", name="stops").click()
    expect(page.locator("table.results")).to_contain_text("StopLogging")
    expect(page.locator("h2", has_text="Live tail of")).to_be_visible()  # one group, patterns


def test_a_bulk_change_can_take_every_finding_the_filter_matches(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ann")
    page.goto("/findings?kind=control&type=*CloudWatch.*")
    total = int(re.search(r"(\d+) findings", page.locator("main").inner_text()).group(1))  # type: ignore[union-attr]
    assert total > 0
    bulk = page.locator("fieldset.bulk")
    bulk.get_by_label("Workflow").select_option("NOTIFIED")
    bulk.get_by_label(f"all {total} matching the filter").check()
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".flash").first).to_contain_text(f"{total} findings updated")
    assert set(page.locator("table.findings td .wf").all_inner_texts()) == {"NOTIFIED"}


def test_a_finding_page_resolves_and_suppresses_findings_like_it(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ann")
    page.goto("/findings?type=Recon:EC2/Portscan")
    page.locator("table.findings tbody a").first.click()
    for heading in ("Timeline", "Actor and resource", "Tags", "Evidence", "History", "JSON"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Recon:EC2/Portscan")
    page.screenshot(path=SHOTS / "finding.png", full_page=True)
    page.get_by_role("button", name="Run the evidence query").click()
    expect(page.locator("#evidence")).to_contain_text("rows")
    assert page.locator("#evidence table.evidence tbody tr").count() > 0
    for name in ("ASFF (Security Hub)", "OCSF", "GuardDuty"):
        page.get_by_text(name, exact=True).click()
    expect(page.locator("pre.json").nth(1)).to_contain_text('"Types"')
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".head .wf")).to_have_text("RESOLVED")
    assert page.get_by_role("button", name="Resolve").count() == 0  # only other changes now
    criteria = page.locator("#sup-criteria").input_value()
    assert "type=Recon:EC2/Portscan" in criteria
    page.get_by_role("button", name="Create the suppression rule").click()
    expect(page.locator(".flash").first).to_contain_text("1 archived")
    page.get_by_role("link", name=re.compile("^traffic of eni-")).click()  # to the flows
    expect(page.locator("h2", has_text="Traffic of eni-")).to_be_visible()
    expect(page.locator("figure.chart canvas")).to_have_count(1)


def test_an_insights_query_over_flow_logs_runs_with_a_histogram(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "vic")
    page.goto("/search")
    page.get_by_label("or a lake table (Insights)").select_option("flow_logs")
    page.get_by_label("Query", exact=True).fill(
        'filter action = "REJECT" | stats count(*) as n by dstport | sort n desc | limit 5'
    )
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#result-count")).to_have_text("5 rows.")
    assert page.locator("table.results thead th").all_inner_texts() == ["dstport", "n"]
    expect(page.locator("figure.chart canvas")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("srcaddr")  # the table's fields
    page.screenshot(path=SHOTS / "search-insights.png", full_page=True)


def test_a_pasted_cloudwatch_dashboard_renders_its_widgets(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ada")
    arn = json.loads(httpx.get(site["url"] + "/api/v1/alarms", headers={
        "Authorization": f"Bearer {site['token']}"}).text)["alarms"][0]["AlarmArn"]  # fmt: skip
    body = {"start": "-P30D", "widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
         "properties": {"markdown": "# On call\nSee **the runbook** <script>x</script>"}},
        {"type": "metric", "x": 0, "y": 2, "width": 12, "height": 6, "properties": {
            "title": "Root usage", "stat": "Sum", "period": 300,
            "metrics": [["LogMetrics", "RootAccountUsage"], [".", "UnauthorizedAPICalls"],
                        [{"expression": "m1 + m2", "label": "root or denied", "id": "e1"}]]}},
        {"type": "alarm", "x": 12, "y": 2, "width": 12, "height": 6,
         "properties": {"title": "CIS", "alarms": [arn]}},
        {"type": "log", "x": 0, "y": 8, "width": 24, "height": 6, "properties": {
            "title": "Recent calls", "query": "SOURCE 'aws-cloudtrail-logs-anycompany-org' | "
            "fields @timestamp, eventName | limit 5"}}]}  # fmt: skip
    page.goto("/dashboards")
    page.get_by_label("Name").fill("oncall")
    page.get_by_label(re.compile("^DashboardBody")).fill(json.dumps(body))
    page.get_by_role("button", name="Save dashboard").click()
    expect(page.locator("h1")).to_have_text("oncall")
    expect(page.locator(".widget > h3")).to_have_text(["Root usage", "CIS", "Recent calls"])
    expect(page.locator(".widget-text h3")).to_have_text("On call")
    assert page.locator(".widget-text script").count() == 0  # Markdown is escaped
    expect(page.locator(".widget-metric canvas")).to_have_count(1)
    expect(page.locator(".widget-metric")).to_contain_text("root or denied")  # metric math
    expect(page.locator(".widget-alarm")).to_contain_text(arn.rsplit(":", 1)[-1])
    page.goto("/dashboards/CIS-alarms")
    expect(page.locator(".widget-alarm")).to_have_count(14)
    page.screenshot(path=SHOTS / "dashboard-cis.png", full_page=True)


def test_a_unit_is_backtested_and_tuned_from_its_page(
    browser: Browser, site: dict[str, Any]
) -> None:
    unit = "stealth-iamuser-cloudtrailloggingdisabled"
    page = signed_in(browser, site, "ada")
    page.goto("/detections?tactic=defense-impairment")
    page.get_by_role("link", name=unit, exact=True).click()
    expect(page.locator("h1")).to_contain_text("CloudTrail")
    page.fill("#bt-since", "2026-11-20T00:00:00Z")
    page.get_by_role("button", name="Run backtest").click()
    expect(page.locator("#backtest")).to_contain_text("2026-11-24")
    found = int(page.locator("#backtest strong").inner_text())
    assert found >= 1
    page.fill("#tuning-entry", "exceptions:\n  accounts: ['999999999999']\n")
    page.get_by_role("button", name="Save tuning").click()
    expect(page.get_by_role("status").first).to_contain_text("Tuning saved")
    expect(page.locator("#exceptions")).to_contain_text("999999999999")
    page.fill("#tuning-entry", "exceptions: {addresses: [the office]}")
    page.get_by_role("button", name="Save tuning").click()
    expect(page.locator("main")).to_contain_text("not an IP address")
    page.close()
    viewer = signed_in(browser, site, "vic")
    viewer.goto(f"/detections/{unit}")
    expect(viewer.locator("#tuning-entry")).to_have_count(0)
    token = csrf(viewer)
    refused = viewer.request.post(f"/detections/{unit}/tuning",
                                  form={"csrf_token": token, "entry": "enabled: false"})  # fmt: skip
    assert refused.status == 403
    viewer.close()
    log = httpx.get(f"{site['url']}/api/v1/audit", timeout=30,
                    headers={"Authorization": f"Bearer {site['token']}"}).json()  # fmt: skip
    assert any(e["action"] == "console:content.tune" and e["target"] == unit
               for e in log["entries"])  # fmt: skip


def test_an_admin_approves_a_dry_run_plan(browser: Browser, site: dict[str, Any]) -> None:
    analyst = signed_in(browser, site, "ann")
    analyst.goto("/response")
    assert analyst.get_by_role("button", name="Approve").count() == 0  # admins approve
    page = signed_in(browser, site, "ada")
    page.goto("/response")
    page.get_by_role("button", name="Approve").first.click()
    expect(page.locator(".flash").first).to_contain_text("approved")
    expect(page.locator("main")).to_contain_text("approved by ada")
    analyst.goto("/response")
    expect(analyst.get_by_role("button", name="Apply").first).to_be_visible()


def test_a_viewer_sees_no_controls_and_the_server_refuses_them(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "vic")
    page.goto("/findings")
    assert page.locator("table.findings input[type=checkbox]").count() == 0
    assert page.get_by_role("button", name="Apply to selected").count() == 0
    page.locator("table.findings tbody a").first.click()
    for name in ("Resolve", "Suppress", "Assign", "Create the suppression rule"):
        assert page.get_by_role("button", name=name).count() == 0
    fid = page.url.rsplit("/", 1)[-1]
    page.goto("/response")
    assert page.get_by_role("button", name=re.compile("Approve|Apply|Redrive")).count() == 0
    page.goto("/dashboards")
    assert page.get_by_role("button", name="Save dashboard").count() == 0
    token = csrf(page)
    for path, form in ((f"/findings/{fid}/workflow", {"workflow": "RESOLVED"}),
                       ("/findings/bulk", {"ids": fid, "workflow": "RESOLVED"}),
                       ("/dashboards", {"name": "x", "body": '{"widgets": []}'}),
                       ("/response/runs/1/approve", {})):  # fmt: skip
        refused = page.request.post(path, form={**form, "csrf_token": token},
                                    headers={"Origin": site["url"]})  # fmt: skip
        assert refused.status == 403, path
    page.goto(f"/findings/{fid}")
    expect(page.locator(".head .wf")).not_to_have_text("RESOLVED")


def test_posts_without_the_csrf_token_or_from_another_site_are_refused(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ann")
    page.goto("/findings")
    fid = page.locator("input[name=ids]").first.get_attribute("value")
    form = {"ids": str(fid), "workflow": "RESOLVED", "back": "/findings"}
    missing = page.request.post("/findings/bulk", form=form, headers={"Origin": site["url"]})
    assert missing.status == 403 and "CSRF" in missing.text()
    wrong = page.request.post("/findings/bulk", form={**form, "csrf_token": "x" * 43},
                              headers={"Origin": site["url"]})  # fmt: skip
    assert wrong.status == 403
    foreign = page.request.post("/findings/bulk", form={**form, "csrf_token": csrf(page)},
                                headers={"Origin": "http://evil.example"})  # fmt: skip
    assert foreign.status == 403 and "another site" in foreign.text()
    no_session = httpx.post(site["url"] + "/findings/bulk", data=form)
    assert no_session.status_code == 403
    login = httpx.post(site["url"] + "/login", data={"username": "ann",
                       "password": USERS["ann"][1]})  # fmt: skip
    assert login.status_code == 403  # the sign-in form has its token too
    # GET / is the overview for a browser, and still an AWS call for a query-protocol client
    aws = httpx.get(site["url"] + "/?Action=ListMetrics&Version=2010-08-01")
    assert aws.status_code == 403 and "MissingAuthenticationToken" in aws.text
    assert httpx.get(site["url"] + "/").headers["location"].startswith("/login")


def test_sign_in_failures_are_limited_and_sign_out_ends_the_session(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = browser.new_page(base_url=site["url"])
    page.goto("/login")
    for _ in range(5):
        page.fill("input[name=username]", "rex")
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("wrong")
    page.fill("input[name=password]", USERS["rex"][1])
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Too many failed sign-ins")
    other = signed_in(browser, site, "ann")  # another user is not held back
    other.get_by_role("button", name="Sign out").click()
    assert "/login" in other.url
    other.goto("/findings")
    assert "/login" in other.url


def test_keyboard_reaches_every_control(browser: Browser, site: dict[str, Any]) -> None:
    page = signed_in(browser, site, "ann")
    page.goto("/findings?type=Recon:*")
    wanted = page.evaluate("""() => [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea')]
        .filter(e => e.offsetParent !== null).map((e, i) => (e.dataset.k = String(i)))""")
    reached: set[str] = set()
    for _ in range(2 * len(wanted) + 20):  # a date input takes a Tab for each of its parts
        page.keyboard.press("Tab")
        key = page.evaluate("() => document.activeElement && document.activeElement.dataset.k")
        if key is not None:
            reached.add(key)
        if reached == set(wanted):
            break
    missed = [
        page.evaluate(f"() => document.querySelector('[data-k=\"{k}\"]').outerHTML")
        for k in set(wanted) - reached
    ]
    assert not missed, missed


def test_new_findings_arrive_live(browser: Browser, site: dict[str, Any]) -> None:
    page = signed_in(browser, site, "vic")
    page.goto("/findings")
    expect(page.locator("#live.on")).to_have_count(1)
    finding = {
        "SchemaVersion": "2018-10-08", "Id": "live-test-1",
        "ProductArn": "arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default",
        "GeneratorId": "console-test", "AwsAccountId": "222222222222",
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2026-11-24T12:00:00Z", "UpdatedAt": "2026-11-24T12:00:00Z",
        "Severity": {"Label": "HIGH"}, "Title": "A scanner found something",
        "Description": "pushed while the page was open",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0123456789abcdef0"}],
    }  # fmt: skip
    import boto3

    hub = boto3.client("securityhub", endpoint_url=site["url"], region_name="us-east-1",
                       aws_access_key_id=site["key"]["AccessKeyId"],
                       aws_secret_access_key=site["key"]["SecretAccessKey"])  # fmt: skip
    assert hub.batch_import_findings(Findings=[finding])["SuccessCount"] == 1
    expect(page.locator("#live-note")).to_contain_text("1 new findings", timeout=15_000)


def test_the_live_tail_shows_events_as_they_arrive(browser: Browser, site: dict[str, Any]) -> None:
    import time

    import boto3

    logs = boto3.client("logs", endpoint_url=site["url"], region_name="us-east-1",
                        aws_access_key_id=site["key"]["AccessKeyId"],
                        aws_secret_access_key=site["key"]["SecretAccessKey"])  # fmt: skip
    logs.create_log_group(logGroupName="console/app")
    logs.create_log_stream(logGroupName="console/app", logStreamName="web-1")
    page = signed_in(browser, site, "vic")
    page.goto("/search?mode=pattern&group=console/app&q=ERROR")
    tail = page.locator("h2", has_text="Live tail of console/app").locator("..")
    expect(tail).to_contain_text("No new events")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="console/app", logStreamName="web-1", logEvents=[
        {"timestamp": now, "message": "INFO all well"},
        {"timestamp": now + 1, "message": "ERROR payment failed"}])  # fmt: skip
    expect(tail).to_contain_text("ERROR payment failed", timeout=10_000)
    expect(tail).not_to_contain_text("INFO all well")  # the pattern applies to the tail too


def test_a_quarantined_object_is_retried_from_the_sources_page(
    browser: Browser, site: dict[str, Any], tmp_path: Path
) -> None:
    from helpers import trail_key, write_gz

    bad = write_gz(trail_key(tmp_path, tag="console"), '{"Records": [{"eventVersion": ')
    assert "truncated" in vigil(site["home"], "ingest", str(bad), "--json").stdout  # quarantined
    page = signed_in(browser, site, "ann")
    page.goto("/sources")
    row = page.locator("tr", has_text=bad.name)
    expect(row).to_contain_text("failed")
    row.locator("input[name=ids]").check()
    page.get_by_role("button", name="Retry selected").click()
    expect(page.locator(".flash").first).to_contain_text("Retried 1: rejected")


def test_a_restarted_server_keeps_its_users_signed_in(
    browser: Browser, site: dict[str, Any]
) -> None:
    import signal

    page = signed_in(browser, site, "vic")
    site["proc"].send_signal(signal.SIGTERM)  # the live stream of the open page ends too
    assert site["proc"].wait(timeout=40) == 0
    site["proc"], site["url"] = start(site["home"])  # cookies do not depend on the port
    page.goto(site["url"] + "/findings")
    expect(page.locator("h1")).to_have_text("Findings")
    expect(page.locator("header .who")).to_contain_text("vic")
