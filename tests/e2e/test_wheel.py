"""The built wheel installs into a virtualenv outside the checkout and works: the version,
every built-in content unit, the console's assets, and the demo with all thirteen planted
attacks found. It declares the project's dependencies; they come from the project's
environment rather than being installed again (half a minute of the suite)."""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from vigil.content import content_root

ROOT = Path(__file__).resolve().parents[2]


def _units_shipped() -> int:
    root = content_root()
    units = [
        p for p in (root / "detections").iterdir() if p.is_dir() and not p.name.startswith("_")
    ]
    units += [p for p in (root / "checks").iterdir() if p.is_dir()]
    units += [p for p in (root / "playbooks").iterdir() if p.is_dir()]
    units += [p for p in (root / "metric_filters").glob("*/*") if p.is_dir()]
    return len(units)


def _name(requirement: str) -> str:
    return re.split(r"[ <>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    # nothing of this checkout may leak in (a PYTHONPATH would make pip see it as installed)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "PYTHON"))}
    dist = tmp_path / "dist"
    # setuptools reuses build/lib: a unit renamed since the last build would ship twice
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True, env=env,
    )  # fmt: skip
    [wheel] = dist.glob("cloudvigil-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    # The wheel alone; its dependencies are the project environment's (`make` installs them
    # from the same declarations, which the wheel must carry), through a path file: that
    # adds the folder only, so this checkout's own editable install stays out.
    site = next((venv / "lib").glob("python3.*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True, env=env)
    with zipfile.ZipFile(wheel) as built:
        [metadata] = [n for n in built.namelist() if n.endswith(".dist-info/METADATA")]
        meta = email.parser.Parser().parsestr(built.read(metadata).decode())
    needs = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(_name(r) for r in needs) == sorted(_name(r) for r in declared)
    assert (venv / "bin" / "vigil").is_file()
    work = tmp_path / "elsewhere"
    work.mkdir()

    def vigil(*args: str) -> str:
        done = subprocess.run(
            [str(venv / "bin" / "vigil"), "--home", str(work / "home"), *args],
            cwd=work, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    from vigil import __version__

    assert vigil("--version").strip() == f"vigil {__version__}"
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import vigil; print(vigil.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert str(venv) in installed and str(ROOT) not in installed
    assets = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "from vigil.shells.web.kit import HERE; "
         "print(sorted(p.name for p in (HERE / 'static').iterdir()), "
         "len(list((HERE / 'templates').glob('*.html'))))"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in ("htmx.min.js", "uplot.min.js", "vigil.css", "vigil.js"):
        assert name in assets  # the console's vendored assets ship in the wheel
    units = json.loads(vigil("content", "list", "--json"))["units"]
    assert len(units) == _units_shipped()
    demo = json.loads(vigil("demo", "--json"))
    attacks = demo["ground_truth"]
    assert len(attacks) == 13 and all(a["found_by"] for a in attacks), attacks
