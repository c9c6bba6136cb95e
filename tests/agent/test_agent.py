"""`vigil agent`: its pure parts (times, multi-line records, batches, syslog) and the agent as a
process against a real `vigil serve`: rotation by rename and by truncation, multi-line records,
syslog over UDP and TCP, and `kill -9` then a restart resuming at the exact byte."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from serving import Server, free_port, serving
from vigil.agent.config import load
from vigil.agent.records import (
    MAX_BYTES,
    Clock,
    Line,
    batches,
    flush_pending,
    group_lines,
    octet_frames,
    parse_syslog,
)
from vigil.errors import ConfigError


def test_timestamps_from_the_format_or_a_json_field() -> None:
    clock = Clock("%Y-%m-%d %H:%M:%S")
    assert clock.time_of("2026-12-01 10:00:05 ERROR x", 0) == 1_796_119_205_000
    assert clock.time_of("no time here", 42) == 42
    syslog_style = Clock("%b %d %H:%M:%S").time_of("Dec  1 10:00:05 host sshd[1]: x", 0)
    assert time.gmtime(syslog_style / 1000)[1:6] == (12, 1, 10, 0, 5)
    js = Clock(None, json_records=True)
    assert js.time_of('{"timestamp": "2026-12-01T10:00:05Z", "msg": "x"}', 0) == 1_796_119_205_000
    assert js.time_of('{"ts": 1796119205}', 0) == 1_796_119_205_000


def test_multi_line_records_by_a_start_pattern() -> None:
    start = re.compile(r"^\d{4}-")
    pending: list[Line] = []
    lines = [Line("2026-12-01 ERROR boom", 22), Line("  at a.b(c)", 34), Line("  at d.e(f)", 46),
             Line("2026-12-01 INFO ok", 65)]  # fmt: skip
    records = list(group_lines(lines, start, pending))
    assert [(r.message, r.end) for r in records] == [
        ("2026-12-01 ERROR boom\n  at a.b(c)\n  at d.e(f)", 46)
    ]
    assert [(r.message, r.end) for r in flush_pending(pending)] == [("2026-12-01 INFO ok", 65)]
    assert list(group_lines([Line("a", 2), Line("b", 4)], None, [])) == [
        type(records[0])("a", 2),
        type(records[0])("b", 4),
    ]


def test_batches_keep_put_log_events_limits() -> None:
    many = [(1000 + i, "x" * 100) for i in range(25_000)]
    sizes = [len(b) for b in batches(many)]
    assert sum(sizes) == 25_000 and max(sizes) <= 10_000
    big = [(i, "y" * 200_000) for i in range(12)]
    for batch in batches(big):
        assert sum(len(m) + 26 for _, m in batch) <= MAX_BYTES
    spread = [(0, "a"), (90_000_000, "b")]  # more than 24 hours apart: two calls
    assert [len(b) for b in batches(spread)] == [1, 1]
    assert [m for b in batches([(3, "c"), (1, "a"), (2, "b")]) for _, m in b] == ["a", "b", "c"]


def test_syslog_formats_and_tcp_framing() -> None:
    new = parse_syslog("<34>1 2026-12-01T10:00:05.003Z web1 sshd 42 ID7 - Failed password", 0)
    assert (new.host, new.facility, new.severity, new.timestamp_ms) == (
        "web1",
        4,
        2,
        1_796_119_205_003,
    )
    old = parse_syslog("<13>Dec  1 10:00:05 web2 app: started", 0)
    assert (old.host, old.facility, old.severity) == ("web2", 1, 5)
    other = parse_syslog("just text", 99)
    assert (other.timestamp_ms, other.message) == (99, "just text")
    buffer = bytearray(b"11 <13>1 - a b<13>plain line\n<13>part")
    assert list(octet_frames(buffer)) == ["<13>1 - a b", "<13>plain line"]
    assert bytes(buffer) == b"<13>part"


def test_config_follows_the_cloudwatch_agent(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"  # the CloudWatch agent's own JSON file works as it is
    path.write_text(json.dumps({"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/app/*.log", "log_group_name": "app",
         "log_stream_name": "{instance_id}-{hostname}", "timestamp_format": "%Y-%m-%d %H:%M:%S",
         "multi_line_start_pattern": "{timestamp_format}", "retention_in_days": 7}]}}}}))  # fmt: skip
    config = load(path, {"hostname": "h1", "instance_id": "i-0abc"})
    [spec] = config.files
    assert (spec.log_group, spec.log_stream, spec.retention_days) == ("app", "i-0abc-h1", 7)
    assert spec.multi_line_start is not None and spec.multi_line_start.match("2026-12-01 10:00:00")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/x", "log_group_name": "g", "retention_in_days": 8}]}}}}))  # fmt: skip
    with pytest.raises(ConfigError, match="retention_in_days 8"):
        load(bad, {"hostname": "h"})


# -- the agent as a process ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("agent") / "home") as running:
        yield running


def _agent(server: Server, config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.admin["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": server.admin["SecretAccessKey"]}  # fmt: skip
    with open(config.with_suffix(".log"), "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "vigil", "agent", "--config",
                                 str(config)], env=env, stdout=subprocess.DEVNULL,
                                stderr=log)  # fmt: skip


def _messages(server: Server, group: str, stream: str) -> list[str]:
    logs = server.logs()
    try:
        got = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in got["events"]]


def _wait(check: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _config(tmp_path: Path, server: Server, **extra: Any) -> Path:
    doc = {"endpoint_url": server.url, "region": "eu-west-1", "flush_interval": 0.5,
           "poll_interval": 0.2, "state_file": str(tmp_path / "agent.state.json"),
           "logs": {"logs_collected": {"files": {"collect_list": [
               {"file_path": str(tmp_path / "logs" / "app.log*"), "log_group_name": "agent/app",
                "log_stream_name": "{hostname}", "multi_line_start_pattern": "^(INFO|ERROR) ",
                "retention_in_days": 7}]}}}, **extra}  # fmt: skip
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_agent_rotation_multiline_and_kill_9(server: Server, tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    app = tmp_path / "logs" / "app.log"
    stream = socket.gethostname()
    agent = _agent(server, _config(tmp_path, server))
    try:
        with open(app, "a") as f:
            f.write("INFO one\nERROR two\n  at trace line\nINFO three\n")
        want = ["INFO one", "ERROR two\n  at trace line", "INFO three"]
        assert _wait(lambda: _messages(server, "agent/app", stream) == want), (
            _messages(server, "agent/app", stream),
            tmp_path.joinpath("agent.log").read_text(),
        )
        # rotation by rename: the old file's last lines and the new file, each once
        with open(app, "a") as f:
            f.write("INFO four\n")
        os.rename(app, tmp_path / "logs" / "app.log.1")
        with open(app, "w") as f:
            f.write("INFO five\n")
        want += ["INFO four", "INFO five"]
        assert _wait(lambda: _messages(server, "agent/app", stream) == want)
        # kill -9 with lines not yet sent; the restart resumes at the byte after the last sent
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        with open(app, "a") as f:
            f.write("INFO six\nINFO seven\n")
        agent = _agent(server, _config(tmp_path, server))
        want += ["INFO six", "INFO seven"]
        assert _wait(lambda: _messages(server, "agent/app", stream) == want)
        # truncation (copytruncate rotation): read again from byte 0
        with open(app, "w") as f:
            f.write("INFO eight\n")
        want += ["INFO eight"]
        assert _wait(lambda: _messages(server, "agent/app", stream) == want)
        time.sleep(1.5)
        assert _messages(server, "agent/app", stream) == want  # nothing twice
        group = server.logs().describe_log_groups(logGroupNamePrefix="agent/app")["logGroups"]
        assert group[0]["retentionInDays"] == 7
        agent.terminate()
        assert agent.wait(20) == 0
    finally:
        if agent.poll() is None:
            agent.kill()


def test_agent_syslog_udp_and_tcp(server: Server, tmp_path: Path) -> None:
    udp, tcp = free_port(), free_port()
    config = tmp_path / "agent.yaml"
    config.write_text(yaml.safe_dump({
        "endpoint_url": server.url, "region": "eu-west-1", "flush_interval": 0.5,
        "state_file": str(tmp_path / "state.json"),
        "syslog": {"udp": udp, "tcp": tcp, "log_group_name": "syslog", "log_stream_name": "relay"},
    }))  # fmt: skip
    agent = _agent(server, config)
    try:
        time.sleep(2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(
                b"<34>1 2026-12-01T10:00:05Z web1 sshd 42 - - Failed password for root",
                ("127.0.0.1", udp),
            )
        with socket.create_connection(("127.0.0.1", tcp)) as s:
            s.sendall(b"<13>Dec  1 10:00:06 web2 app: started\n"
                      b"30 <14>1 - web3 cron - - - job ok")  # fmt: skip
        want = {
            "<34>1 2026-12-01T10:00:05Z web1 sshd 42 - - Failed password for root",
            "<13>Dec  1 10:00:06 web2 app: started",
            "<14>1 - web3 cron - - - job ok",
        }
        assert _wait(lambda: set(_messages(server, "syslog", "relay")) == want), (
            _messages(server, "syslog", "relay"),
            config.with_suffix(".log").read_text(),
        )
    finally:
        agent.terminate()
        agent.wait(20)
