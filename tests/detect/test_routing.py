"""A committed batch skips the units whose event names it does not hold. The names are read
from each unit's SQL, so the reading must never drop a name a unit can fire on: every unit's
own positive cases are checked against it, beside a table of the forms it understands."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vigil.detect.routing import event_names, matches
from vigil.detect.units import Case, Unit, load_units

UNITS, _ = load_units()
TRAIL_UNITS = [u for u in UNITS if u.source == "cloudtrail"]
BASE = next(u for u in TRAIL_UNITS if u.logic == "sql" and u.new_terms is None)

FORMS = [
    ("eventname = 'StopLogging'", {"stoplogging"}),
    ("eventname IN ('A', 'B') AND errorcode IS NULL", {"a", "b"}),
    ("lower(CAST(eventname AS VARCHAR)) = lower('DeleteTrail')", {"deletetrail"}),
    ("(eventname = 'A' OR eventname = 'B') AND eventsource = 's'", {"a", "b"}),
    ("eventname = 'A' OR useragent LIKE '%kali%'", None),  # an OR with anything else: any
    ("eventname LIKE 'Describe%'", {"describe*"}),
    ("eventname LIKE '%Bucket%'", None),
    ("starts_with(eventname, 'AddPermission')", {"addpermission*"}),
    ("regexp_matches(eventname, '^(AddPermission|UpdateFunctionUrlConfig)([0-9]{8}.*)?$')",
     {"addpermission*", "updatefunctionurlconfig*"}),
    ("regexp_matches(eventname, '^UpdateFunctionCode([0-9]{8}.*)?$')", {"updatefunctioncode*"}),
    ("regexp_matches(eventname, '^(Get)?Object$')", None),  # an optional group: any
    ("regexp_matches(eventname, 'Delete')", None),  # not anchored
    ("errorcode IS NULL", None),
]  # fmt: skip


@pytest.mark.parametrize(("where", "names"), FORMS, ids=[w for w, _ in FORMS])
def test_the_forms_it_reads(where: str, names: set[str] | None) -> None:
    unit = replace(BASE, query=f"SELECT eventid FROM cloudtrail WHERE {where}", parameters={})
    found = event_names(unit)
    assert (None if found is None else set(found)) == names


def test_every_select_reading_the_lake_must_restrict_names() -> None:
    query = ("WITH a AS (SELECT * FROM cloudtrail WHERE eventname = 'A'), "
             "b AS (SELECT * FROM cloudtrail WHERE errorcode IS NULL) SELECT * FROM a, b")  # fmt: skip
    assert event_names(replace(BASE, query=query, parameters={})) is None
    both = query.replace("errorcode IS NULL", "eventname = 'B'")
    assert set(event_names(replace(BASE, query=both, parameters={})) or ()) == {"a", "b"}


def test_prefixes_match_names_of_any_version() -> None:
    assert matches(frozenset({"updatefunctioncode*"}), frozenset({"updatefunctioncode20150331v2"}))
    assert not matches(frozenset({"deletetrail"}), frozenset({"describetrails"}))
    assert matches(None, frozenset())


def test_most_units_watch_named_calls() -> None:
    routed = [u for u in TRAIL_UNITS if event_names(u) is not None]
    assert len(routed) >= 0.7 * len(TRAIL_UNITS)


CASES = [(u, c) for u in TRAIL_UNITS for c in u.cases if c.expect]


@pytest.mark.parametrize(("unit", "case"), CASES, ids=[f"{u.id}:{c.name}" for u, c in CASES])
def test_no_unit_is_skipped_for_a_batch_it_fires_on(unit: Unit, case: Case) -> None:
    names = event_names(unit)
    records = [r.get("record", r) for r in case.data["cloudtrail"]]
    present = frozenset(str(r.get("eventName", "")).lower() for r in records)
    assert matches(names, present), (sorted(names or ()), sorted(present))


def test_a_run_reads_the_lake_through_the_units_range_of_names() -> None:
    from vigil.detect.routing import name_ranges

    def unit(where: str) -> Unit:
        return replace(BASE, query=f"SELECT eventid FROM cloudtrail WHERE {where}", parameters={})

    assert name_ranges(unit("eventname IN ('StopLogging', 'DeleteTrail')")) == (
        ("DeleteTrail", "DeleteTrail"),
        ("StopLogging", "StopLogging"),
    )  # as CloudTrail spells them: ranges the row groups' min/max can prune by
    ((low, high),) = name_ranges(unit("starts_with(eventname, 'UpdateFunctionCode')")) or ()
    assert low == "UpdateFunctionCode" and low <= "UpdateFunctionCode20150331v2" <= high
    assert name_ranges(unit("errorcode IS NULL")) is None
    terms = next(u for u in TRAIL_UNITS if u.new_terms is not None)
    assert name_ranges(terms) is None  # its coverage of each account reads every record


def test_the_alerts_a_team_wants_at_once_are_judged_on_every_batch() -> None:
    from vigil.detect.batch import record_rule

    at_once = {"stealth-iamuser-cloudtrailloggingdisabled", "policy-iamuser-rootcredentialusage",
               "persistence-iamuser-accesskeycreatedforotheruser", "stealth-guardduty-detectordeleted",
               "policy-s3-bucketanonymousaccessgranted"}  # fmt: skip
    assert {u.id for u in TRAIL_UNITS if u.id in at_once and record_rule(u)} == at_once


def test_a_tuned_unit_watches_the_same_names() -> None:
    from vigil.detect.routing import name_ranges
    from vigil.detect.tuning import Exceptions

    unit = next(u for u in TRAIL_UNITS if u.id == "stealth-iamuser-cloudtrailloggingdisabled")
    tuned = replace(unit, exceptions=Exceptions(accounts=["444455556666"]))
    assert event_names(tuned) == event_names(unit) and event_names(unit) is not None
    assert name_ranges(tuned) == name_ranges(unit)
