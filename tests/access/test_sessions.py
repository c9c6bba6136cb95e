"""Console sessions: kept by the SHA-256 of their ids in the state database, so a restarted
server keeps its users signed in; ended by sign-out, a new password, a removed user, or time."""

from __future__ import annotations

import time

from vigil.access.sessions import Sessions, SignInLimiter
from vigil.api import access
from vigil.config import Settings


def _sign_in(home: Settings, name: str) -> tuple[str, Sessions]:
    access.create_user(home, name, "analyst", "a-long-password")
    who = access.Gate(home).password(name, "a-long-password")
    sessions = Sessions(home)
    sid, _ = sessions.start(who)
    return sid, sessions


def test_a_session_outlives_the_server_but_not_its_users_password(home: Settings) -> None:
    sid, _ = _sign_in(home, "ann")
    restarted = Sessions(home)  # a new process: nothing in memory
    session = restarted.get(sid)
    assert session is not None and session.principal.user == "ann"
    assert str(session.principal.role) == "analyst"
    stored = home.state_db.read_bytes()
    assert sid.encode() not in stored  # only its digest is kept
    access.set_password(home, "ann", "another-long-password")
    assert Sessions(home).get(sid) is None


def test_sign_out_removal_and_idle_time_end_sessions(home: Settings) -> None:
    sid, sessions = _sign_in(home, "bob")
    sessions.end(sid)
    assert Sessions(home).get(sid) is None
    sid, sessions = _sign_in(home, "cy")
    access.delete_user(home, "cy")
    assert Sessions(home).get(sid) is None
    access.create_user(home, "di", "viewer", "a-long-password")
    short = Sessions(home, idle=0.2)
    sid, _ = short.start(access.Gate(home).password("di", "a-long-password"))
    assert short.get(sid) is not None
    time.sleep(0.3)
    assert short.get(sid) is None and Sessions(home).get(sid) is None


def test_five_failures_a_minute_per_user_and_address() -> None:
    limiter = SignInLimiter(limit=5, window=0.5)
    for _ in range(5):
        assert limiter.wait("Ann", "10.0.0.1") == 0
        limiter.failed("ann", "10.0.0.1")
    assert limiter.wait("ann", "10.0.0.1") > 0
    assert limiter.wait("ann", "10.0.0.2") == 0 and limiter.wait("bob", "10.0.0.1") == 0
    time.sleep(0.55)
    assert limiter.wait("ann", "10.0.0.1") == 0


def test_failures_are_capped_per_user_from_anywhere_and_per_address_against_anyone() -> None:
    limiter = SignInLimiter(limit=5, user_limit=8, address_limit=8, window=0.5)
    for n in range(8):  # one guess from each of eight addresses: none reaches five
        assert limiter.wait("ann", f"10.0.0.{n}") == 0
        limiter.failed("ann", f"10.0.0.{n}")
    assert limiter.wait("ann", "10.0.0.99") > 0  # a ninth address is refused too
    assert limiter.wait("bob", "10.0.0.1") == 0  # other users are not
    for n in range(8):  # password spraying: one address, eight users
        limiter.failed(f"user{n}", "192.0.2.1")
    assert limiter.wait("carol", "192.0.2.1") > 0 and limiter.wait("carol", "192.0.2.2") == 0
    limiter.succeeded("ann", "10.0.0.99")  # ann's own success elsewhere clears only that pair
    assert limiter.wait("ann", "10.0.0.50") > 0
    time.sleep(0.55)
    assert limiter.wait("ann", "10.0.0.50") == 0 and limiter.wait("carol", "192.0.2.1") == 0


def test_an_ipv6_client_is_counted_by_its_64() -> None:
    limiter = SignInLimiter(limit=5, window=0.5)
    for n in range(5):  # five addresses of one /64
        limiter.failed("ann", f"2001:db8:1:2::{n + 1:x}")
    assert limiter.wait("ann", "2001:db8:1:2:ffff::9") > 0
    assert limiter.wait("ann", "2001:db8:1:3::1") == 0  # another /64 is another client
