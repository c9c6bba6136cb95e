"""What a stolen key cannot make a target do: run code the operator has not listed, or reach
into the host's own networks (server-side request forgery). Checked when a rule is put and
again at delivery; the operator opens either only in vigil.yaml."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import Endpoint, allow_loopback
from vigil.api import events, serve
from vigil.config import Settings
from vigil.errors import ConfigError
from vigil.events.bus import EventStore, envelope
from vigil.events.delivery import Deliveries, run_round
from vigil.events.netguard import Refused, guard_of
from vigil.events.rules import RuleError
from vigil.shells.views.events import attempt, dead_letter

NOW = 1_795_000_000_000
CASES = yaml.safe_load((Path(__file__).parents[1] / "data" / "target_addresses.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['address']}:{c.get('port', '')}")
def test_addresses_a_target_may_reach(case: dict[str, Any]) -> None:
    import ipaddress

    guard = guard_of(case.get("allow", []), [8700], "webhook")
    address = ipaddress.ip_address(case["address"])
    if not case["refused"]:
        guard.check(address, case.get("port", 443))
        return
    with pytest.raises(Refused, match=case["says"]):
        guard.check(address, case.get("port", 443))


def _event(home: Settings, ident: str = "e1") -> None:
    with EventStore(home) as store:
        store.append(envelope("aws.guardduty", "GuardDuty Finding", {"severity": 8, "id": "f"},
                              account="111122223333", region="us-east-1", event_id=ident), NOW)  # fmt: skip


def _rule(url: str, **target: Any) -> dict[str, Any]:
    return {"name": "hook", "pattern": {"source": ["aws.guardduty"]}, "created_ms": 1,
            "targets": [{"id": "hook", "type": "webhook", "url": url, **target}]}  # fmt: skip


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://127.0.0.1:8700/api/v1/whoami",
    "http://localhost/",                 # a name: resolved when the rule is put
    "http://2130706433/",                # 127.0.0.1 written as one number
    "http://0x7f000001/",
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.5:9200/_search",
    "http://[::1]:8080/",
    "http://[2002:a9fe:a9fe::1]/",       # 6to4 of the metadata service
    "gopher://127.0.0.1:6379/_FLUSHALL",
])  # fmt: skip
def test_a_rule_cannot_point_a_webhook_inward(home: Settings, url: str) -> None:
    with pytest.raises(RuleError) as refused:
        events.put_rule(home, _rule(url))
    assert "webhook" in str(refused.value) or "URL" in str(refused.value)
    assert not (home.home / "rules" / "hook.yaml").exists()


def test_pagerduty_email_and_aws_endpoints_are_held_to_the_same_networks(home: Settings) -> None:
    inward = [
        {"type": "pagerduty", "routing_key": "env:PD", "url": "http://10.1.2.3/enqueue"},
        {"type": "email", "host": "127.0.0.1", "port": 25, "from": "a@b.c", "to": "d@e.f"},
        {"type": "playbook", "playbook": "reenable-cloudtrail",
         "endpoint_url": "http://169.254.169.254/"},  # boto3 would sign with the server's keys
        {"type": "job", "job": "ingest", "sources": ["s3://b/p"],
         "endpoint_url": "http://127.0.0.1:9000"},
    ]  # fmt: skip
    for target in inward:
        with pytest.raises(RuleError, match="may not reach"):
            events.put_rule(home, {"name": "x", "pattern": {"source": ["a"]},
                                       "targets": [{"id": "t", **target}]})  # fmt: skip
    events.put_rule(home, {"name": "ok", "pattern": {"source": ["a"]}, "targets": [
        {"id": "t", "type": "webhook", "url": "https://8.8.8.8/hook"}]})  # fmt: skip
    with pytest.raises(ConfigError, match=r"endpoint_url: 169\.254\.169\.254 is a link-local"):
        events.check_endpoint(home, "http://169.254.169.254/")  # a playbook plan, a source


def test_a_secret_url_is_not_read_when_a_rule_is_put_and_never_quoted(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`env:NAME` and `file:/path` are read only when delivering (the file readable by its
    owner only), and what they hold is never echoed back: not in the rule's refusal, not in
    the dead-letter queue."""
    monkeypatch.setenv("SLACK_URL", "http://169.254.169.254/hooks/T0/B0/s3cr3t")
    events.put_rule(home, {"name": "slack", "pattern": {"source": ["aws.guardduty"]},
                               "created_ms": 1, "targets": [
        {"id": "slack", "type": "slack", "url": "env:SLACK_URL", "max_attempts": 0},
        {"id": "passwd", "type": "webhook", "url": "file:/etc/passwd", "max_attempts": 0}]})  # fmt: skip
    _event(home)
    done = run_round(home, NOW)
    assert done.dead == 2
    dead = _dead(home)
    assert "169.254.169.254 is a link-local" in str(dead["slack"].error)
    assert "readable by its owner only" in str(dead["passwd"].error)
    every = json.dumps({k: dead_letter(d) for k, d in dead.items()}) + json.dumps(
        [attempt(a) for a in events.audit(home, 100)]
    )
    assert "s3cr3t" not in every and "root:" not in every


