"""The architecture page and the extension pages match the code: every package has its row,
and every file a page tells a developer to edit exists (the templates themselves are run by
tests/content/test_templates.py)."""

from __future__ import annotations

import re
from pathlib import Path

from test_layers import LAYERS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PATH = re.compile(r"`((?:src|templates|tests|docs|benchmarks)/[\w./-]+)`")


def test_the_architecture_page_has_every_package_in_its_layer_table() -> None:
    text = (DOCS / "architecture.md").read_text()
    table = "\n".join(line for line in text.splitlines() if line.startswith("|"))
    missing = [p for layer in LAYERS for p in layer if f"`{p}`" not in table]
    assert missing == []


def test_every_place_the_pages_name_exists() -> None:
    pages = [DOCS / "architecture.md", *sorted(DOCS.glob("extend-*.md"))]
    missing = [
        f"{page.name}: {path}"
        for page in pages
        for path in PATH.findall(page.read_text())
        if not (ROOT / path.rstrip(".")).exists()
    ]
    assert missing == []


def test_the_extension_pages_are_linked_from_the_architecture_page() -> None:
    text = (DOCS / "architecture.md").read_text()
    assert [p.name for p in sorted(DOCS.glob("extend-*.md")) if f"({p.name})" not in text] == []
