"""The FOP request signature.

``sign`` = MD5 hex of ``app_key<app_key>format<format>method<method>timestamp<timestamp>v<v>`` (names and values
glued, no separators, in exactly that order; ``access_token``, ``language`` and ``sign`` itself left out), then
the raw body text, then the app secret. Public FOP clients send it lower-case (a Java FOP client, a TypeScript
connector) or upper-case (a PHP client); which case 4PX's server insists on is UNCONFIRMED, so both are accepted.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNED_PARAMS = ("app_key", "format", "method", "timestamp", "v")


def sign(app_key: str, fmt: str, method: str, timestamp: str, version: str, body: bytes, secret: str) -> str:
    """Lower-case hex MD5 over the canonical string (the body as the exact bytes sent)."""
    prefix = f"app_key{app_key}format{fmt}method{method}timestamp{timestamp}v{version}".encode()
    return hashlib.md5(prefix + body + secret.encode("utf-8"), usedforsecurity=False).hexdigest()


def verify(params: dict[str, str], body: bytes, secret: str) -> bool:
    expected = sign(
        params.get("app_key", ""),
        params.get("format", ""),
        params.get("method", ""),
        params.get("timestamp", ""),
        params.get("v", ""),
        body,
        secret,
    )
    given = params.get("sign", "").strip().lower()
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8"))
