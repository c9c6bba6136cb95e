"""The demo's data volumes (kept apart so the command line can name them without loading
the generator)."""

from __future__ import annotations

from typing import Final, NamedTuple


class Scale(NamedTuple):
    """Background records a day: flow records, CloudTrail events, Route 53 Resolver queries,
    and the customer-data bucket's uploads (its access log also repeats the trail's reads)."""

    flows: int
    events: int
    dns: int
    uploads: int


SCALES: Final[dict[str, Scale]] = {
    "small": Scale(60_000, 5_000, 20_000, 1_000),
    "medium": Scale(2_000_000, 100_000, 500_000, 20_000),
    "large": Scale(20_000_000, 1_000_000, 5_000_000, 200_000),
}
