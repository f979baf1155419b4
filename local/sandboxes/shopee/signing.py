"""Request signing and push signing, as published by Shopee.

API calls (open.shopee.com developer guide "API calls" > "Signature calculation", and
"Authorization and Authentication"): ``sign = lowercase hex HMAC-SHA256(partner_key, base_string)`` where
the base string is the plain concatenation, without separators, of

* Public APIs:   partner_id + api_path + timestamp
* Shop APIs:     partner_id + api_path + timestamp + access_token + shop_id
* Merchant APIs: partner_id + api_path + timestamp + access_token + merchant_id

``api_path`` is the path only (no host, no query). The partner key is used as a literal UTF-8 string.

Pushes (developer guide "Push Mechanism" > "Push Authorization"): the ``Authorization`` header is the hex
HMAC-SHA256 with the partner key of ``callback_url + "|" + raw request body``.
"""

from __future__ import annotations

import hashlib
import hmac


def hmac_hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def base_string(
    partner_id: int | str,
    path: str,
    timestamp: int | str,
    access_token: str = "",
    entity_id: int | str | None = None,
) -> str:
    base = f"{partner_id}{path}{timestamp}"
    if access_token:
        base += f"{access_token}{'' if entity_id is None else entity_id}"
    return base


def sign(
    partner_key: str,
    partner_id: int | str,
    path: str,
    timestamp: int | str,
    access_token: str = "",
    entity_id: int | str | None = None,
) -> str:
    return hmac_hex(partner_key, base_string(partner_id, path, timestamp, access_token, entity_id).encode("utf-8"))


def push_authorization(partner_key: str, callback_url: str, body: bytes) -> str:
    """The push ``Authorization`` header: signs the configured callback URL verbatim (query string included)."""
    return hmac_hex(partner_key, callback_url.encode("utf-8") + b"|" + body)


def same(expected: str, given: str) -> bool:
    """Constant-time comparison. The guide asks for the "hexadecimal all-lowercase" value, so case matters."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