def _forge(home: Settings, doc: dict[str, Any]) -> None:
    """A rule file put in place past the API's checks (an operator's file, or an old one)."""
    folder = home.home / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc['name']}.yaml").write_text(json.dumps(doc))


def _dead(home: Settings) -> dict[str, events.Delivery]:
    with Deliveries(home) as queue:
        return {d.target: d for d in queue.dlq()}


def test_delivery_resolves_the_name_again_and_refuses_an_inward_address(
    home: Settings, endpoint: Endpoint
) -> None:
    port = endpoint.url.split(":")[2].split("/")[0]
    _forge(home, _rule(f"http://localhost:{port}/hook", max_attempts=0))
    _event(home)
    done = run_round(home, NOW)
    assert (done.delivered, done.dead) == (0, 1) and endpoint.requests == []
    dead = _dead(home)["hook"]
    assert dead.error_code == "NO_PERMISSIONS" and "loopback" in str(dead.error)
    # the operator allows loopback: the same rule now delivers
    allow_loopback(home.home)
    _event(home, "e2")
    done = run_round(home, NOW)
    assert done.delivered == 1 and len(endpoint.requests) == 1


class Redirector:
    """Answers every POST with a 307 to `location`, on the given loopback address."""

    def __init__(self, host: str, location: str) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.hits += 1
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(307)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


def test_redirects_are_followed_only_through_the_check(home: Settings, endpoint: Endpoint) -> None:
    # The operator allows one address, 127.0.0.2; the receiver on 127.0.0.1 is not allowed.
    allow_loopback(home.home, "127.0.0.2/32")
    into_loopback = Redirector("127.0.0.2", endpoint.url)
    into_metadata = Redirector("127.0.0.2", "http://169.254.169.254/latest/meta-data/")
    try:
        for name, hop in (("loopback", into_loopback), ("metadata", into_metadata)):
            events.put_rule(home, {**_rule(hop.url, max_attempts=0), "name": name,
                                       "created_ms": 1})  # fmt: skip
        _event(home)
        done = run_round(home, NOW)
        assert done.dead == 2 and into_loopback.hits == 1 and into_metadata.hits == 1
        assert endpoint.requests == []  # the redirect into loopback never connected
        with Deliveries(home) as queue:
            dead = {d.rule: d for d in queue.dlq()}
        assert "127.0.0.1 is a loopback address" in str(dead["loopback"].error)
        assert "169.254.169.254 is a link-local" in str(dead["metadata"].error)
        assert {d.error_code for d in dead.values()} == {"NO_PERMISSIONS"}
    finally:
        for hop in (into_loopback, into_metadata):
            hop.close()


def test_the_server_itself_is_refused_even_on_an_allowed_network(home: Settings) -> None:
    allow_loopback(home.home)
    with socket.socket() as probe:  # the port vigil.yaml says the server listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    doc = yaml.safe_load((home.home / "vigil.yaml").read_text())
    (home.home / "vigil.yaml").write_text(yaml.safe_dump({**doc, "port": port}))
    with pytest.raises(RuleError, match="this Vigil server itself"):
        events.put_rule(home, _rule(f"http://127.0.0.1:{port}/api/v1/rules/x"))
    events.put_rule(home, _rule(f"http://127.0.0.1:{port + 1}/hook"))  # another port: fine


def test_vigil_yaml_targets_section_is_checked(home: Settings) -> None:
    for text, says in (
        ("targets: {webhook: {allow_networks: [not-a-net]}}", "not a CIDR network"),
        ("targets: {python: {allow: [no_colon]}}", "module:function"),
        ("targets: {lambda: {allow: []}}", "targets.lambda is not a setting"),
        ("targets: {webhook: {allow: [10.0.0.0/8]}}", "takes allow_networks"),
    ):
        (home.home / "vigil.yaml").write_text(text)
        with pytest.raises(ConfigError, match=says):
            serve.ServeConfig.load(home)
