"""Shopee's error envelope mapped to typed errors that say whether a retry can help.

The envelope is ``{"error", "message", "request_id"}`` (some samples use ``msg``); an empty or null
``error`` is success. HTTP status codes for business errors are not documented, so the body decides.
Common error codes: the ``common_error_list`` of every v2 API reference page.
"""

from __future__ import annotations

from typing import Any


class ShopeeError(Exception):
    """Any answer from Shopee that is not success. ``retryable``: may the same call succeed later?"""

    retryable = False

    def __init__(self, error: str, message: str = "", request_id: str = "", status: int | None = None) -> None:
        super().__init__(f"{error}: {message}" if message else error)
        self.error = error
        self.message = message
        self.request_id = request_id
        self.status = status


class ShopeeRetryable(ShopeeError):
    """Server trouble or throttling (``error_server``, ``error_network``, ``error_data``, 5xx, timeouts)."""

    retryable = True


class ShopeeThrottled(ShopeeRetryable):
    """``error_rate_limit``: back off and retry."""


class ShopeeQuotaExhausted(ShopeeError):
    """``error_limit``: the app's daily quota is spent; calls fail until 00:00 UTC+8. Never retried."""


class ShopeeAuthError(ShopeeError):
    """The access token is invalid or expired: refresh once, then retry."""


class ShopeeInvalidRefreshToken(ShopeeError):
    """The refresh token is used, expired or unknown; the seller may have to authorize again."""


class ShopeeShopUnlinked(ShopeeError):
    """The shop is banned, unlinked or deauthorized; stop calling for it."""


class ShopeeNotFound(ShopeeError):
    pass


class ShopeeRejected(ShopeeError):
    """A request Shopee will keep refusing as it is (parameters, state, permissions)."""


_RETRYABLE = {"error_server", "error_network", "error_data", "error_inner", "error_busi_system_error"}
_AUTH = {"invalid_access_token", "invalid_acceess_token", "error_token"}
_UNLINKED = {"invalid_partner_id", "partner_shop_no_link", "shop_no_linked", "shop_banned", "merchant_no_linked"}


def classify(error: str, message: str = "", request_id: str = "", status: int | None = None) -> ShopeeError:
    e = (error or "").strip()
    lowered = (message or "").lower()
    cls: type[ShopeeError]
    if e == "error_rate_limit":
        cls = ShopeeThrottled
    elif e == "error_limit":
        cls = ShopeeQuotaExhausted
    elif e in _RETRYABLE or e.endswith(".error_server") or (e == "error_auth" and "system error" in lowered):
        cls = ShopeeRetryable
    elif e in _AUTH or (e == "error_auth" and "access_token" in lowered):
        cls = ShopeeAuthError
    elif (e == "error_auth" and "refresh_token" in lowered) or e == "error_merchant_refresh_token":
        cls = ShopeeInvalidRefreshToken
    elif e in _UNLINKED:
        cls = ShopeeShopUnlinked
    elif e == "error_not_found" or e.endswith(".not_found"):
        cls = ShopeeNotFound
    else:
        cls = ShopeeRejected
    return cls(e, message, request_id, status)


def raise_for_envelope(body: Any, status: int) -> None:
    """Raise the typed error a response body carries; do nothing on success."""
    if status >= 500 and not isinstance(body, dict):
        raise ShopeeRetryable("http_error", f"HTTP {status}", "", status)
    if not isinstance(body, dict):
        raise ShopeeRetryable("invalid_response", f"HTTP {status}: body is not a JSON object", "", status)
    error = body.get("error")
    # Documentation samples sometimes show "-" or " " on success (UNCONFIRMED on live servers): tolerate.
    if error in (None, "", "-", " "):
        if status >= 500:
            raise ShopeeRetryable("http_error", f"HTTP {status}", str(body.get("request_id", "")), status)
        return
    message = str(body.get("message") or body.get("msg") or "")
    raise classify(str(error), message, str(body.get("request_id", "")), status)
