"""The README's coverage table is the content's: regenerated from `vigil content list --json`
and compared, so a unit added, renamed or retagged shows up as a failing test until the README
is brought up to date (`vigil content list --markdown`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import vigil
from vigil.shells.cli.coverage import markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_contents(tmp_path: Path) -> None:
    listed = vigil(tmp_path / "home", "content", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    units = json.loads(listed.stdout)["units"]
    block = re.search(r"<!-- coverage:start[^>]*-->\n(.*?)<!-- coverage:end -->",
                      README.read_text(), re.S)  # fmt: skip
    assert block is not None, "the README has no coverage block"
    assert block.group(1) == markdown(units), "run: vigil content list --markdown"
    built_in = {u["id"] for u in units if u["kind"] == "detection" and u["origin"] == "built-in"}
    rows = set(re.findall(r"\| `([a-z0-9-]+)` \|\n", block.group(1)))
    assert rows == built_in and len(rows) >= 90
    cli = vigil(tmp_path / "home", "content", "list", "--markdown")
    assert cli.stdout == block.group(1)
