"""Flash's ``sign``: SHA-256, upper-case hex, over the sorted non-blank parameters plus ``&key=<secret>``.

From Flash's "Signature Algorithm" section (open-docs.flashexpress.com):

1. take every parameter sent or received except ``sign``;
2. leave out parameters whose value is empty or made only of blank characters (they may still be sent);
3. sort by parameter name, ASCII ascending, case-sensitive;
4. join as ``k1=v1&k2=v2...`` with the raw values - signing happens **before** URL-encoding, and the server
   URL-decodes before it verifies;
5. append ``&key=<secret>``; SHA-256; upper-case hex.

Verifiers must sign whatever fields arrive (Flash may add fields). The blank characters are the ones the doc
lists - TAB, LF, VT, FF, CR and U+001C..U+001F - plus the plain space (the doc's own example ``" \\t\\n"`` is blank,
and so is the reference's test vector's ``remark=" "``): Java's ``Character.isWhitespace`` set.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

BLANK = frozenset(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")


def is_blank(value: str) -> bool:
    return all(ch in BLANK for ch in value)  # "" is blank too


def string_to_sign(params: Mapping[str, str], key: str, only: Iterable[str] | None = None) -> str:
    """``k1=v1&k2=v2&...&key=<secret>`` over the non-blank parameters (``sign`` excluded), sorted by name.

    ``only`` restricts the set (webhooks signed over mchId and nonceStr only)."""
    allowed = None if only is None else set(only)
    names = sorted(
        name
        for name, value in params.items()
        if name != "sign" and not is_blank(value) and (allowed is None or name in allowed)
    )
    joined = "&".join(f"{name}={params[name]}" for name in names)
    return f"{joined}&key={key}"  # stringA + "&key=" + secret, literally


def sign(params: Mapping[str, str], key: str, only: Iterable[str] | None = None) -> str:
    return hashlib.sha256(string_to_sign(params, key, only).encode("utf-8")).hexdigest().upper()


def verify(params: Mapping[str, str], key: str) -> bool:
    """True when ``params["sign"]`` is the signature of the other parameters (constant-time compare).

    The comparison is exact: Flash specifies upper-case hex."""
    received = params.get("sign", "")
    if not received:
        return False
    return hmac.compare_digest(received.encode("utf-8"), sign(params, key).encode("utf-8"))
