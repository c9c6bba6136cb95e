"""What users reach for: --version, intel list|remove and --apply-since, suppression rules
listed and deleted, imported Sigma rules managed and shown in `content list`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers import SIGMA_RULE, ct_record, trail_file, trail_key, vigil, write_gz
from vigil import __version__


def test_version(tmp_path: Path) -> None:
    done = vigil(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout == f"vigil {__version__}\n"


def test_intel_add_list_remove_and_apply_since(tmp_path: Path) -> None:
    home = tmp_path / "home"
    recent = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    day = recent[:10].replace("-", "/")
    calls = [ct_record(eventID=f"e{i}", eventTime=recent, sourceIPAddress="203.0.113.66",
                       eventName="ListBuckets", eventSource="s3.amazonaws.com") for i in range(3)]  # fmt: skip
    write_gz(trail_key(tmp_path / "src", day=day), trail_file(calls))
    assert vigil(home, "ingest", str(tmp_path / "src")).returncode == 0
    assert vigil(home, "detect").returncode == 0
    threats = tmp_path / "bad-ips.txt"
    threats.write_text("# our feed\n203.0.113.0/24\nnot-an-ip\n")
    plain = vigil(home, "intel", "add", str(threats), "--threat")
    assert plain.returncode == 0
    assert "--apply-since 7d" in plain.stderr  # says how to apply it to stored data
    assert "bad-ips.txt:3: 'not-an-ip' is not an IP address or CIDR" in plain.stderr
    listed = json.loads(vigil(home, "findings", "list", "--json").stdout)
    assert not [f for f in listed if "MaliciousIPCaller" in f["type"]]
    applied = vigil(home, "intel", "add", str(threats), "--threat", "--apply-since", "7d", "--json")
    assert json.loads(applied.stdout)["applied"]["units"] > 0
    found = json.loads(vigil(home, "findings", "list", "--type", "*MaliciousIPCaller*",
                             "--json").stdout)  # fmt: skip
    assert len(found) == 1 and found[0]["count"] == 3
    accounts = tmp_path / "org.txt"
    accounts.write_text("111122223333\n444455556666\n")
    assert vigil(home, "intel", "add", str(accounts), "--accounts").returncode == 0
    lists = json.loads(vigil(home, "intel", "list", "--json").stdout)["lists"]
    assert {(x["kind"], x["name"], x["entries"], x["problems"]) for x in lists} == {
        ("threat", "bad-ips.txt", 1, 1), ("accounts", "org.txt", 2, 0)}  # fmt: skip
    gone = vigil(home, "intel", "remove", "bad-ips.txt", "--json")
    assert json.loads(gone.stdout)["kind"] == "threat"
    again = vigil(home, "intel", "remove", "bad-ips.txt")
    assert again.returncode == 1 and "no intel list 'bad-ips.txt'" in again.stderr
    assert "accounts/org.txt" in again.stderr


def test_suppression_rules_are_listed_and_deleted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = vigil(home, "findings", "suppress", "--name", "scanner", "--filter", "type=Recon:*")
    assert made.returncode == 0
    rules = json.loads(vigil(home, "findings", "suppress", "--list", "--json").stdout)["rules"]
    assert rules == [{"name": "scanner", "criteria": {"type": "Recon:*"}}]
    deleted = vigil(home, "findings", "suppress", "--delete", "scanner", "--json")
    assert json.loads(deleted.stdout)["deleted"] is True
    assert json.loads(vigil(home, "findings", "suppress", "--list", "--json").stdout) == {
        "rules": []
    }
    missing = vigil(home, "findings", "suppress", "--delete", "scanner")
    assert missing.returncode == 1 and "no suppression rule 'scanner'" in missing.stderr
    nothing = vigil(home, "findings", "suppress")
    assert nothing.returncode == 1 and "--filter" in nothing.stderr


def test_imported_sigma_rules_are_managed_and_listed_as_content(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rule = tmp_path / "trail-stopped.yml"
    rule.write_text(SIGMA_RULE)
    assert vigil(home, "rules", "import", str(rule)).returncode == 0

    def sigma_units() -> list[tuple[str, str, bool]]:
        units = json.loads(vigil(home, "content", "list", "--json").stdout)["units"]
        return [(u["id"], u["origin"], u["enabled"]) for u in units if u["origin"] != "built-in"]

    assert sigma_units() == [("sigma-trail-stopped", "imported Sigma", True)]
    off = vigil(home, "rules", "disable", "sigma-trail-stopped", "--json")
    assert json.loads(off.stdout) == {"id": "sigma-trail-stopped", "file": "trail-stopped.yml",
                                      "enabled": False}  # fmt: skip
    assert sigma_units() == [("sigma-trail-stopped", "imported Sigma", False)]
    listed = json.loads(vigil(home, "rules", "list", "--json").stdout)["rules"]
    assert [(r["id"], r["enabled"], r["rule_id"]) for r in listed] == [
        ("sigma-trail-stopped", False, "5a2f7c1e-0c1b-4d0e-9a51-2b7d3c4e5f60")]  # fmt: skip
    assert vigil(home, "rules", "enable", "5a2f7c1e-0c1b-4d0e-9a51-2b7d3c4e5f60").returncode == 0
    assert sigma_units()[0][2] is True
    assert vigil(home, "rules", "remove", "trail-stopped.yml").returncode == 0
    assert sigma_units() == []
    unknown = vigil(home, "rules", "disable", "nope")
    assert unknown.returncode == 1 and "no imported Sigma rule 'nope'" in unknown.stderr
