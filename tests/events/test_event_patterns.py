"""EventBridge patterns: the conformance table, errors naming the path, and the $or limit."""

from __future__ import annotations

import pytest
import yaml

from helpers import DATA
from vigil.events.pattern import Pattern, PatternInvalid

TABLE = yaml.safe_load((DATA / "event_patterns.yaml").read_text())
EVENTS = TABLE["events"]


@pytest.mark.parametrize("case", TABLE["cases"], ids=[str(c["pattern"]) for c in TABLE["cases"]])
def test_conformance(case: dict) -> None:  # type: ignore[type-arg]
    pattern = Pattern(case["pattern"])
    expected = {n: True for n in case.get("match", [])} | {n: False for n in case.get("miss", [])}
    assert expected
    for name, want in expected.items():
        assert pattern.matches(EVENTS[name]) is want, name


@pytest.mark.parametrize("case", TABLE["errors"], ids=[c["says"] for c in TABLE["errors"]])
def test_invalid_patterns_name_the_path(case: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(PatternInvalid) as raised:
        Pattern(case["pattern"])
    assert raised.value.path == case["path"]
    assert case["says"] in str(raised.value)


def test_or_expansion_is_limited() -> None:
    many = {"$or": [{f"f{i}": [i]} for i in range(11)]}
    ok = {"detail": many, "source": ["x"]}
    Pattern(ok)
    with pytest.raises(PatternInvalid, match="1000 combinations"):
        Pattern({"detail": many, "resources": many, "region": ["x"], "account": many})  # 11**3
