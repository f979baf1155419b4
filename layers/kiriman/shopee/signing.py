"""Request and push signatures.

Requests ("API calls" guide, section "Signature"): ``sign = hex(HMAC-SHA256(partner_key, base))`` where
``base`` is, with no separators, ``partner_id + api_path + timestamp`` for Public APIs, plus
``access_token + shop_id`` for Shop APIs or ``access_token + merchant_id`` for Merchant APIs. The
partner key is used as its literal UTF-8 string.

Pushes ("Push Mechanism" guide, "Verify the push"): header ``Authorization`` is
``hex(HMAC-SHA256(partner_key, callback_url + "|" + raw_body))``, with the callback URL exactly as
configured in the console and the raw body bytes (never re-serialised JSON).
"""

from __future__ import annotations

import hashlib
import hmac


def base_string(
    partner_id: int, path: str, timestamp: int, access_token: str = "", entity_id: int | None = None
) -> str:
    base = f"{partner_id}{path}{timestamp}"
    if access_token:
        if entity_id is None:
            raise ValueError("shop and merchant calls sign access_token together with shop_id or merchant_id")
        base += f"{access_token}{entity_id}"
    return base


def sign(
    partner_key: str, partner_id: int, path: str, timestamp: int, access_token: str = "", entity_id: int | None = None
) -> str:
    msg = base_string(partner_id, path, timestamp, access_token, entity_id)
    return hmac.new(partner_key.encode(), msg.encode(), hashlib.sha256).hexdigest()


def push_signature(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + raw_body, hashlib.sha256).hexdigest()


def verify_push(partner_key: str, callback_url: str, raw_body: bytes, header: str | None) -> bool:
    """Constant-time check of a push's ``Authorization`` header against the configured callback URL."""
    if not header:
        return False
    expected = push_signature(partner_key, callback_url, raw_body)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())
