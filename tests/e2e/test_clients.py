"""Clients users already have, pointed at a real `vigil serve`: the AWS CLI v1 from PyPI (its own
venv, as it pins botocore), watchtower (Python's logging handler for CloudWatch Logs) and the
AWS SDK for JavaScript v3 from npm. `make clients` installs them; `make test` runs it first."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import watchtower

from serving import Server, serving

ROOT = Path(__file__).parents[2]
AWS = ROOT / ".venv-awscli" / "bin" / "aws"
JS = ROOT / "tests" / "clients"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("clients") / "home") as running:
        yield running


def _env(server: Server) -> dict[str, str]:
    return {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"],
            "AWS_DEFAULT_REGION": "eu-west-1", "VIGIL_URL": server.url,
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}  # fmt: skip


def _aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS.is_file(), "run `make clients` (the AWS CLI v1 venv)"
    return subprocess.run([str(AWS), "--endpoint-url", server.url, "--output", "json", *args],
                          capture_output=True, text=True, env=_env(server), timeout=60)  # fmt: skip


def test_aws_cli_v1(server: Server) -> None:
    version = subprocess.run([str(AWS), "--version"], capture_output=True, text=True)
    assert (version.stdout + version.stderr).startswith("aws-cli/1.")
    assert _aws(server, "logs", "create-log-group", "--log-group-name", "cli/app").returncode == 0
    assert _aws(server, "logs", "create-log-stream", "--log-group-name", "cli/app",
                "--log-stream-name", "s").returncode == 0  # fmt: skip
    now = int(time.time() * 1000)
    events = json.dumps([{"timestamp": now, "message": "ERROR cli one"},
                         {"timestamp": now + 1, "message": "INFO cli two"}])  # fmt: skip
    put = _aws(server, "logs", "put-log-events", "--log-group-name", "cli/app",
               "--log-stream-name", "s", "--log-events", events)  # fmt: skip
    assert put.returncode == 0, put.stderr
    found = _aws(server, "logs", "filter-log-events", "--log-group-name", "cli/app",
                 "--filter-pattern", "ERROR")  # fmt: skip
    assert [e["message"] for e in json.loads(found.stdout)["events"]] == ["ERROR cli one"]
    groups = json.loads(_aws(server, "logs", "describe-log-groups").stdout)["logGroups"]
    assert "cli/app" in [g["logGroupName"] for g in groups]
    # CloudWatch through the CLI v1 (its botocore's protocol for the service)
    assert _aws(server, "cloudwatch", "put-metric-data", "--namespace", "Cli/App",
                "--metric-name", "Errors", "--value", "3").returncode == 0  # fmt: skip
    metrics = json.loads(
        _aws(server, "cloudwatch", "list-metrics", "--namespace", "Cli/App").stdout
    )
    assert [m["MetricName"] for m in metrics["Metrics"]] == ["Errors"]
    rule = _aws(server, "events", "put-rule", "--name", "cli-rule", "--event-pattern",
                '{"source": ["cli.test"]}')  # fmt: skip
    assert json.loads(rule.stdout)["RuleArn"].endswith(":rule/cli-rule")
    # errors come back as the CLI prints AWS's: the code in the message, exit status 254/255
    again = _aws(server, "logs", "create-log-group", "--log-group-name", "cli/app")
    assert again.returncode != 0 and "ResourceAlreadyExistsException" in again.stderr
    wrong = subprocess.run([str(AWS), "--endpoint-url", server.url, "logs", "describe-log-groups"],
                           capture_output=True, text=True, timeout=60,
                           env={**_env(server), "AWS_SECRET_ACCESS_KEY": "wrong"})  # fmt: skip
    assert wrong.returncode != 0 and "InvalidSignatureException" in wrong.stderr


def test_watchtower_logging_handler(server: Server) -> None:
    client = server.logs()
    handler = watchtower.CloudWatchLogHandler(log_group_name="py/app", log_stream_name="worker-1",
                                              boto3_client=client, send_interval=1,
                                              create_log_group=True)  # fmt: skip
    logger = logging.getLogger("vigil.test.watchtower")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    for i in range(25):
        logger.info("order %d shipped", i)
    logger.error({"event": "payment failed", "order": 7})
    handler.flush()
    handler.close()
    got = client.get_log_events(logGroupName="py/app", logStreamName="worker-1",
                                startFromHead=True)["events"]  # fmt: skip
    messages = [e["message"] for e in got]
    assert messages[:2] == ["order 0 shipped", "order 1 shipped"] and len(messages) == 26
    assert json.loads(messages[-1]) == {"event": "payment failed", "order": 7}
    # a JSON filter pattern over what the handler sent
    hits = client.filter_log_events(logGroupName="py/app", filterPattern="{ $.order = 7 }")
    assert len(hits["events"]) == 1


def test_javascript_sdk_v3(server: Server) -> None:
    assert (JS / "node_modules" / "@aws-sdk" / "client-cloudwatch-logs").is_dir(), (
        "run `make clients` (npm ci in tests/clients)"
    )
    done = subprocess.run(["node", "round_trip.mjs"], cwd=JS, capture_output=True, text=True,
                          env=_env(server), timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["messages"] == ["ERROR from js", "INFO from js"]
    assert seen["filtered"] == ["ERROR from js"]
    assert seen["metrics"] == ["Errors"]
    assert seen["alarms"] == [["js-errors", "INSUFFICIENT_DATA", True]]
    assert seen["error"] == "ResourceAlreadyExistsException"


def test_boto3_default_cloudwatch_protocol(server: Server) -> None:
    """Current boto3 picks AWS JSON 1.0 for CloudWatch (its model lists RPC v2 CBOR, JSON and
    query; botocore prefers JSON). The other two are driven in test_serve_aws.py."""
    cw = server.client("cloudwatch")
    assert cw.meta.service_model.protocols == ["smithy-rpc-v2-cbor", "json", "query"]
    assert cw.meta.service_model.resolved_protocol == "json"
    cw.put_metric_data(Namespace="Py/Cbor", MetricData=[{"MetricName": "M", "Value": 1.5}])
    assert [m["MetricName"] for m in cw.list_metrics(Namespace="Py/Cbor")["Metrics"]] == ["M"]
