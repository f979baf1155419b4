"""API keys: random, shown once, stored only as a SHA-256 hash, recognisable by a short prefix.

A key is ``kf_<env>_<prefix>_<secret>`` with 8 characters of prefix and 32 of secret (about 190 bits).
A fast hash is right here: the key is random, not a password, so there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class IssuedKey:
    plaintext: str
    prefix: str
    key_hash: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_key(env: str = "live") -> IssuedKey:
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(32))
    plaintext = f"kf_{env}_{prefix}_{secret}"
    return IssuedKey(plaintext=plaintext, prefix=prefix, key_hash=hash_key(plaintext))


def parse_bearer(header: str | None) -> str | None:
    """The key from ``Authorization: Bearer <key>``, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith("kf_") or len(value) > 200:
        return None
    return value


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
