"""Intelligence: threat lists, trusted-IP lists, the organization's accounts, AWS's ranges."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from vigil.config import Settings


def add(settings: Settings, kind: str, path: Path) -> tuple[int, list[str]]:
    """Add a threat, trusted-IP or organization-account list (checked first)."""
    from vigil.intel import catalog

    settings.ensure()
    return catalog.add(settings.home / "intel", kind, path)


def update_aws_ranges(settings: Settings, path: Path) -> dict[str, Any]:
    from vigil.intel.aws_ranges import update

    settings.ensure()
    ranges = update(settings.home / "intel", path)
    return {"syncToken": ranges.sync_token, "createDate": ranges.create_date,
            "ipv4_prefixes": len(ranges.v4), "ipv6_prefixes": ranges.v6}  # fmt: skip


def listing(settings: Settings) -> list[dict[str, Any]]:
    from vigil.intel import catalog

    return [asdict(x) for x in catalog.listing(settings.home / "intel")]


def remove(settings: Settings, name: str, kind: str | None = None) -> dict[str, Any]:
    from vigil.intel import catalog

    return asdict(catalog.remove(settings.home / "intel", name, kind))
