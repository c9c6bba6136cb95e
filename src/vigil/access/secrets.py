"""Secrets at rest. Access-key secrets must be recoverable (SigV4 needs them to recompute a
signature), so they are encrypted with a key file of the home, readable by its owner only.
Passwords and tokens are only ever compared, so only their hashes are kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import string
from pathlib import Path
from typing import TYPE_CHECKING, Final

from vigil.errors import ConfigError

if TYPE_CHECKING:  # cryptography loads when a key is used, not with every command
    from cryptography.fernet import Fernet

KEY_FILE: Final = "secret.key"
_SCRYPT: Final = (2**14, 8, 1)
_KEY_ALPHABET: Final = string.ascii_uppercase + "234567"


def key_file(home: Path) -> Fernet:
    """The home's encryption key, made (mode 0600) on first use."""
    from cryptography.fernet import Fernet

    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"{path} is readable by others (mode {mode:o})",
                          hint=f"chmod 600 {path}")  # fmt: skip
    return Fernet(path.read_bytes().strip())


def encrypt(home: Path, secret: str) -> bytes:
    return key_file(home).encrypt(secret.encode())


def decrypt(home: Path, blob: bytes) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return key_file(home).decrypt(blob).decode()
    except InvalidToken:
        raise ConfigError(f"an access key cannot be decrypted with {home / KEY_FILE}",
                          hint="the key file was replaced; create the key again "
                          "(vigil keys create)") from None  # fmt: skip


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    n, r, p = _SCRYPT
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p)
    return "$".join(["scrypt", str(n), str(r), str(p), salt.hex(), digest.hex()])


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                              p=int(p))  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


def new_token() -> tuple[str, str]:
    """(id, token): the id is the token's public prefix, shown in listings."""
    ident = secrets.token_hex(4)
    return ident, f"vgl_{ident}_{secrets.token_urlsafe(30)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_access_key() -> tuple[str, str]:
    """(AccessKeyId, SecretAccessKey) shaped as AWS's: 20 characters starting AKIA, and 40."""
    key_id = "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    secret = base64.b64encode(os.urandom(30)).decode()
    return key_id, secret
