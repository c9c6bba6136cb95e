"""A posture check is one folder: check.yaml beside check.py, loaded by the content kit from
the package and from the user's <home>/content/checks/; a broken one is named, with its file,
and the others run; the template of docs/extend-check.md works as a user's check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import vigil
from vigil.content import content_root
from vigil.content.kit import ContentError, folders
from vigil.posture.audit import load_checks

ROOT = Path(__file__).resolve().parents[2]

META = """title: Every trail's name says whose it is
severity: LOW
controls:
  securityhub:
nist_csf: [GV.RR-02]
remediation:
  console: Name trails corp-<purpose>.
  cli: aws cloudtrail create-trail --name corp-main --s3-bucket-name B
cases:
  - name: a corp trail
    input:
      '111122223333':
        us-east-1:
          cloudtrail describe-trails: {trailList: [{Name: corp-main, HomeRegion: us-east-1}]}
    expect: [PASSED]
  - name: another trail
    input:
      '111122223333':
        us-east-1:
          cloudtrail describe-trails: {trailList: [{Name: test, HomeRegion: us-east-1}]}
    expect: [FAILED]
"""

LOGIC = '''"""Trails are named corp-<purpose>."""

from __future__ import annotations

from typing import Any

from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, per_trail
from vigil.posture.snapshot import Snapshot


def check(snapshot: Snapshot, account: str) -> list[Result]:
    return per_trail(snapshot, account, _named)


def _named(trail: dict[str, Any]) -> tuple[CheckStatus, str]:
    if trail["Name"].startswith("corp-"):
        return CheckStatus.PASSED, "named"
    return CheckStatus.FAILED, f"{trail['Name']}: not a corp- name"
'''


def _check(home: Path, name: str, meta: str = META, logic: str = LOGIC) -> Path:
    folder = home / "content" / "checks" / name
    folder.mkdir(parents=True)
    (folder / "check.yaml").write_text(meta)
    (folder / "check.py").write_text(logic)
    return folder


def test_every_built_in_check_is_a_folder_with_its_logic() -> None:
    paths = list(folders(content_root(), "check"))
    assert len(paths) >= 33 and all((p / "check.py").is_file() for p in paths)
    units = load_checks()
    assert {u.id for u in units} == {p.name for p in paths}
    assert all(u.origin == "built-in" for u in units)


def test_a_users_check_runs_in_the_posture_report(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _check(home, "trail-naming")
    _check(home, "broken", logic="def check(snapshot, account:\n")
    saved = tmp_path / "saved" / "111122223333" / "us-east-1"
    saved.mkdir(parents=True)
    trails = {
        "trailList": [{"Name": "test", "HomeRegion": "us-east-1", "IsMultiRegionTrail": True}]
    }
    (saved / "cloudtrail-describe-trails.json").write_text(json.dumps(trails))
    imported = vigil(home, "posture", "import", str(tmp_path / "saved"), "--json")
    assert imported.returncode == 0, imported.stderr
    done = vigil(home, "posture", "report", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {r["check"]: r for r in report["checks"]}
    assert rows["trail-naming"]["status"] == "FAILED"
    assert rows["trail-naming"]["resources"][0]["reason"] == "test: not a corp- name"
    assert "cloudtrail-1" in rows and "broken" not in rows  # the built-in checks still run
    [problem] = report["problems"]
    assert "broken/check.py:1" in problem and "not valid Python" in problem
    # the audit made a control finding of the user's check too
    found = json.loads(vigil(home, "findings", "list", "--json").stdout)
    assert any(f["unit"] == "posture/trail-naming" for f in found)
    listed = json.loads(vigil(home, "content", "list", "--json").stdout)
    assert {"id": "trail-naming", "kind": "check", "origin": "user"}.items() <= next(
        u for u in listed["units"] if u["id"] == "trail-naming"
    ).items()
    assert any("broken/check.py" in e for e in listed["errors"])


@pytest.mark.parametrize(
    ("logic", "says"),
    [
        ("def check(snapshot, account:\n", r"check.py:1:\d+: not valid Python"),
        ("from vigil.api import posture\n", r"check.py:1:1: imports vigil.api: a unit of this"),
        ("from vigil import api\n", r"check.py:1:1: imports vigil.api"),
        ("x = 1 / 0\n", r"check.py:1: does not load: ZeroDivisionError"),
        ("def run(snapshot, account):\n    return []\n", r"check.py: defines no function check"),
    ],
)
def test_a_broken_check_is_named_and_the_others_load(tmp_path: Path, logic: str, says: str) -> None:
    home = tmp_path / "home"
    _check(home, "mine", logic=logic)
    problems: list[ContentError] = []
    units = load_checks(user_dir=home / "content", problems=problems)
    assert "cloudtrail-1" in {u.id for u in units} and "mine" not in {u.id for u in units}
    [problem] = problems
    assert problem.path is not None and problem.path.endswith("mine/check.py")
    with pytest.raises(ContentError, match=says):
        load_checks(user_dir=home / "content")


def test_the_doc_template_is_a_users_check(tmp_path: Path) -> None:
    """docs/extend-check.md: copy templates/check to <home>/content/checks/<id>/; it loads and
    its cases pass."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "templates" / "check", home / "content" / "checks" / "my-check")
    done = vigil(home, "content", "test", "--kind", "check", "my-check", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 0, (report, done.stderr)
    assert {c["unit"] for c in report["cases"]} == {"my-check"} and report["failed"] == 0
    assert len(report["cases"]) == 2


def test_the_checks_code_type_checks(tmp_path: Path) -> None:
    """mypy strict, as over src/, in one run: each check.py under a name of its own (they are
    all named check.py, which one mypy run cannot tell apart)."""
    files = [*content_root().glob("checks/*/check.py"), ROOT / "templates" / "check" / "check.py"]
    for path in files:
        shutil.copy(path, tmp_path / f"check_{path.parent.name.replace('-', '_')}.py")
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.11",
         "--ignore-missing-imports", "--cache-dir", str(tmp_path / ".mypy_cache"), "."],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
