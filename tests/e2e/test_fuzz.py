"""A sample of the fuzz suite (`make fuzz` runs 100,000 inputs and more): every parser meets
mutated inputs and only VigilError subclasses escape; every mutated file ingested ends
ingested or quarantined."""

from __future__ import annotations

import pytest

from fuzz_kit import fuzz, fuzz_ingest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [1, 2])
def test_parsers_raise_only_vigil_errors(seed: int) -> None:
    result = fuzz(2500, seed=seed)
    assert result["inputs"] >= 2400 and len(result["per_parser"]) == 14
    assert result["escapes"] == []


def test_every_mutated_file_is_ingested_or_quarantined() -> None:
    result = fuzz_ingest(40, seed=3)
    assert result["ingested"] + result["quarantined"] > 0
    assert result["unaccounted"] == [] and result["internal_errors"] == []
