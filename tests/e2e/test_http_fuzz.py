"""The HTTP surface under mutated requests: every operation of every served AWS service in each
protocol it speaks (values of the wrong type, dropped and unknown members, mangled bytes,
gzip, bodies past their cap, tampered signatures and headers), every native API route and push
endpoint, with and without a token. No answer is a 5xx, no connection breaks, and the server
answers a good request after every batch. `make fuzz` sends more of them
(VIGIL_HTTP_FUZZ=N mutations per operation)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import httpx
import pytest

from http_fuzz import Outcome, Sender, _header_mutations, aws_requests, native_requests
from serving import Server, serving

pytestmark = pytest.mark.slow
PER_OPERATION = int(os.environ.get("VIGIL_HTTP_FUZZ", "5"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("httpfuzz") / "home", loopback_targets=False) as run:
        yield run


def _good(server: Server, outcome: Outcome) -> None:
    reply = server.logs().describe_log_groups()
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert server.proc.poll() is None
    outcome.checks += 1


def test_no_mutated_request_gets_a_5xx_or_breaks_the_server(server: Server) -> None:
    rng = random.Random(24)
    outcome = Outcome()
    sender = Sender(server.url, server.admin, server.admin_token, outcome)
    for n, (label, how, method, path, headers, body, signing) in enumerate(
        aws_requests(rng, PER_OPERATION)
    ):
        tamper = _header_mutations(rng) if how == "header" else None
        sender.send(label, method, path, headers, body, sign=signing, tamper=tamper)
        if n % 200 == 199:
            _good(server, outcome)
    openapi = httpx.get(server.url + "/openapi.json").json()
    tokens = [server.admin_token, server.viewer_token, None, "vgl_forged_token"]
    for n, (label, method, path, headers, body) in enumerate(
        native_requests(openapi, rng, max(3, PER_OPERATION))
    ):
        token = tokens[n % len(tokens)]
        if token:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        sender.send(label, method, path, headers, body)
        if n % 100 == 99:
            _good(server, outcome)
    _good(server, outcome)
    print(f"\nHTTP fuzz: {outcome.sent} requests; statuses {sorted(outcome.by_status.items())}")
    assert outcome.sent > 2000
    assert outcome.failures == [], "\n".join(outcome.failures[:40])
    # the mutations reached the handlers, not only the front door
    assert outcome.by_status.get(200, 0) > 50 and outcome.by_status.get(400, 0) > 1000
    log = (server.home / "serve.log").read_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 300 :][:3000]
