"""Time-sortable identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

Sorting by id sorts by creation time, which keeps list pages stable without a separate sort key.
"""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id(prefix: str, now_epoch: float) -> str:
    """``<prefix>_<26 chars>``; ``now_epoch`` comes from the clock port so tests control order."""
    ms = int(now_epoch * 1000) & ((1 << 48) - 1)
    return f"{prefix}_{_b32(ms, 10)}{_b32(secrets.randbits(80), 16)}"
