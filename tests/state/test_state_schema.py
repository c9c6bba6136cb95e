"""The state store's numbered migrations: a home written by release 0.1.0 (kept as a fixture)
opens, upgrades once and works; a home from a newer release is refused."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from helpers import vigil
from vigil.state.schema import LATEST, MIGRATIONS, migrate

RELEASE_HOME = Path(__file__).parents[1] / "data" / "homes" / "release-0.1.0"


def _versions(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as db:
        return [r[0] for r in db.execute("SELECT version FROM schema_version ORDER BY version")]


def test_a_release_home_upgrades_and_keeps_everything(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(RELEASE_HOME, home)
    with sqlite3.connect(home / "state.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "schema_version" not in tables  # as 0.1.0 left it

    findings = json.loads(vigil(home, "findings", "list", "--json").stdout)
    assert {f["type"] for f in findings} == {
        "Stealth:IAMUser/CloudTrailLoggingDisabled", "Policy:IAMUser/ConsoleLoginWithoutMFA"
    }  # fmt: skip
    archived = json.loads(vigil(home, "findings", "list", "--archived", "--json").stdout)
    assert [f["type"] for f in archived] == ["Recon:EC2/Portscan"]  # by the suppression rule
    assert _versions(home / "state.db") == [m.version for m in MIGRATIONS]
    rows = json.loads(
        vigil(home, "query", "SELECT count(*) AS n FROM flow_logs", "--format", "json").stdout
    )
    assert rows == [{"n": 39}]
    groups = json.loads(vigil(home, "logs", "groups", "--json").stdout)
    assert "app" in json.dumps(groups)
    alarms = json.loads(vigil(home, "alarms", "list", "--json").stdout)
    assert "errors-high" in json.dumps(alarms)
    assert "my.app" in vigil(home, "events", "list", "--json").stdout
    assert "all-guardduty" in vigil(home, "events", "rules", "list", "--json").stdout
    # and it takes new work: the same objects again add nothing, a new write lands
    assert vigil(home, "logs", "put", "app", "s1", "-", stdin="ERROR three\n").returncode == 0
    got = json.loads(vigil(home, "logs", "get", "app", "s1", "--json").stdout)
    assert "ERROR three" in json.dumps(got)
    assert _versions(home / "state.db") == [m.version for m in MIGRATIONS]  # once, not again


def test_a_home_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "state.db") as db:
        migrate(db)
        db.execute("INSERT INTO schema_version (version, title) VALUES (?, 'later')", (LATEST + 1,))
    done = vigil(home, "findings", "list")
    assert done.returncode == 1
    assert f"schema version {LATEST + 1}" in done.stderr and "upgrade Vigil" in done.stderr


def test_migrations_are_numbered_in_order_from_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    assert migrate(db) == LATEST
    before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate(db) == LATEST
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
    assert _versions(tmp_path / "state.db") == [m.version for m in MIGRATIONS]


def test_a_release_homes_events_and_rules_belong_to_the_default_bus(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(RELEASE_HOME, home)
    rules = json.loads(vigil(home, "events", "rules", "list", "--json").stdout)["rules"]
    assert {(r["name"], r["bus"]) for r in rules} >= {("all-guardduty", "default")}
    listed = json.loads(vigil(home, "events", "buses", "list", "--json").stdout)["buses"]
    assert [b["Name"] for b in listed] == ["default"]  # the store is upgraded by now
    with sqlite3.connect(home / "state.db") as db:
        buses = {r[0] for r in db.execute("SELECT DISTINCT bus FROM events")}
        (count,) = db.execute("SELECT count(*) FROM events").fetchone()
    assert count > 0 and buses == {"default"}
