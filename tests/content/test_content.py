"""Every detection unit's own cases, its SQL in Spark's dialect, and the loader's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.detect.harness import run_case
from vigil.detect.sql import spark_sql
from vigil.detect.units import Unit, UnitError, load_unit, load_units

UNITS, ERRORS = load_units()
CASES = [(u, c) for u in UNITS for c in u.cases]


def test_all_units_load() -> None:
    assert ERRORS == []
    assert len(UNITS) >= 25
    assert len({u.type for u in UNITS}) == len(UNITS)


@pytest.mark.parametrize(("unit", "case"), CASES, ids=[f"{u.id}:{c.name}" for u, c in CASES])
def test_unit_case(unit: Unit, case: object) -> None:
    result = run_case(unit, case)  # type: ignore[arg-type]
    assert result.problem == ""
    assert result.passed, f"expected {result.expected}, found {result.found}"


@pytest.mark.parametrize("unit", UNITS, ids=[u.id for u in UNITS])
def test_sql_transpiles_to_spark(unit: Unit) -> None:
    spark = spark_sql(unit)
    assert "SELECT" in spark.upper()


def test_loader_says_which_file_and_line(tmp_path: Path) -> None:
    unit = tmp_path / "detections" / "broken"
    unit.mkdir(parents=True)
    (unit / "detection.yaml").write_text("title: x\ntype: [unclosed\n")
    with pytest.raises(UnitError, match=r"broken/detection.yaml:3:1"):
        load_unit(unit)
    (unit / "detection.yaml").write_text("title: x\n")
    with pytest.raises(UnitError, match="field 'type' is missing"):
        load_unit(unit)
    units, errors = load_units(tmp_path)
    assert units == [] and "detection.yaml" in str(errors[0])


def test_a_run_reads_units_without_their_cases_and_the_same_otherwise(tmp_path: Path) -> None:
    from dataclasses import replace

    for unit in UNITS:
        light = load_unit(unit.path, cases=False)
        assert light.cases == ()
        assert replace(light, cases=unit.cases, sigma=None) == replace(unit, sigma=None)
    broken = tmp_path / "detections" / "late-key"
    broken.mkdir(parents=True)
    own = next(u for u in UNITS if u.query_path.name == "query.sql")
    text = (own.path / "detection.yaml").read_text()
    (broken / "detection.yaml").write_text(text + "severty: 3\n")  # after the cases
    (broken / "query.sql").write_text(own.query)
    lines = len(text.splitlines()) + 1
    with pytest.raises(UnitError, match=f"late-key/detection.yaml:{lines}:1"):
        load_unit(broken, cases=False)


def test_a_unit_needs_positive_and_negative_cases(tmp_path: Path) -> None:
    own = next(u for u in UNITS if u.query_path.name == "query.sql")
    unit = tmp_path / "detections" / "one-sided"
    unit.mkdir(parents=True)
    text = (own.path / "detection.yaml").read_text()
    (unit / "detection.yaml").write_text(text.split("cases:")[0] + "cases: []\n")
    (unit / "query.sql").write_text(own.query)
    with pytest.raises(UnitError, match="positive and one negative"):
        load_unit(unit)


def test_requires_names_an_intel_table_and_skips_without_rows(tmp_path: Path) -> None:
    from vigil.detect.sql import run_unit
    from vigil.intel.lists import register
    from vigil.query.engine import open_engine

    own = next(u for u in UNITS if "threat_list" in u.requires)
    unit = tmp_path / "detections" / "needs-list"
    unit.mkdir(parents=True)
    text = (own.path / "detection.yaml").read_text()
    (unit / "detection.yaml").write_text(text.replace("requires: [threat_list]", "requires: [x]"))
    (unit / "query.sql").write_text(own.query)
    with pytest.raises(UnitError, match="requires x: not one of threat_list, trusted_list"):
        load_unit(unit)
    con = open_engine(None)
    register(con, None)
    # an empty threat list: the query (which would fail here, no lake tables) never runs
    assert (
        run_unit(con, own, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)) == []
    )
