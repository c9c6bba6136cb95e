"""Who may use the server: users and their roles, API tokens, SigV4 access keys (secrets kept
encrypted at rest), the signature check, and the audit log of every change.

```
roles.py    viewer < analyst < admin, and what each operation needs
secrets.py  the home's key file, password hashes, token and key generation
store.py    users, tokens, keys and the audit log in the state store
sigv4.py    AWS Signature Version 4, checked as AWS checks it (header and presigned)
```
"""

from __future__ import annotations

from vigil.errors import VigilError


class AuthError(VigilError):
    """A caller who is not known, not proven, or not allowed. `kind` is one of
    missing | unknown_key | bad_signature | expired | bad_token | bad_password | forbidden."""

    def __init__(self, kind: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
