"""The templates of docs/extend-*.md work as they are: each loads and its cases pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import vigil
from vigil.metrics.packs import load_pack
from vigil.metrics.packs import run_cases as filter_cases
from vigil.playbooks.units import playbook_units
from vigil.playbooks.units import run_cases as playbook_cases
from vigil.posture.audit import load_checks
from vigil.posture.audit import run_cases as check_cases

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_detection_templates_pass_as_a_users_units(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for name in ("detection-sql", "detection-sigma"):
        shutil.copytree(TEMPLATES / name, home / "content" / "detections" / f"my-{name}")
    done = vigil(home, "content", "test", "my-detection-sql", "my-detection-sigma", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 0, report
    assert {c["unit"] for c in report["cases"]} == {"my-detection-sql", "my-detection-sigma"}
    assert len(report["cases"]) == 4 and report["failed"] == 0


def test_the_check_filter_and_playbook_templates_pass(tmp_path: Path) -> None:
    root = tmp_path / "content"
    (root / "checks").mkdir(parents=True)
    shutil.copytree(TEMPLATES / "check", root / "checks" / "cloudtrail-5")  # its logic's id
    [check] = load_checks(root)
    assert all(r.passed for r in check_cases(check)), check_cases(check)
    shutil.copytree(TEMPLATES / "metric-filter", root / "metric_filters" / "custom" / "deleted")
    [unit] = load_pack("custom", root)
    results = filter_cases(unit)
    assert len(results) == 2 and all(r.passed for r in results), results
    shutil.copytree(TEMPLATES / "playbook", root / "playbooks" / "reenable-cloudtrail")
    [play] = playbook_units(root)
    assert [r.passed for r in playbook_cases(play)] == [True]


def test_the_target_rule_template_is_a_valid_rule(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    template = str(TEMPLATES / "target-rule.yaml")
    refused = vigil(home, "events", "rules", "put", template)  # nothing is allowed until ...
    assert refused.returncode == 1 and "is not allowed" in refused.stderr
    (home / "vigil.yaml").write_text(  # ... the operator lists the handler and the program
        "targets:\n  python: {allow: ['my_package.handlers:on_finding']}\n"
        "  command: {allow: [/usr/local/bin/notify-oncall]}\n"
    )
    put = vigil(home, "events", "rules", "put", template, "--json")
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout) == {"Name": "my-rule", "Targets": 2}
