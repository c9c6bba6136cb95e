"""A running `vigil serve` tried as a penetration tester with a stolen key would: a viewer's
huge query, an abandoned one, spoofed client addresses, targets pointed inward or at code,
and what every response and every file in the home give away."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from botocore.exceptions import ClientError

from serving import Server, serving, sign_in

HEAVY = "SELECT sum(hash(range)) FROM range(20000000000)"


def _settings(home: Path, doc: dict[str, Any]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "vigil.yaml").write_text(yaml.safe_dump(doc))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Closed as shipped (no target network allowed, no proxy trusted), with one query at a
    time and a limit on rows, memory and time."""
    home = tmp_path_factory.mktemp("hardened") / "home"
    _settings(home, {"query_timeout": 30, "query_memory_limit": "256MB", "query_max_rows": 1000,
                     "query_concurrency": 1})  # fmt: skip
    with serving(home, loopback_targets=False) as running:
        yield running


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Behind a proxy on loopback the operator trusts; loopback targets allowed."""
    home = tmp_path_factory.mktemp("proxied") / "home"
    _settings(home, {"trusted_proxies": ["127.0.0.1"]})
    with serving(home) as running:
        yield running


def _peak_kib(server: Server) -> int:
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def _cpu_seconds(server: Server) -> float:
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _query(server: Server, sql: str, **kw: Any) -> httpx.Response:
    return httpx.post(server.url + "/api/v1/query", json={"sql": sql, **kw}, timeout=60,
                      headers={"Authorization": f"Bearer {server.viewer_token}"})  # fmt: skip


def test_a_viewers_huge_query_is_read_only_up_to_its_rows(server: Server) -> None:
    _query(server, "SELECT 1")  # the engine's own start-up is not counted
    before = _peak_kib(server)
    answer = _query(server, "SELECT * FROM range(60000000)", max_rows=5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == [{"range": n} for n in range(5)] and answer.json()["truncated"]
    grown_mib = (_peak_kib(server) - before) / 1024
    assert grown_mib < 120, f"the server grew {grown_mib:.0f} MiB for 5 rows"
    capped = _query(server, "SELECT * FROM range(5000)", max_rows=100000)
    assert len(capped.json()["rows"]) == 1000 and capped.json()["truncated"]  # query_max_rows
    memory = _query(server, "SELECT list(range) FROM range(100000000)")
    assert memory.status_code == 400 and "more memory" in memory.json()["detail"]["message"]
    assert _query(server, "SELECT 2 AS two").json()["rows"] == [{"two": 2}]


def test_an_abandoned_query_stops_and_frees_its_slot(server: Server) -> None:
    """One query at a time: the abandoned one must stop long before its 30 s, or the next
    query waits for it."""
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server.url + "/api/v1/query", json={"sql": HEAVY}, timeout=1.0,
                   headers={"Authorization": f"Bearer {server.viewer_token}"})  # fmt: skip
    began = time.monotonic()
    after = _query(server, "SELECT 3 AS three")
    assert after.status_code == 200 and after.json()["rows"] == [{"three": 3}]
    assert time.monotonic() - began < 10
    first = _cpu_seconds(server)  # nothing is left running: the server is idle
    time.sleep(2)
    assert _cpu_seconds(server) - first < 0.5


def test_file_functions_are_refused_whatever_their_spelling(server: Server) -> None:
    for sql in ('SELECT * FROM "read_text"(\'/etc/passwd\')',
                "SELECT * FROM read_text/**/('/etc/passwd')",
                f"SELECT * FROM read_text('{server.home}/secret.key')"):  # fmt: skip
        refused = _query(server, sql)
        assert refused.status_code == 400 and "refused" in refused.json()["detail"]["message"]


def _headers_ok(response: httpx.Response) -> list[str]:
    wanted = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
              "referrer-policy": "same-origin"}  # fmt: skip
    missing = [k for k, v in wanted.items() if response.headers.get(k) != v]
    for name in ("content-security-policy", "cache-control"):
        if name not in response.headers:
            missing.append(name)
    return missing


def test_security_headers_on_every_response(server: Server) -> None:
    token = {"Authorization": f"Bearer {server.admin_token}"}
    tried = {
        "static": httpx.get(server.url + "/static/htmx.min.js"),
        "api": httpx.get(server.url + "/api/v1/whoami", headers=token),
        "api refusal": httpx.get(server.url + "/api/v1/findings"),
        "api not found": httpx.get(server.url + "/api/v1/nothing-here", headers=token),
        "openapi": httpx.get(server.url + "/openapi.json"),
        "health": httpx.get(server.url + "/healthz"),
        "metrics": httpx.get(server.url + "/metrics"),
        "login page": httpx.get(server.url + "/login"),
        "aws refusal": httpx.post(
            server.url + "/",
            content=b"{}",
            headers={
                "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                "Content-Type": "application/x-amz-json-1.1",
            },
        ),
        "ingest refusal": httpx.post(server.url + "/ingest/firehose", content=b"{}"),
    }
    problems = {name: _headers_ok(r) for name, r in tried.items() if _headers_ok(r)}
    assert problems == {}
    assert "script-src" not in tried["api"].headers["content-security-policy"]
    assert tried["api"].headers["content-security-policy"].startswith("default-src 'none'")
    assert tried["login page"].headers["cache-control"] == "no-store"
    assert "server" not in tried["health"].headers  # no software banner


def test_every_file_in_the_home_is_its_owners_alone(server: Server) -> None:
    logs = server.logs()
    logs.create_log_group(logGroupName="modes")
    logs.create_log_stream(logGroupName="modes", logStreamName="s")
    logs.put_log_events(logGroupName="modes", logStreamName="s", logEvents=[
        {"timestamp": int(time.time() * 1000), "message": "hello"}])  # fmt: skip
    assert _query(server, "SELECT count(*) AS n FROM log_events").status_code == 200
    loose = []
    for path in [server.home, *server.home.rglob("*")]:
        if path.name == "serve.log":  # the test harness's own log of the server's stderr
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(server.home.parent)} {oct(mode)}")
    assert (server.home / "state.db").exists() and loose == []


def _sign_in(server: Server, user: str, password: str, forwarded: str) -> httpx.Response:
    with httpx.Client(base_url=server.url) as client:
        return sign_in(client, user, password, **{"X-Forwarded-For": forwarded})


def _sign_in_sources(server: Server, user: str) -> list[str]:
    entries = httpx.get(server.url + "/api/v1/audit", params={"user": user, "limit": 100},
                        headers={"Authorization": f"Bearer {server.admin_token}"}).json()  # fmt: skip
    return [e["source"] for e in entries["entries"] if e["action"] == "console:sign-in"]


def test_a_spoofed_forwarded_for_is_not_believed(server: Server) -> None:
    """From a peer no one listed as a proxy, X-Forwarded-For changes nothing: the limiter
    counts one address, and the audit names the real one."""
    codes = [_sign_in(server, "vera", "wrong", f"203.0.113.{n}").status_code for n in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert set(_sign_in_sources(server, "vera")) == {"127.0.0.1"}


def test_a_trusted_proxy_is_believed_and_failures_are_capped_per_user(proxied: Server) -> None:
    codes = [_sign_in(proxied, "vera", "wrong", f"198.51.100.{n}").status_code
             for n in range(22)]  # fmt: skip
    assert codes[:20] == [401] * 20 and codes[20:] == [429, 429]  # 20 a minute from anywhere
    sources = _sign_in_sources(proxied, "vera")
    assert "198.51.100.3" in sources and "127.0.0.1" not in sources


def test_targets_pointed_inward_or_at_code_are_refused_over_the_api(server: Server) -> None:
    events = server.client("events")
    events.put_rule(Name="exfil", EventPattern=json.dumps({"source": ["aws.guardduty"]}))
    put = events.put_targets(Rule="exfil", Targets=[
        {"Id": "imds", "Arn": "http://169.254.169.254/latest/meta-data/iam/"},
        {"Id": "self", "Arn": f"{server.url}/api/v1/whoami"},
        {"Id": "exec", "Arn": "vigil:python:builtins:exec"},
        {"Id": "shell", "Arn": "vigil:command:/bin/sh -c id"}])  # fmt: skip
    failed = {f["TargetId"]: f["ErrorMessage"] for f in put["FailedEntries"]}
    assert sorted(failed) == ["exec", "imds", "self", "shell"]
    assert "link-local" in failed["imds"] and "this Vigil server" in failed["self"]
    assert "targets.python.allow" in failed["exec"] or "not allowed" in failed["exec"]
    assert events.list_targets_by_rule(Rule="exfil")["Targets"] == []
    native = httpx.put(
        server.url + "/api/v1/rules/code",
        json={
            "pattern": {"source": ["a"]},
            "targets": [{"id": "t", "type": "python", "handler": "os:system"}],
        },
        headers={"Authorization": f"Bearer {server.admin_token}"},
    )
    assert native.status_code == 400 and "not allowed" in native.json()["detail"]["message"]


def test_the_server_never_delivers_to_itself(proxied: Server) -> None:
    """Loopback is allowed on this server, its own port still is not."""
    events = proxied.client("events")
    events.put_rule(Name="loop", EventPattern=json.dumps({"source": ["aws.guardduty"]}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        other = probe.getsockname()[1]
    put = events.put_targets(Rule="loop", Targets=[
        {"Id": "self", "Arn": f"{proxied.url}/api/v1/rules/x"},
        {"Id": "other", "Arn": f"http://127.0.0.1:{other}/hook"}])  # fmt: skip
    assert [f["TargetId"] for f in put["FailedEntries"]] == ["self"]
    assert "this Vigil server itself" in put["FailedEntries"][0]["ErrorMessage"]
    with pytest.raises(ClientError):
        events.delete_rule(Name="loop")  # it has a target: the good one was kept
