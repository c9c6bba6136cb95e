"""The content kit: one loader and one case shape for every kind, errors with file, line and
column, `content test --kind`, and the user's own units in <home>/content/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import vigil
from vigil.content import content_root
from vigil.content.kit import KINDS, ContentError, folders, read_meta
from vigil.detect.units import DetectionMeta
from vigil.posture.audit import CheckMeta


def test_every_built_in_unit_has_the_one_case_shape() -> None:
    import yaml

    for kind in KINDS:
        units = list(folders(content_root(), kind))
        assert units, kind
        for path in units:
            doc = yaml.safe_load(next(path.glob("*.yaml")).read_text())
            assert doc["cases"], path
            assert all(set(c) == {"name", "input", "expect"} for c in doc["cases"]), path


def test_a_wrong_field_names_its_line_and_column(tmp_path: Path) -> None:
    meta = tmp_path / "check.yaml"
    meta.write_text("title: t\nseverity: SEVERE\ncontrols: {}\nremediation: {console: c, cli: x}\n")
    with pytest.raises(ContentError, match=r"check.yaml:2:11: field 'severity': Input should be"):
        read_meta(meta, CheckMeta)
    meta.write_text("title: t\nseverity: LOW\ncontrols: {}\nremedation: {console: c}\n")
    with pytest.raises(ContentError, match=r"check.yaml:4:1: field 'remedation' is not one"):
        read_meta(meta, CheckMeta)
    unit = tmp_path / "detection.yaml"
    unit.write_text("title: t\ntype: X\nseverity: 11\ndescription: d\nsource: flow_logs\n"
                    "logic: sql\ngroup_by: [srcaddr]\n")  # fmt: skip
    with pytest.raises(
        ContentError, match=r"detection.yaml:3:11: field .severity.: severity 11.0 is outside 0-10"
    ) as err:
        read_meta(unit, DetectionMeta)
    assert (err.value.line, err.value.column) == (3, 11)  # the location is data too


def test_content_test_runs_one_kind(tmp_path: Path) -> None:
    done = vigil(tmp_path / "home", "content", "test", "--kind", "metric_filter", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {c["kind"] for c in report["cases"]} == {"metric_filter"}
    assert len({c["unit"] for c in report["cases"]}) == 14 and report["failed"] == 0
    one = json.loads(vigil(tmp_path / "home", "content", "test", "reenable-cloudtrail",
                           "cloudtrail-1", "--json").stdout)  # fmt: skip
    assert {(c["kind"], c["unit"]) for c in one["cases"]} == {
        ("playbook", "reenable-cloudtrail"), ("check", "cloudtrail-1")
    }  # fmt: skip
    missing = vigil(tmp_path / "home", "content", "test", "no-such-unit")
    assert missing.returncode == 1 and "no content unit 'no-such-unit'" in missing.stderr


def test_a_users_unit_is_listed_tested_and_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    built_in = content_root() / "detections" / "stealth-iamuser-cloudtrailloggingdisabled"
    mine = home / "content" / "detections" / "my-trail-stopped"
    shutil.copytree(built_in, mine)
    text = (mine / "detection.yaml").read_text()
    (mine / "detection.yaml").write_text(
        text.replace(
            "type: Stealth:IAMUser/CloudTrailLoggingDisabled", "type: Custom:IAMUser/TrailStopped"
        )
    )
    broken = home / "content" / "detections" / "broken"
    broken.mkdir()
    (broken / "detection.yaml").write_text("title: b\ntype: X\nseverity: 5\n")
    listed = json.loads(vigil(home, "content", "list", "--json").stdout)
    origin = {u["id"]: u["origin"] for u in listed["units"]}
    assert origin["my-trail-stopped"] == "user" and origin[built_in.name] == "built-in"
    assert any("broken/detection.yaml" in e and "is missing" in e for e in listed["errors"])
    tested = vigil(home, "content", "test", "my-trail-stopped", "--json")
    cases = json.loads(tested.stdout)["cases"]
    assert cases and all(c["passed"] and c["unit"] == "my-trail-stopped" for c in cases)
    assert tested.returncode == 1  # the broken unit is reported, so the run is not clean


def test_a_users_metric_filter_pack_is_listed_tested_and_installed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    template = Path(__file__).resolve().parents[2] / "templates" / "metric-filter"
    shutil.copytree(template, home / "content" / "metric_filters" / "mine" / "trail-deleted")
    units = json.loads(vigil(home, "content", "list", "--json").stdout)["units"]
    assert {"id": "mine/trail-deleted", "origin": "user"}.items() <= next(
        u for u in units if u["id"] == "mine/trail-deleted"
    ).items()
    tested = json.loads(vigil(home, "content", "test", "mine/trail-deleted", "--json").stdout)
    assert [c["passed"] for c in tested["cases"]] == [True, True]
    assert vigil(home, "logs", "create-group", "CloudTrail/logs").returncode == 0
    done = vigil(home, "logs", "install-pack", "mine", "--log-group", "CloudTrail/logs", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["alarms"] == ["Custom-TrailDeleted"]
