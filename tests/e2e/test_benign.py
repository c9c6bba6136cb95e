"""A week of ordinary work (vigil demo --benign) through every detection: nothing high, and
only the findings we know and can explain. A unit that starts firing on normal operations
(deployments, scanners, AWS services, in-organization sharing, narrowed bucket policies, a
mistyped password) fails here before it fails a user."""

from __future__ import annotations

from datetime import datetime

import pytest

from vigil.api import tuning
from vigil.config import Settings
from vigil.demo.benign import QuietWeek, quiet_week

pytestmark = pytest.mark.slow

# unit -> why ordinary work raises it (each is tunable; none is high)
EXPECTED = {
    "persistence-iamuser-accesskeycreatedforotheruser": (
        "an administrator on-boards a reporting user and makes its first access key"
    ),
    "execution-ec2-unusualinstancelaunch": "the ML engineer starts one GPU instance",
    "execution-ssm-startsession": "engineers open shells with Session Manager (low, noted)",
}


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, QuietWeek]:
    settings = Settings(home=tmp_path_factory.mktemp("benign"))
    return settings, quiet_week(settings, days=7)


def test_a_quiet_week_raises_nothing_high(week: tuple[Settings, QuietWeek]) -> None:
    _, result = week
    assert result.records > 15_000 and not result.errors
    high = [(f.unit, f.summary) for f in result.findings if f.severity >= 7]
    assert high == []


def test_only_the_explained_units_fire(week: tuple[Settings, QuietWeek]) -> None:
    _, result = week
    fired = result.by_unit()
    assert set(fired) == set(EXPECTED), {u: r["example"] for u, r in fired.items()}
    assert fired["execution-ssm-startsession"]["severity"] < 4


def test_an_exception_silences_the_known_launch(week: tuple[Settings, QuietWeek]) -> None:
    settings, _ = week
    unit = "execution-ec2-unusualinstancelaunch"
    since = datetime.fromisoformat("2026-11-16T00:00:00+00:00")
    until = datetime.fromisoformat("2026-11-23T00:00:00+00:00")
    before = tuning.backtest(settings, unit, since, until)
    assert before.findings == 1
    tuning.set_unit(settings, unit, {"exceptions": {"principals": ["*/eli@anycompany.example"]}})
    after = tuning.backtest(settings, unit, since, until)
    assert after.findings == 0
