"""Users, tokens, access keys and the audit log, in the state store."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from vigil import clock
from vigil.access import AuthError
from vigil.access import secrets as sec
from vigil.access.roles import BUILTIN_ADMIN, Role, role_of
from vigil.errors import ConfigError
from vigil.state import Store

USER_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+=,-]{0,63}")


@dataclass(frozen=True)
class Principal:
    """Who is calling, and how they proved it (token, key, password, session, cli, anonymous)."""

    user: str
    role: Role
    via: str
    key: str = ""  # the token id or access key id


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    can_sign_in: bool
    created_at: str


@dataclass(frozen=True)
class TokenRow:
    """A token as listed: its id and owner, never the token."""

    id: str
    user: str
    label: str
    created_at: str
    last_used_at: str | None


@dataclass(frozen=True)
class KeyRow:
    """An access key as listed: its id, owner and status, never the secret."""

    access_key_id: str
    user: str
    status: str
    created_at: str
    last_used_at: str | None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    user: str
    action: str
    target: str
    source: str
    result: str
    detail: dict[str, Any]


class AccessStore(Store):
    def _ensure_admin(self) -> None:
        self.state.db.execute(
            "INSERT OR IGNORE INTO users (name, role, password, created_at) VALUES (?, ?, NULL, ?)",
            (BUILTIN_ADMIN, Role.ADMIN, clock.iso(clock.utc_now())),
        )

    # users
    def create_user(self, name: str, role: Role, password: str | None) -> User:
        if not USER_NAME.fullmatch(name):
            raise ConfigError(f"user name {name!r} is not valid",
                              hint="1-64 letters, digits and _.@+=,- (starting with a letter "
                              "or digit)")  # fmt: skip
        self._ensure_admin()
        hashed = sec.hash_password(password) if password else None
        with self.state.transaction() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise ConfigError(f"user {name!r} already exists",
                                  hint="vigil users list; vigil users set-password NAME "
                                  "--password-stdin changes a password")  # fmt: skip
            db.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                       (name, role, hashed, clock.iso(clock.utc_now())))  # fmt: skip
        return self.user(name)

    def set_password(self, name: str, password: str) -> None:
        self.user(name)
        with self.state.transaction() as db:
            db.execute("UPDATE users SET password = ? WHERE name = ?",
                       (sec.hash_password(password), name))  # fmt: skip
            db.execute("DELETE FROM console_sessions WHERE user = ?", (name,))  # signed out

    def delete_user(self, name: str) -> None:
        if name == BUILTIN_ADMIN:
            raise ConfigError("the built-in admin user cannot be removed",
                              hint="remove its tokens and keys instead")  # fmt: skip
        self.user(name)
        with self.state.transaction() as db:
            for table in ("users", "tokens", "access_keys", "console_sessions"):
                column = "name" if table == "users" else "user"
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def user(self, name: str) -> User:
        self._ensure_admin()
        row = self.state.db.execute(
            "SELECT name, role, password IS NOT NULL, created_at FROM users WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise ConfigError(f"no user {name!r}", hint="vigil users create NAME --role R "
                              "--password-stdin")  # fmt: skip
        return User(row[0], role_of(row[1]), bool(row[2]), row[3])

    def users(self) -> list[User]:
        self._ensure_admin()
        rows = self.state.db.execute(
            "SELECT name, role, password IS NOT NULL, created_at FROM users ORDER BY name"
        ).fetchall()
        return [User(r[0], role_of(r[1]), bool(r[2]), r[3]) for r in rows]

    def sign_in(self, name: str, password: str) -> Principal:
        row = self.state.db.execute("SELECT role, password FROM users WHERE name = ?",
                                    (name,)).fetchone()  # fmt: skip
        # The hash is computed even for an unknown user, so timing does not tell names apart.
        stored = row[1] if row else sec.hash_password("x")
        if not sec.check_password(password, stored) or row is None:
            raise AuthError("bad_password", "the user name or password is wrong")
        return Principal(name, role_of(row[0]), "password")

    # tokens
    def create_token(self, user: str, label: str = "") -> tuple[str, str]:
        self.user(user)
        ident, token = sec.new_token()
        with self.state.transaction() as db:
            db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL)",
                       (ident, user, sec.token_digest(token), label,
                        clock.iso(clock.utc_now())))  # fmt: skip
        return ident, token

    def tokens(self) -> list[TokenRow]:
        rows = self.state.db.execute(
            "SELECT id, user, label, created_at, last_used_at FROM tokens ORDER BY created_at"
        ).fetchall()
        return [TokenRow(*r) for r in rows]

    def revoke_token(self, ident: str) -> None:
        with self.state.transaction() as db:
            if not db.execute("DELETE FROM tokens WHERE id = ?", (ident,)).rowcount:
                raise ConfigError(f"no token {ident!r}", hint="vigil tokens list")

    def token_principal(self, token: str) -> Principal:
        row = self.state.db.execute(
            "SELECT t.id, t.user, u.role FROM tokens t JOIN users u ON u.name = t.user "
            "WHERE t.digest = ?", (sec.token_digest(token),)
        ).fetchone()  # fmt: skip
        if row is None:
            raise AuthError("bad_token", "the token is not valid (unknown or revoked)",
                            hint="vigil tokens create --user NAME")  # fmt: skip
        return Principal(row[1], role_of(row[2]), "token", row[0])

    # access keys
    def create_key(self, user: str) -> tuple[str, str]:
        self.user(user)
        key_id, secret = sec.new_access_key()
        blob = sec.encrypt(self.settings.home, secret)
        with self.state.transaction() as db:
            db.execute("INSERT INTO access_keys VALUES (?, ?, ?, 'Active', ?, NULL)",
                       (key_id, user, blob, clock.iso(clock.utc_now())))  # fmt: skip
        return key_id, secret

    def keys(self) -> list[KeyRow]:
        rows = self.state.db.execute(
            "SELECT access_key_id, user, status, created_at, last_used_at FROM access_keys "
            "ORDER BY created_at"
        ).fetchall()
        return [KeyRow(*r) for r in rows]

    def delete_key(self, key_id: str) -> None:
        with self.state.transaction() as db:
            if not db.execute("DELETE FROM access_keys WHERE access_key_id = ?",
                              (key_id,)).rowcount:  # fmt: skip
                raise ConfigError(f"no access key {key_id!r}", hint="vigil keys list")

    def key_secret(self, key_id: str) -> tuple[str, Principal] | None:
        row = self.state.db.execute(
            "SELECT k.secret, k.user, u.role FROM access_keys k JOIN users u ON u.name = k.user "
            "WHERE k.access_key_id = ? AND k.status = 'Active'", (key_id,)
        ).fetchone()  # fmt: skip
        if row is None:
            return None
        return sec.decrypt(self.settings.home, row[0]), Principal(
            row[1], role_of(row[2]), "sigv4", key_id
        )

    # audit
    def audit(self, who: str, action: str, *, target: str = "", source: str = "",
              result: str = "ok", detail: dict[str, Any] | None = None) -> None:  # fmt: skip
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO audit_log (ts, user, action, target, source, result, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (clock.now_ms(), who, action, target, source, result,
                 json.dumps(detail or {}, default=str, sort_keys=True)),
            )  # fmt: skip

    def audit_many(self, who: str, action: str, targets: list[str], *, source: str = "",
                   detail: dict[str, Any] | None = None) -> None:  # fmt: skip
        """One entry a target, in one transaction (a bulk change: each finding's history)."""
        text, ts = json.dumps(detail or {}, default=str, sort_keys=True), clock.now_ms()
        with self.state.transaction() as db:
            db.executemany(
                "INSERT INTO audit_log (ts, user, action, target, source, result, detail) "
                "VALUES (?, ?, ?, ?, ?, 'ok', ?)",
                [(ts, who, action, t, source, text) for t in targets],
            )

    def audit_log(self, limit: int = 100, user: str | None = None,
                  target: str | None = None) -> list[AuditEntry]:  # fmt: skip
        sql = "SELECT seq, ts, user, action, target, source, result, detail FROM audit_log"
        where, args = [], []
        for column, value in (("user", user), ("target", target)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.state.db.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit))
        return [AuditEntry(seq, clock.iso_ms(ts) or "", who, action, target, source, result,
                           json.loads(detail))
                for seq, ts, who, action, target, source, result, detail in rows]  # fmt: skip
