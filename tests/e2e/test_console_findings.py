"""The findings pages and the overview in a real browser on a served demo home: the list opens
on open workflow states (and says so in its URL), types and ARNs wrap at their separators,
descriptions are sanitised Markdown, one note goes with each change, every time is ISO 8601,
the overview's chart covers a chosen window, and the demo's webhook reaches a receiver the demo
server runs."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import boto3
import httpx
import pytest
import test_console
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.slow  # a demo home, a server and a browser
site = test_console.site  # the served demo home, its users, and Chromium
signed_in = test_console.signed_in
LONG_TYPE = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# The character before each line break of an element's text, from the boxes of its characters.
BREAKS_JS = """(el) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (box) chars.push([node.data[i], box.top]);
    }
  }
  const before = [];
  for (let i = 1; i < chars.length; i++) if (chars[i][1] > chars[i - 1][1] + 2) before.push(chars[i - 1][0]);
  return {before: before, text: chars.map(c => c[0]).join("")};
}"""


def _hub(served: dict[str, Any]) -> Any:
    return boto3.client("securityhub", endpoint_url=served["url"], region_name="us-east-1",
                        aws_access_key_id=served["key"]["AccessKeyId"],
                        aws_secret_access_key=served["key"]["SecretAccessKey"])  # fmt: skip


def _asff(ident: str, **extra: Any) -> dict[str, Any]:
    return {"SchemaVersion": "2018-10-08", "Id": ident,
            "ProductArn": "arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default",
            "GeneratorId": "console-findings-test", "AwsAccountId": "222222222222",
            "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
            "CreatedAt": "2026-11-24T12:00:00Z", "UpdatedAt": "2026-11-24T12:00:00Z",
            "Severity": {"Label": "HIGH"}, "Title": f"Finding {ident}", "Description": "plain",
            "Resources": [{"Type": "AwsEc2Instance", "Id": "i-0123456789abcdef0"}],
            **extra}  # fmt: skip


def _open_finding(page: Page, type_: str) -> None:
    page.goto(f"/findings?workflow=ANY&state=ANY&type={type_}")
    page.locator("table.findings tbody a").first.click()
    page.wait_for_load_state()


def test_the_list_opens_on_open_workflows_in_its_url_and_the_chip_clears_them(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    page = signed_in(browser, site, "ann")
    _open_finding(page, "Recon:EC2/Portscan")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".head .wf")).to_have_text("RESOLVED")
    resolved = page.url.split("/findings/")[1].split("?")[0]
    page.goto("/findings")
    assert "workflow=NEW%2CNOTIFIED" in page.url  # the default is in the URL, to share
    chip = page.locator(".chips .chip")
    expect(chip).to_contain_text("Workflow: open (NEW, NOTIFIED)")
    states = set(page.locator("table.findings td .wf").all_inner_texts())
    assert states and states <= {"NEW", "NOTIFIED"}
    assert page.locator(f"a[href='/findings/{resolved}']").count() == 0
    page.get_by_label("Clear the filter Workflow: open (NEW, NOTIFIED)").click()
    assert "workflow=ANY" in page.url
    expect(page.locator(".chips")).to_have_count(0)
    page.goto(page.url + "&type=Recon:EC2/Portscan")
    assert page.locator(f"a[href='/findings/{resolved}']").count() == 1


def test_a_long_type_wraps_after_a_separator_in_a_narrow_window(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    page = signed_in(browser, site, "vic")
    page.set_viewport_size({"width": 480, "height": 900})
    page.goto(f"/findings?workflow=ANY&type={LONG_TYPE}")
    cell = page.locator("table.findings td.type", has_text=LONG_TYPE).first
    listed = cell.evaluate(BREAKS_JS)
    assert listed["text"] == LONG_TYPE
    assert listed["before"] and set(listed["before"]) <= {":", "/"}, listed
    page.locator("table.findings tbody a").first.click()
    heading = page.locator("p.type.big")
    shown = heading.evaluate(BREAKS_JS)
    assert len(shown["before"]) >= 1 and set(shown["before"]) <= {":", "/"}, shown
    line = float(heading.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert heading.bounding_box()["height"] < 4 * line  # type: ignore[index]  # not a column


def test_descriptions_and_remediation_are_markdown_without_html(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    description = ("**Exposed** port, see [the runbook](https://runbooks.example/cve) or "
                   "[mail us](mailto:soc@example.com).\n\n- one\n- two\n\n"
                   "<script>window.pwned = 1</script> <img src=x onerror=\"window.pwned = 2\"> "
                   "[bad](javascript:window.pwned=3)")  # fmt: skip
    fix = {"Recommendation": {"Text": "Patch with `apt-get upgrade`.",
                              "Url": "https://fix.example/cve"}}  # fmt: skip
    assert _hub(site).batch_import_findings(Findings=[_asff(
        "md-1", Description=description, Remediation=fix)])["SuccessCount"] == 1  # fmt: skip
    page = signed_in(browser, site, "vic")
    page.goto("/findings?workflow=ANY&type=Software and Configuration Checks/Vulnerabilities/CVE")
    page.get_by_role("link", name="Finding md-1").click()
    body = page.locator(".md.description")
    expect(body.locator("strong")).to_have_text("Exposed")
    assert body.locator("li").all_inner_texts() == ["one", "two"]
    links = {a.inner_text(): a.get_attribute("href") for a in body.locator("a").all()}
    assert links == {"the runbook": "https://runbooks.example/cve",
                     "mail us": "mailto:soc@example.com"}  # fmt: skip
    expect(body).to_contain_text("<script>window.pwned = 1</script>")  # shown as text
    assert body.locator("script, img").count() == 0
    assert page.evaluate("window.pwned") is None
    fixes = page.locator("section.remediation")
    expect(fixes.locator("code")).to_have_text("apt-get upgrade")
    assert fixes.locator("a").get_attribute("href") == "https://fix.example/cve"


def test_one_note_goes_with_each_workflow_change_into_the_history(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    page = signed_in(browser, site, "ann")
    _open_finding(page, "Stealth:IAMUser/CloudTrailLoggingDisabled")
    assert page.locator("input[name=note]").count() == 1
    page.get_by_label("Note").fill("the trail was restarted by the on-call")
    page.get_by_role("button", name="Mark notified").click()
    expect(page.locator(".head .wf")).to_have_text("NOTIFIED")
    row = page.locator("table.history tbody tr").first
    expect(row.locator("td.note")).to_have_text("the trail was restarted by the on-call")
    page.get_by_label("Note").fill("fixed for good")
    page.get_by_role("button", name="Resolve").click()
    notes = page.locator("table.history td.note").all_inner_texts()
    assert notes[:2] == ["fixed for good", "the trail was restarted by the on-call"]


def test_every_time_in_the_console_is_iso_8601_utc(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    page = signed_in(browser, site, "vic")
    seen: dict[str, list[str]] = {}
    for path in (
        "/",
        "/findings?workflow=ANY",
        "/response",
        "/alarms",
        "/sources",
        "/posture",
        "/flows",
    ):
        page.goto(path)
        seen[path] = [t.strip() for t in page.locator(".ts").all_text_contents() if t.strip()]
    _open_finding(page, "Recon:EC2/Portscan")
    seen["finding"] = [t.strip() for t in page.locator(".ts").all_text_contents() if t.strip()]
    assert seen["/response"] and seen["finding"]  # playbook runs, deliveries; the timeline
    page.goto("/search?run=1&group=aws-cloudtrail-logs-anycompany-org"
              "&q=fields @timestamp, eventName | limit 3")  # fmt: skip
    seen["search"] = page.locator("table.results tbody td:first-child").all_inner_texts()
    assert len(seen["search"]) == 3
    bad = {p: [t for t in times if not ISO.fullmatch(t)] for p, times in seen.items()}
    assert bad == {p: [] for p in seen}


def test_the_overview_chart_covers_the_chosen_window(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    page = signed_in(browser, site, "vic")
    now = time.time()
    page.goto("/")
    days = json.loads(page.locator("script#sev-chart").text_content() or "{}")
    assert 14 <= len(days["x"]) <= 16 and days["x"][0] >= now - 15 * 86400
    assert days["x"][-1] <= now  # the demo's sample records of 2014 are not on the axis
    expect(page.locator("nav.windows a[aria-current=true]")).to_have_text("14d")
    page.get_by_role("link", name="24h", exact=True).click()
    assert page.url.endswith("/?window=24h")
    hours = json.loads(page.locator("script#sev-chart").text_content() or "{}")
    assert 24 <= len(hours["x"]) <= 26 and hours["x"][1] - hours["x"][0] == 3600
    assert sum(sum(s["values"]) for s in hours["series"]) == 0  # the demo's day is older
    expect(page.locator("#live-findings")).to_contain_text(
        "No threat finding was first seen in the last 24 hours; the newest was first seen 2026-11-24T"
    )
    wrong = page.goto("/?window=5y")
    assert wrong is not None and wrong.status == 400
    expect(page.locator("main")).to_contain_text("the chart window '5y' is not one of")


def test_the_demo_webhook_reaches_the_receiver_the_demo_server_runs(
    browser: Browser,
    site: dict[str, Any],
) -> None:
    rule = (site["home"] / "rules" / "demo-high-findings.yaml").read_text()
    url = re.search(r"url: (\S+)", rule).group(1)  # type: ignore[union-attr]
    assert httpx.post(url, json={"ping": True}, timeout=5).json()["by"] == "vigil demo receiver"
    page = signed_in(browser, site, "ada")
    page.goto("/response")
    page.get_by_role("button", name="Send a test event to demo-high-findings / soc-webhook").click()
    expect(page.locator(".flash").first).to_contain_text("delivered (HTTP 200)")
    receiver = page.locator("#receiver")
    expect(receiver).to_contain_text("Vigil Test Event")
    expect(receiver).to_contain_text("GuardDuty Finding")  # what `vigil demo` delivered
    assert page.locator("#deliveries .dl-pending, #deliveries .dl-dlq").count() == 0
    expect(page.get_by_text("The DLQ is empty.")).to_be_visible()
