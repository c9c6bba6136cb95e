"""The deliveries on the Response page, against a real `vigil serve` and a real webhook
receiver on loopback that is busy once, then answers: each delivery shows its last error and
every attempt's answer (status, the body's first bytes, the error, when), and a test event goes
to one target through the queue and the worker, clearly marked, audited, and not for viewers."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from helpers import allow_loopback, console_page, vigil
from serving import start

pytestmark = pytest.mark.slow  # a server and a browser
USERS = {"ada": ("admin", "ada-admin-pass"), "vic": ("viewer", "vic-viewer-pass")}
BUSY, FINE = "busy, try later", "ok thanks"


class Flaky:
    """A webhook that answers 503 to its first request and 200 after; keeps what it got."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, Any], str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.got.append((json.loads(body), self.headers.get("Idempotency-Key", "")))
                status, text = (503, BUSY) if len(outer.got) == 1 else (200, FINE)
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home: Path = tmp_path_factory.mktemp("deliveries") / "home"
    allow_loopback(home)
    flaky = Flaky()
    rule = home.parent / "rule.yaml"
    rule.write_text(json.dumps({
        "name": "flaky", "pattern": {"source": ["never.matches"]},
        "targets": [{"id": "hook", "type": "webhook", "url": flaky.url},
                    {"id": "plan", "type": "playbook", "playbook": "reenable-cloudtrail"}],
    }))  # fmt: skip
    assert vigil(home, "events", "rules", "put", str(rule)).returncode == 0
    for name, (role, password) in USERS.items():
        made = vigil(home, "users", "create", name, "--role", role, "--password-stdin",
                     stdin=password + "\n")  # fmt: skip
        assert made.returncode == 0, made.stderr
    token = json.loads(vigil(home, "tokens", "create", "--json").stdout)["token"]
    proc, url = start(home)
    try:
        yield {"url": url, "home": home, "token": token, "flaky": flaky}
    finally:
        proc.kill()
        proc.wait()
        flaky.server.shutdown()
        flaky.server.server_close()


def signed_in(browser: Browser, site: dict[str, Any], user: str) -> Page:
    return console_page(browser, site["url"], user, USERS[user][1])


def test_a_test_event_shows_each_attempt_and_the_last_error(
    browser: Browser, site: dict[str, Any]
) -> None:
    flaky: Flaky = site["flaky"]
    page = signed_in(browser, site, "ada")
    page.goto("/response")
    expect(page.locator("td", has_text="hook").first).to_contain_text("/hook")
    assert "token=abc" not in page.locator("main").inner_text()  # a URL's query may be secret
    assert page.get_by_role("button", name="Send a test event to flaky / plan").count() == 0
    page.get_by_role("button", name="Send a test event to flaky / hook").click()
    expect(page.locator(".flash").first).to_contain_text(
        f"not delivered (TARGET_ERROR: HTTP 503 {BUSY}); it will be retried"
    )
    row = page.locator("#deliveries tr[data-delivery]").first
    expect(row).to_contain_text("test")
    expect(row.locator(".last-error")).to_have_text(f"TARGET_ERROR: HTTP 503 {BUSY}")
    deadline = time.monotonic() + 20
    while len(flaky.got) < 2 and time.monotonic() < deadline:  # the worker's retry, backed off
        time.sleep(0.2)
    assert len(flaky.got) == 2
    page.reload()
    row = page.locator("#deliveries tr[data-delivery]").first
    expect(row.locator(".dl")).to_have_text("delivered")
    expect(row.locator(".last-error")).to_have_text(f"TARGET_ERROR: HTTP 503 {BUSY}")
    ident = row.get_attribute("data-delivery")
    tries = page.locator(f"tr[data-delivery-attempts='{ident}']")
    tries.locator("summary").click()
    cells = [r.locator("td").all_inner_texts() for r in tries.locator("tbody tr").all()]
    assert [(c[0], c[2], c[3], c[4]) for c in cells] == [
        ("1", "retry", "503", BUSY), ("2", "delivered", "200", FINE)]  # fmt: skip
    assert cells[0][5] == f"TARGET_ERROR: HTTP 503 {BUSY}" and cells[1][5] == ""
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c[1]) for c in cells)
    (first, key1), (second, key2) = flaky.got
    assert first == second and key1 == key2  # one event, one idempotency key, two attempts
    assert first["source"] == "vigil.test" and first["detail-type"] == "Vigil Test Event"
    assert first["detail"]["test"] is True and first["detail"]["requested_by"] == "ada"
    audit = httpx.get(site["url"] + "/api/v1/audit?user=ada",
                      headers={"Authorization": f"Bearer {site['token']}"}).json()["entries"]  # fmt: skip
    sent = [e for e in audit if e["action"] == "console:response.test-event"]
    assert [e["target"] for e in sent] == ["flaky/hook"]
    assert sent[0]["detail"]["deliveries"] == [int(str(ident))]


