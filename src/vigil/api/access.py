"""Users, roles, API tokens, SigV4 access keys and the audit log; how the server proves who is
calling. A key or token made without a user belongs to the built-in `admin` user."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from vigil.access import AuthError as AuthError
from vigil.access import sigv4 as _sigv4
from vigil.access.roles import BUILTIN_ADMIN as BUILTIN_ADMIN
from vigil.access.roles import Need as Need
from vigil.access.roles import Role as Role
from vigil.access.roles import permits as permits
from vigil.access.roles import role_of as role_of
from vigil.access.sessions import Session as Session
from vigil.access.sessions import Sessions as Sessions
from vigil.access.sessions import SignInLimiter as SignInLimiter
from vigil.access.sessions import csrf_matches as csrf_matches
from vigil.access.store import AccessStore
from vigil.access.store import AuditEntry as AuditEntry
from vigil.access.store import KeyRow as KeyRow
from vigil.access.store import Principal as Principal
from vigil.access.store import TokenRow as TokenRow
from vigil.access.store import User as User
from vigil.config import Settings

SignedRequest = _sigv4.Request
CLI = Principal(BUILTIN_ADMIN, Role.ADMIN, "cli")  # the owner of the home, at its terminal


def create_user(settings: Settings, name: str, role: str, password: str | None) -> User:
    with AccessStore(settings) as store:
        user = store.create_user(name, role_of(role), password)
        store.audit(CLI.user, "users.create", target=name, source="cli", detail={"role": role})
    return user


def users(settings: Settings) -> list[User]:
    with AccessStore(settings) as store:
        return store.users()


def set_password(settings: Settings, name: str, password: str) -> None:
    with AccessStore(settings) as store:
        store.set_password(name, password)
        store.audit(CLI.user, "users.set-password", target=name, source="cli")


def delete_user(settings: Settings, name: str) -> None:
    with AccessStore(settings) as store:
        store.delete_user(name)
        store.audit(CLI.user, "users.remove", target=name, source="cli")


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once
    id: str
    user: str


def create_token(settings: Settings, user: str | None = None, label: str = "") -> NewToken:
    owner = user or BUILTIN_ADMIN
    with AccessStore(settings) as store:
        ident, token = store.create_token(owner, label)
        store.audit(CLI.user, "tokens.create", target=ident, source="cli", detail={"user": owner})
    return NewToken(token, ident, owner)


def tokens(settings: Settings) -> list[TokenRow]:
    with AccessStore(settings) as store:
        return store.tokens()


def revoke_token(settings: Settings, ident: str) -> None:
    with AccessStore(settings) as store:
        store.revoke_token(ident)
        store.audit(CLI.user, "tokens.revoke", target=ident, source="cli")


def create_key(settings: Settings, user: str | None = None) -> dict[str, str]:
    """{AccessKeyId, SecretAccessKey, UserName}: the secret is shown this once."""
    owner = user or BUILTIN_ADMIN
    with AccessStore(settings) as store:
        key_id, secret = store.create_key(owner)
        store.audit(CLI.user, "keys.create", target=key_id, source="cli", detail={"user": owner})
    return {"AccessKeyId": key_id, "SecretAccessKey": secret, "UserName": owner}


def keys(settings: Settings) -> list[KeyRow]:
    with AccessStore(settings) as store:
        return store.keys()


def delete_key(settings: Settings, key_id: str) -> None:
    with AccessStore(settings) as store:
        store.delete_key(key_id)
        store.audit(CLI.user, "keys.remove", target=key_id, source="cli")


def audit(
    settings: Settings,
    who: Principal,
    action: str,
    *,
    target: str = "",
    source: str = "",
    result: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    with AccessStore(settings) as store:
        store.audit(who.user, action, target=target, source=source, result=result, detail=detail)


def audit_many(settings: Settings, who: Principal, action: str, targets: list[str], *,
               source: str = "", detail: dict[str, Any] | None = None) -> None:  # fmt: skip
    with AccessStore(settings) as store:
        store.audit_many(who.user, action, targets, source=source, detail=detail)


def audit_log(
    settings: Settings, limit: int = 100, user: str | None = None, target: str | None = None
) -> list[AuditEntry]:
    with AccessStore(settings) as store:
        return store.audit_log(limit, user, target)


class Gate:
    """The server's door: who a token, a SigV4 signature or a password belongs to. Lookups are
    cached for a few seconds (a revoked token or key stops working within `ttl`)."""

    def __init__(self, settings: Settings, ttl: float = 5.0) -> None:
        self.settings = settings
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, Principal | None]] = {}
        self._keys: dict[str, tuple[float, tuple[str, Principal] | None]] = {}
        self._users: dict[str, tuple[float, Role | None]] = {}

    def token(self, token: str) -> Principal:
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(token)
        if hit is None or now - hit[0] > self.ttl:
            with AccessStore(self.settings) as store:
                try:
                    found: Principal | None = store.token_principal(token)
                except AuthError:
                    found = None
            hit = (now, found)
            with self._lock:
                self._tokens[token] = hit
        if hit[1] is None:
            raise AuthError("bad_token", "the token is not valid (unknown or revoked)",
                            hint="vigil tokens create --user NAME")  # fmt: skip
        return hit[1]

    def _key(self, key_id: str) -> tuple[str, Principal] | None:
        now = time.monotonic()
        with self._lock:
            hit = self._keys.get(key_id)
        if hit is None or now - hit[0] > self.ttl:
            with AccessStore(self.settings) as store:
                hit = (now, store.key_secret(key_id))
            with self._lock:
                self._keys[key_id] = hit
        return hit[1]

    def sigv4(self, request: SignedRequest) -> tuple[Principal, _sigv4.Signed]:
        signed = _sigv4.verify(request, lambda k: (found := self._key(k)) and found[0])
        found = self._key(signed.access_key_id)
        assert found is not None
        return found[1], signed

    def current(self, who: Principal) -> Principal | None:
        """The user as they are now (a session's role follows changes; None: deleted)."""
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(who.user)
        if hit is None or now - hit[0] > self.ttl:
            with AccessStore(self.settings) as store:
                try:
                    role: Role | None = store.user(who.user).role
                except Exception:
                    role = None
            hit = (now, role)
            with self._lock:
                self._users[who.user] = hit
        return None if hit[1] is None else Principal(who.user, hit[1], who.via, who.key)

    def password(self, user: str, password: str) -> Principal:
        with AccessStore(self.settings) as store:
            return store.sign_in(user, password)


def is_signed(request: SignedRequest) -> bool:
    return _sigv4.is_signed(request)


def pairs_of(query_string: str) -> list[tuple[str, str]]:
    return _sigv4.pairs_of(query_string)
