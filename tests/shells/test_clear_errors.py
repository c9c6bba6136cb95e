"""Errors say what is wrong, and wrong input is never accepted silently: one line, exit 1."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import FLOW_HEADER, flow_key, flow_line, refused_wrongly, vigil, write_gz
from vigil.api import lake, quarantine
from vigil.config import Settings


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "lines.txt").write_text("ERROR one\nINFO two\n")
    (folder / "keys.json").write_text('{"PublicKeyList": []}')
    (folder / "bucket" / "AWSLogs").mkdir(parents=True)
    write_gz(flow_key(folder / "flows"), flow_line() + "\n")  # no header line
    return folder


# (arguments, what stderr must say); each is refused with exit 1 and nothing else happens
REFUSED = [
    (["logs", "test-filter", "--pattern", "[ip, user", "<lines.txt>"],
     "filter pattern '[ip, user', column 10"),
    (["trail", "validate", "<bucket>"], "needs the public keys, saved (--public-keys)"),
    (["trail", "validate", "<bucket>", "--public-keys", "<keys.json>", "--start",
      "2024-03-02T00:00:00Z", "--end", "2024-03-01T00:00:00Z"], "is not before --end"),
    (["ingest", "<flows>", "--format", "${version} ${acount-id} ${srcaddr}"],
     "${acount-id} is not a flow-log field; did you mean ${account-id}?"),
    (["ingest", "<flows>", "--format", ""], "the flow-log format is empty"),
    (["ingest", "<flows>", "--since", "2024-03-05", "--until", "2024-03-01"], "is after --until"),
    (["logs", "filter", "g", "--start", "2024-03-05T00:00Z", "--end", "2024-03-01T00:00Z"],
     "--start 2024-03-05T00:00Z is after --end 2024-03-01T00:00Z"),
    (["insights", "fields @message", "--log-group", "g", "--since", "1h", "--until", "3h"],
     "--since 1h is after --until 3h"),
]  # fmt: skip


def _args(args: list[str], inputs: Path) -> list[str]:
    return [str(inputs / a.strip("<>")) if a.startswith("<") else a for a in args]


def test_wrong_input_is_refused_with_one_line(inputs: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()

    assert refused_wrongly(home, [(_args(args, inputs), says) for args, says in REFUSED]) == []
    assert not (home / "lake" / "flow_logs").exists()  # nothing was ingested


def test_filter_pattern_error_keeps_brackets_and_the_whole_hint(
    inputs: Path, tmp_path: Path
) -> None:
    done = vigil(
        tmp_path, "logs", "test-filter", "--pattern", "[ip, user", str(inputs / "lines.txt")
    )
    first, hint = done.stderr.splitlines()
    assert first.startswith("error: filter pattern '[ip, user'")
    assert hint.endswith("space-delimited: [ip, user, ..., status=4*, bytes>1000]")


def test_trail_validate_over_a_range_without_digests_exits_1(inputs: Path, tmp_path: Path) -> None:
    done = vigil(tmp_path, "trail", "validate", str(inputs / "bucket"),
                 "--public-keys", str(inputs / "keys.json"), "--json")  # fmt: skip
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    assert "no digest files in this range: nothing was validated" in report["summary"]


def test_trail_validate_of_a_local_copy_never_asks_aws(inputs: Path, tmp_path: Path) -> None:
    """Without --public-keys a local copy is refused before anything reaches for credentials."""
    done = vigil(tmp_path, "trail", "validate", str(inputs / "bucket"))
    assert done.returncode == 1
    assert "credentials" not in done.stderr.lower() and "botocore" not in done.stderr
    assert "aws cloudtrail list-public-keys" in done.stderr


def test_a_binary_object_is_binary_content_not_a_log_file(tmp_path: Path) -> None:
    source = tmp_path / "src"
    write_gz(source / "image.log.gz", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write_gz(flow_key(source), f"{FLOW_HEADER}\n{flow_line()}\n")
    home = Settings.load(tmp_path / "home")
    report = lake.ingest(home, [str(source)])
    assert report.ingested == 1 and len(report.quarantined) == 1
    [entry] = quarantine.entries(home)
    assert entry.reason.endswith("binary content, not a log file")


READ_ONLY = [
    ["findings", "list"], ["query", "SELECT 1"], ["lake", "info", "--json"],
    ["events", "dlq", "list"], ["logs", "groups"], ["posture", "history"],
    ["quarantine", "list"], ["alarms", "list", "--json"],
]  # fmt: skip


def test_a_read_only_command_on_a_missing_home_says_so(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda args: (args, vigil(home, *args)), READ_ONLY))
    for args, done in results:
        assert done.returncode == 1, args
        assert done.stderr.startswith(f"error: no Vigil home at {home}"), (args, done.stderr)
        assert done.stdout == "", args
    assert not home.exists()  # nothing was created
    made = vigil(home, "logs", "create-group", "app")  # a command that writes creates it
    assert made.returncode == 0 and home.is_dir()


def test_help_of_a_read_only_command_needs_no_home(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    done = vigil(home, "posture", "report", "--help")
    assert done.returncode == 0 and "Usage: " in done.stdout and "posture report" in done.stdout
    assert not home.exists()