def test_a_viewer_may_not_send_a_test_event(browser: Browser, site: dict[str, Any]) -> None:
    page = signed_in(browser, site, "vic")
    page.goto("/response")
    expect(page.locator("td", has_text="hook").first).to_be_visible()
    assert page.get_by_role("button", name=re.compile("Send a test event")).count() == 0
    before = len(site["flaky"].got)
    refused = page.request.post("/response/test", form={
        "rule": "flaky", "target": "hook",
        "csrf_token": str(page.locator("body").get_attribute("data-csrf"))},
        headers={"Origin": site["url"]})  # fmt: skip
    assert refused.status == 403
    time.sleep(1.5)  # a worker round would have sent it by now
    assert len(site["flaky"].got) == before


def test_a_test_event_to_an_unknown_target_is_a_clear_error(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = signed_in(browser, site, "ada")
    page.goto("/response")
    for target, message in (("nope", "no target 'nope' in rule 'flaky'"),
                            ("plan", "a test event is for targets that notify")):  # fmt: skip
        answer = page.request.post("/response/test", form={
            "rule": "flaky", "target": target,
            "csrf_token": str(page.locator("body").get_attribute("data-csrf"))},
            headers={"Origin": site["url"]})  # fmt: skip
        assert answer.status in (400, 404) and message in html.unescape(answer.text()), (
            answer.text()
        )


def test_a_home_from_before_migration_8_keeps_its_attempts(tmp_path: Path) -> None:
    """The attempt columns arrive by migration 8; attempts recorded before it are read by their
    delivery's rule, target and event, with the excerpt they had."""
    import sqlite3

    from vigil.api import events as events_api
    from vigil.config import Settings
    from vigil.state.schema import LATEST, migrate

    settings = Settings.load(tmp_path / "home")
    settings.ensure()
    db = sqlite3.connect(settings.state_db, isolation_level=None)
    assert migrate(db, upto=7) == 7  # a home as version 7 left it
    db.execute("INSERT INTO deliveries (key, event_id, rule, target, payload, status, attempts, "
               "next_ms, created_ms, error_code, error) VALUES ('e1:r:t', 'e1', 'r', 't', '{}', "
               "'dlq', 1, 0, 1796604238090, 'NO_PERMISSIONS', 'HTTP 403 no')")  # fmt: skip
    db.execute("INSERT INTO audit VALUES (1796604238090, 'r', 't', 'e1', 1, 'dlq', "
               "'NO_PERMISSIONS: HTTP 403 no')")  # fmt: skip
    assert migrate(db) == LATEST
    columns = {row[1] for row in db.execute("PRAGMA table_info(audit)")}
    assert {"delivery", "status", "body", "error"} <= columns
    db.close()
    [old] = events_api.deliveries(settings)
    assert old.last_error == "NO_PERMISSIONS: HTTP 403 no" and not old.test
    assert [(a.number, a.result, a.status, a.excerpt) for a in old.tries] == [
        (1, "dlq", None, "NO_PERMISSIONS: HTTP 403 no")]  # fmt: skip
