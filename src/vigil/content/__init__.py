"""Where Vigil's content (detections, checks, packs, playbooks, shipped intel) lives."""

from __future__ import annotations

import os
from pathlib import Path


def content_root() -> Path:
    """`$VIGIL_CONTENT`, else the built-in content shipped inside the package."""
    configured = os.environ.get("VIGIL_CONTENT")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent
