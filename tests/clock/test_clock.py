"""One clock: UTC, epoch milliseconds, ISO 8601 with Z, and users' relative times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from vigil import clock
from vigil.errors import ConfigError


def test_iso_is_utc_with_z_whatever_the_input() -> None:
    assert clock.iso(datetime(2024, 3, 1, 9, 14, 3)) == "2024-03-01T09:14:03Z"  # naive: UTC
    plus_two = datetime(2024, 3, 1, 11, 14, 3, 120000, tzinfo=timezone(timedelta(hours=2)))
    assert clock.iso(plus_two, "milliseconds") == "2024-03-01T09:14:03.120Z"


def test_parse_iso_and_milliseconds_round_trip() -> None:
    moment = clock.parse_iso("2024-03-01T09:14:03Z")
    assert moment == datetime(2024, 3, 1, 9, 14, 3, tzinfo=UTC)
    assert clock.parse_iso("2024-03-01T09:14:03") == moment  # naive text is UTC
    assert clock.to_ms(moment) == 1709284443000
    assert clock.iso_ms(1709284443000) == "2024-03-01T09:14:03.000Z"
    assert clock.iso_ms("soon") is None and clock.iso_ms(True) is None


def test_a_users_time_is_iso_or_that_long_ago() -> None:
    now = 1_700_000_000_000
    assert clock.parse_moment("15m", "--start", now) == now - 15 * 60_000
    assert clock.parse_moment("2d", "--start", now) == now - 2 * 86_400_000
    assert clock.parse_moment("2024-03-01T09:14:03Z", "--start") == 1709284443000
    with pytest.raises(ConfigError, match="--start 'yesterday' is not a time"):
        clock.parse_moment("yesterday", "--start")


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ConfigError, match="--since 2024-03-02 is after --until 2024-03-01"):
        clock.time_range("2024-03-02", "2024-03-01", ("--since", "--until"))
    assert clock.time_range(None, "2024-03-01") == (None, 1709251200000)
