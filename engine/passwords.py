"""Password hashing with scrypt from the standard library (engine may not import werkzeug)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Cost parameters of new hashes; each hash records its own, so lowering them (as the tests do
# to save time) never breaks existing hashes.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form ``scrypt:N:r:p$salt$hash``."""
    salt = secrets.token_hex(16)
    n, r, p = SCRYPT_N, SCRYPT_R, SCRYPT_P
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt.encode(), n=n, r=r, p=p, dklen=32)
    return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """True when ``password`` matches ``stored``; False for an empty or malformed hash."""
    try:
        method, salt, expected = stored.split("$", 2)
        name, n, r, p = method.split(":")
    except ValueError:
        return False
    if name != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt.encode(), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(digest.hex(), expected)


def random_password() -> str:
    return secrets.token_urlsafe(12)
