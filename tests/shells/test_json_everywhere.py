"""`--json` on every command, as the README promises: each answers one JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from helpers import allow_loopback, vigil
from vigil.shells.cli import app, attach


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if hasattr(command, "commands"):
        return [leaf for name, sub in sorted(command.commands.items())
                for leaf in _leaves(sub, (*path, name))]  # fmt: skip
    return [(path, command)]


def test_every_command_takes_json() -> None:
    attach(None, full=True)
    leaves = _leaves(typer.main.get_command(app))
    assert len(leaves) > 60
    missing = [" ".join(p) for p, c in leaves if not any("--json" in o.opts for o in c.params)]
    assert missing == []


def test_commands_that_change_things_answer_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    allow_loopback(home)
    rule = tmp_path / "rule.yaml"
    rule.write_text("name: r1\npattern: {source: [app]}\ntargets:\n"
                    "  - {id: t, type: webhook, url: 'http://127.0.0.1:9/x'}\n")  # fmt: skip
    steps: list[tuple[list[str], dict[str, Any]]] = [
        (["logs", "create-group", "app"], {"logGroupName": "app", "created": True}),
        (["logs", "create-stream", "app", "s1"], {"logGroupName": "app", "logStreamName": "s1",
                                                  "created": True}),
        (["logs", "retention", "app", "30"], {"logGroupName": "app", "retentionInDays": 30}),
        (["logs", "delete-stream", "app", "s1"], {"logGroupName": "app", "logStreamName": "s1",
                                                  "deleted": True}),
        (["events", "rules", "put", str(rule)], {"Name": "r1", "Targets": 1}),
        (["events", "rules", "disable", "r1"], {"Name": "r1", "State": "DISABLED"}),
        (["events", "rules", "delete", "r1"], {"Name": "r1", "deleted": True}),
        (["events", "test-pattern", "--pattern", '{"source": ["app"]}', "--event",
          '{"source": "app"}'], {"Result": True}),
        (["events", "dlq", "redrive"], {"redriven": 0}),
    ]  # fmt: skip
    for args, want in steps:
        done = vigil(home, *args, "--json")
        assert done.returncode == 0, (args, done.stderr)
        assert json.loads(done.stdout) == want, args
    put = vigil(home, "metrics", "put", "App", "Latency", "12", "--json")
    assert json.loads(put.stdout)["stored"] == 1
    alarm = vigil(home, "alarms", "put", "slow", "--namespace", "App", "--metric-name", "Latency",
                  "--threshold", "100", "--json")  # fmt: skip
    assert json.loads(alarm.stdout)["AlarmName"] == "slow"
    gone = vigil(home, "alarms", "delete", "slow", "--json")
    assert json.loads(gone.stdout) == {"AlarmName": "slow", "deleted": True}
