"""Console sessions and the sign-in limiter.

A session id is a random 256-bit value the browser holds in a cookie; only its SHA-256 is
kept (in the state database, so a restart of the server keeps everyone signed in), so a copy
of the database hands out no sessions. Each session carries its own CSRF token. Sessions end
on sign-out, after `idle` seconds unused, or `lifetime` seconds after sign-in. Lookups are
served from memory; the database is written at sign-in, sign-out, and at most once a minute
per session to note it is in use. The limiter is in memory: a restart forgets failures.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from vigil.access.roles import role_of
from vigil.access.store import Principal
from vigil.config import Settings
from vigil.state import StateDB

IDLE: Final = 8 * 3600.0
LIFETIME: Final = 24 * 3600.0
FAILURES_PER_MINUTE: Final = 5  # one user from one address
USER_FAILURES_PER_MINUTE: Final = 20  # one user, from however many addresses
ADDRESS_FAILURES_PER_MINUTE: Final = 20  # one address, against however many users
MAX_TRACKED: Final = 100_000  # counters kept before stale ones are dropped
TOUCH_EVERY: Final = 60.0  # seconds between writes of a session's last use


@dataclass
class Session:
    principal: Principal
    csrf: str
    started: float  # epoch seconds
    seen: float
    written: float = 0.0  # when `seen` was last stored


@dataclass
class Sessions:
    settings: Settings | None = None  # None: in memory only
    idle: float = IDLE
    lifetime: float = LIFETIME
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _by_hash: dict[str, Session] = field(default_factory=dict)

    def start(self, principal: Principal) -> tuple[str, Session]:
        """A new session: its id (for the cookie, shown only here) and the session."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        session = Session(principal, secrets.token_urlsafe(32), now, now, now)
        digest = _digest(sid)
        with self._lock:
            self._by_hash[digest] = session
        self._write("INSERT OR REPLACE INTO console_sessions VALUES (?, ?, ?, ?, ?)",
                    (digest, principal.user, session.csrf, _ms(now), _ms(now)))  # fmt: skip
        return sid, session

    def get(self, sid: str) -> Session | None:
        now = time.time()
        digest = _digest(sid)
        with self._lock:
            session = self._by_hash.get(digest)
        if session is None:
            session = self._load(digest)
            if session is None:
                return None
            with self._lock:
                self._by_hash[digest] = session
        if now - session.seen > self.idle or now - session.started > self.lifetime:
            self._drop(digest)
            return None
        session.seen = now
        if now - session.written > TOUCH_EVERY:
            session.written = now
            kept = self._write("UPDATE console_sessions SET seen_ms = ? WHERE id_sha256 = ?",
                               (_ms(now), digest))  # fmt: skip
            if kept == 0:  # ended elsewhere: a new password, `vigil users remove`
                self._drop(digest)
                return None
        return session

    def end(self, sid: str) -> None:
        self._drop(_digest(sid))

    def end_user(self, user: str) -> int:
        """Sign a user out everywhere (a deleted user, a changed password)."""
        with self._lock:
            gone = [h for h, s in self._by_hash.items() if s.principal.user == user]
            for h in gone:
                del self._by_hash[h]
        self._write("DELETE FROM console_sessions WHERE user = ?", (user,))
        return len(gone)

    def _drop(self, digest: str) -> None:
        with self._lock:
            self._by_hash.pop(digest, None)
        self._write("DELETE FROM console_sessions WHERE id_sha256 = ?", (digest,))

    def _load(self, digest: str) -> Session | None:
        if self.settings is None or not self.settings.state_db.exists():
            return None
        state = StateDB(self.settings.state_db)
        try:
            row = state.db.execute(
                "SELECT s.user, u.role, s.csrf, s.started_ms, s.seen_ms FROM console_sessions s "
                "JOIN users u ON u.name = s.user WHERE s.id_sha256 = ?", (digest,)
            ).fetchone()  # fmt: skip
        finally:
            state.close()
        if row is None:
            return None
        user, role, csrf, started, seen = row
        return Session(Principal(user, role_of(role), "session"), csrf, started / 1000,
                       seen / 1000, seen / 1000)  # fmt: skip

    def _write(self, sql: str, args: tuple[object, ...]) -> int | None:
        """Run one change (and the expiry); the rows it changed (None: in memory only)."""
        if self.settings is None:
            return None
        state = StateDB(self.settings.state_db)
        try:
            with state.transaction() as db:
                changed = db.execute(sql, args).rowcount
                # sessions past their lifetime go with any write
                db.execute("DELETE FROM console_sessions WHERE started_ms < ?",
                           (_ms(time.time() - self.lifetime),))  # fmt: skip
        finally:
            state.close()
        return int(changed)


def csrf_matches(session: Session, token: str) -> bool:
    return hmac.compare_digest(session.csrf.encode(), token.encode())


@dataclass
class SignInLimiter:
    """Failed sign-ins counted three ways over a sliding minute: one user from one address
    (`limit`), one user from any address (`user_limit`: a guess spread over many addresses),
    and one address against any user (`address_limit`: password spraying). Past any of them
    the next try is refused without checking the password until the oldest failure that
    counts is a minute old. A success clears only its own user-and-address count."""

    limit: int = FAILURES_PER_MINUTE
    user_limit: int = USER_FAILURES_PER_MINUTE
    address_limit: int = ADDRESS_FAILURES_PER_MINUTE
    window: float = 60.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def _counts(self, user: str, address: str) -> list[tuple[tuple[str, str], int]]:
        name, address = user.lower(), _grouped(address)
        return [(("pair", f"{name}\x00{address}"), self.limit), (("user", name), self.user_limit),
                (("address", address), self.address_limit)]  # fmt: skip

    def wait(self, user: str, address: str) -> float:
        """Seconds until a sign-in may be tried again (0: now)."""
        now = time.monotonic()
        longest = 0.0
        with self._lock:
            for key, limit in self._counts(user, address):
                seen = self._failures.get(key)
                while seen and now - seen[0] >= self.window:
                    seen.popleft()
                if seen and len(seen) >= limit:
                    longest = max(longest, self.window - (now - seen[-limit]))
        return longest

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > MAX_TRACKED:  # many names or addresses: forget the stale
                stale = [
                    k for k, v in self._failures.items() if not v or now - v[-1] >= self.window
                ]
                for key in stale:
                    del self._failures[key]
            for key, limit in self._counts(user, address):
                self._failures.setdefault(key, deque(maxlen=max(limit, 1))).append(now)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._counts(user, address)[0][0], None)


def _grouped(address: str) -> str:
    """An IPv6 client is counted by its /64 (one host is handed a whole /64 to roam in)."""
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        return str(ipaddress.ip_network(f"{found}/64", strict=False))
    return str(found)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
