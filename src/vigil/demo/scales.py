"""The demo's data volumes (kept apart so the command line can name them without loading
the generator)."""

from __future__ import annotations

from typing import Final

SCALES: Final[dict[str, tuple[int, int]]] = {
    "small": (60_000, 5_000),
    "medium": (2_000_000, 100_000),
    "large": (20_000_000, 1_000_000),
}
