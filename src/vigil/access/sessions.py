"""Console sessions and the sign-in limiter, kept in the server's memory.

A session id is a random 256-bit value the browser holds in a cookie; only its SHA-256 is kept
here, so a memory dump does not hand out sessions. Each session carries its own CSRF token.
Sessions end on sign-out, after `idle` seconds unused, or `lifetime` seconds after sign-in; a
restart of the server signs everyone out (IMPL: nothing about a session is written to disk).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from vigil.access.store import Principal

IDLE: Final = 8 * 3600.0
LIFETIME: Final = 24 * 3600.0
FAILURES_PER_MINUTE: Final = 5


@dataclass
class Session:
    principal: Principal
    csrf: str
    started: float
    seen: float


@dataclass
class Sessions:
    idle: float = IDLE
    lifetime: float = LIFETIME
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _by_hash: dict[str, Session] = field(default_factory=dict)

    def start(self, principal: Principal) -> tuple[str, Session]:
        """A new session: its id (for the cookie, shown only here) and the session."""
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        session = Session(principal, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._expire(now)
            self._by_hash[_digest(sid)] = session
        return sid, session

    def get(self, sid: str) -> Session | None:
        now = time.monotonic()
        with self._lock:
            session = self._by_hash.get(_digest(sid))
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.started > self.lifetime:
                del self._by_hash[_digest(sid)]
                return None
            session.seen = now
            return session

    def end(self, sid: str) -> None:
        with self._lock:
            self._by_hash.pop(_digest(sid), None)

    def end_user(self, user: str) -> int:
        """Sign a user out everywhere (a deleted user, a changed role)."""
        with self._lock:
            gone = [h for h, s in self._by_hash.items() if s.principal.user == user]
            for h in gone:
                del self._by_hash[h]
        return len(gone)

    def _expire(self, now: float) -> None:
        stale = [h for h, s in self._by_hash.items()
                 if now - s.seen > self.idle or now - s.started > self.lifetime]  # fmt: skip
        for h in stale:
            del self._by_hash[h]


def csrf_matches(session: Session, token: str) -> bool:
    return hmac.compare_digest(session.csrf.encode(), token.encode())


@dataclass
class SignInLimiter:
    """At most `limit` failed sign-ins a minute for one user from one address; the next is
    refused without checking the password until the oldest failure is a minute old."""

    limit: int = FAILURES_PER_MINUTE
    window: float = 60.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def wait(self, user: str, address: str) -> float:
        """Seconds until a sign-in may be tried again (0: now)."""
        now = time.monotonic()
        with self._lock:
            seen = self._failures.get((user.lower(), address))
            if not seen:
                return 0.0
            while seen and now - seen[0] >= self.window:
                seen.popleft()
            if len(seen) < self.limit:
                return 0.0
            return self.window - (now - seen[0])

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.setdefault((user.lower(), address), deque()).append(time.monotonic())

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user.lower(), address), None)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()
