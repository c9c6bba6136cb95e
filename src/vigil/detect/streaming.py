"""The streaming path: Sigma record rules evaluated in Python on events as they arrive, with
the same results as the batch SQL over the lake (tests hold the two to that)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from vigil.detect.sigma_eval import Row
from vigil.detect.units import Unit
from vigil.formats.cloudtrail import parse_cloudtrail


class StreamMatcher:
    """Which record rules an event matches."""

    def __init__(self, units: Iterable[Unit]) -> None:
        # Record rules only: a correlation needs a window of events, which the batch path has.
        self.rules = [
            (u.id, u.sigma.test)
            for u in units
            if u.sigma is not None and u.sigma.correlation is None
        ]

    def match(self, row: Row) -> list[str]:
        cache: dict[str, Any] = {}
        return [uid for uid, test in self.rules if test(row, cache)]

    def match_records(self, records: list[dict[str, Any]]) -> list[list[str]]:
        """CloudTrail records as AWS writes them → the rule ids each one matches."""
        return [self.match(row) for row in rows_of(records)]


def rows_of(records: list[dict[str, Any]]) -> list[Row]:
    """Records in the lake's shape (Athena columns), as the batch path sees them."""
    table = parse_cloudtrail(json.dumps({"Records": records}).encode(), "stream").table
    rows: list[Row] = table.to_pylist()
    return rows
