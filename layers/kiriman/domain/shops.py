"""Shopee shops: authorization by link and signed state, tokens kept as ciphertext, refresh under a
per-shop lease, and the flags an operator acts on (authorization expiring or revoked).

Shopee's rules ("Authorization and Authentication" guide): access tokens live 4 hours; refresh tokens
30 days and are single-use (a refresh returns a new one that replaces the old); the previous access
token stays valid 5 more minutes after a refresh; an authorization lasts at most 365 days.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from kiriman.clock import Clock
from kiriman.domain.errors import Conflict, InvalidInput, NotFound
from kiriman.logs import get_logger
from kiriman.metrics import count

log = get_logger()

STATE_TTL_S = 600
REFRESH_BEFORE_S = 45 * 60  # refresh when less than this is left of the 4-hour access token
LEASE_S = 60
EXPIRY_WARNING_S = 7 * 86400
AUTH_VALIDITY_S = 365 * 86400


@dataclass(frozen=True)
class Shop:
    shop_id: int
    merchant_id: str
    region: str
    name: str
    status: str  # active | revoked | expired
    cross_border: bool
    main_account_id: int | None
    access_token_ct: str | None
    refresh_token_ct: str | None
    access_expires_at: float | None
    auth_expires_at: float | None
    token_version: int
    connected_at: float
    updated_at: float
    watermark: float | None = None
    quota_blocked_until: float | None = None
    flags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expire_in: int


class ShopStore(Protocol):
    def link_shop(self, shop: Shop) -> None: ...
    def get_shop(self, merchant_id: str, shop_id: int) -> Shop | None: ...
    def shop_owner(self, shop_id: int) -> str | None: ...
    def list_shops(self, merchant_id: str) -> list[Shop]: ...
    def active_shops(self) -> list[tuple[str, int]]: ...
    def take_shop_lease(self, merchant_id: str, shop_id: int, owner: str, until: float, now: float) -> bool: ...
    def save_tokens(
        self, shop: Shop, expected_version: int, access_ct: str, refresh_ct: str, expires_at: float
    ) -> bool: ...
    def set_shop_status(self, merchant_id: str, shop_id: int, status: str, flags: dict[str, Any]) -> None: ...
    def set_watermark(self, merchant_id: str, shop_id: int, watermark: float) -> None: ...
    def block_shop_quota(self, merchant_id: str, shop_id: int, until: float) -> None: ...
    def use_once(self, scope: str, key: str, ttl_s: float | None = None) -> bool: ...


class TokenCipher(Protocol):
    def encrypt(self, plaintext: str, context: dict[str, str]) -> str: ...
    def decrypt(self, ciphertext: str, context: dict[str, str]) -> str: ...


class TokenExchange(Protocol):
    """The slice of the Shopee client that deals in tokens (public calls, no token needed)."""

    def get_access_token(self, code: str, shop_id: int | None = None, main_account_id: int | None = None) -> Any: ...
    def refresh_access_token(
        self, refresh_token: str, shop_id: int | None = None, merchant_id: int | None = None
    ) -> Any: ...


# --- signed, single-use state for the authorization redirect ---------------------------------
def make_state(key: bytes, merchant_id: str, now: float, redirect_after: str | None = None) -> str:
    payload = {"m": merchant_id, "n": secrets.token_urlsafe(12), "e": int(now + STATE_TTL_S)}
    if redirect_after:
        payload["r"] = redirect_after
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{mac}"


def read_state(key: bytes, state: str, now: float) -> dict[str, Any]:
    """The state's payload, if it is ours and not expired (single use is checked by the caller)."""
    body, _, mac = (state or "").partition(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
    if not body or not hmac.compare_digest(mac.encode(), expected.encode()):
        raise InvalidInput("state", "not a state this service issued")
    try:
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError as exc:
        raise InvalidInput("state", "not a state this service issued") from exc
    if float(payload.get("e", 0)) < now:
        raise InvalidInput("state", "expired; start the authorization again")
    return payload


@dataclass(frozen=True)
class Connected:
    merchant_id: str
    shop_ids: list[int]
    redirect_after: str | None
    access_expires_at: float


def complete_authorization(
    store: ShopStore,
    cipher: TokenCipher,
    exchange: TokenExchange,
    clock: Clock,
    state_key: bytes,
    state: str,
    code: str,
    shop_id: int | None,
    main_account_id: int | None,
    describe: Callable[[int, str], tuple[str, str, bool]] | None = None,
) -> Connected:
    """The public callback: check the state, spend its nonce, exchange the code, link the shop(s)."""
    now = clock.time()
    payload = read_state(state_key, state, now)
    if not code:
        raise InvalidInput("code", "missing")
    if (shop_id is None) == (main_account_id is None):
        raise InvalidInput("shop_id", "exactly one of shop_id and main_account_id")
    if not store.use_once("auth-state", str(payload["n"]), ttl_s=STATE_TTL_S * 2):
        raise InvalidInput("state", "already used; start the authorization again")
    merchant_id = str(payload["m"])
    pair = exchange.get_access_token(code, shop_id=shop_id, main_account_id=main_account_id)
    ids = [shop_id] if shop_id is not None else list(pair.shop_id_list)
    linked = []
    for sid in ids:
        region, name, cross_border = describe(sid, pair.access_token) if describe else ("", f"Shop {sid}", False)
        ctx = {"shop_id": str(sid)}
        shop = Shop(
            shop_id=sid,
            merchant_id=merchant_id,
            region=region,
            name=name,
            status="active",
            cross_border=cross_border,
            main_account_id=main_account_id,
            access_token_ct=cipher.encrypt(pair.access_token, ctx),
            refresh_token_ct=cipher.encrypt(pair.refresh_token, ctx),
            access_expires_at=now + pair.expire_in,
            auth_expires_at=now + AUTH_VALIDITY_S,
            token_version=1,
            connected_at=now,
            updated_at=now,
        )
        store.link_shop(shop)  # Conflict when another merchant owns the shop
        linked.append(sid)
    return Connected(merchant_id, linked, payload.get("r"), now + pair.expire_in)


# --- tokens -------------------------------------------------------------------------------
class ShopRevoked(Exception):
    pass


class ShopTokens:
    """Hands the Shopee client a valid access token per shop, refreshing under a lease.

    Ten workers asking at once make one refresh call: one takes the lease, the others wait for the
    token version to move. The new pair is saved only if the version read is still the stored one.
    """

    def __init__(
        self,
        store: ShopStore,
        cipher: TokenCipher,
        exchange: TokenExchange,
        clock: Clock,
        owner: str,
        wait: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._exchange = exchange
        self._clock = clock
        self._owner = owner
        self._wait = wait
        self._merchants: dict[int, str] = {}

    def _shop(self, shop_id: int) -> Shop:
        merchant = self._merchants.get(shop_id) or self._store.shop_owner(shop_id)
        if merchant is None:
            raise NotFound(f"shop {shop_id} is not linked")
        self._merchants[shop_id] = merchant
        shop = self._store.get_shop(merchant, shop_id)
        if shop is None:
            raise NotFound(f"shop {shop_id} is not linked")
        if shop.status != "active":
            raise ShopRevoked(f"shop {shop_id} is {shop.status}")
        return shop

    def access_token(self, shop_id: int) -> str:
        shop = self._shop(shop_id)
        if shop.access_expires_at is None or shop.access_expires_at - self._clock.time() < REFRESH_BEFORE_S:
            return self._refresh(shop)
        return self._cipher.decrypt(shop.access_token_ct or "", {"shop_id": str(shop_id)})

    def refresh(self, shop_id: int, stale_token: str) -> str:
        shop = self._shop(shop_id)
        current = self._cipher.decrypt(shop.access_token_ct or "", {"shop_id": str(shop_id)})
        if current != stale_token:
            return current  # someone refreshed meanwhile
        return self._refresh(shop)

    def _refresh(self, shop: Shop) -> str:
        from kiriman.shopee.errors import ShopeeInvalidRefreshToken

        ctx = {"shop_id": str(shop.shop_id)}
        deadline = self._clock.time() + LEASE_S + 5
        while not self._store.take_shop_lease(
            shop.merchant_id, shop.shop_id, self._owner, self._clock.time() + LEASE_S, self._clock.time()
        ):
            # Someone else is refreshing: wait for the version to move, then use their token.
            self._wait(0.2)
            fresh = self._shop(shop.shop_id)
            if fresh.token_version != shop.token_version:
                return self._cipher.decrypt(fresh.access_token_ct or "", ctx)
            if self._clock.time() > deadline:
                raise TimeoutError(f"shop {shop.shop_id}: token refresh lease held too long")
        fresh = self._shop(shop.shop_id)
        if fresh.token_version != shop.token_version:
            return self._cipher.decrypt(fresh.access_token_ct or "", ctx)  # refreshed before our lease
        refresh_token = self._cipher.decrypt(fresh.refresh_token_ct or "", ctx)
        try:
            pair = self._exchange.refresh_access_token(refresh_token, shop_id=shop.shop_id)
        except ShopeeInvalidRefreshToken:
            # Re-read first: a concurrent refresh may have spent the token legitimately.
            again = self._shop(shop.shop_id)
            if again.token_version != fresh.token_version:
                return self._cipher.decrypt(again.access_token_ct or "", ctx)
            self._store.set_shop_status(
                shop.merchant_id,
                shop.shop_id,
                "revoked",
                {"reason": "refresh token rejected", "at": self._clock.time()},
            )
            log.warning("shop authorization lost", extra={"shop_id": shop.shop_id})
            count("ShopAuthorizationLost")
            raise
        saved = self._store.save_tokens(
            fresh,
            fresh.token_version,
            self._cipher.encrypt(pair.access_token, ctx),
            self._cipher.encrypt(pair.refresh_token, ctx),
            self._clock.time() + pair.expire_in,
        )
        if not saved:
            raise Conflict(f"shop {shop.shop_id}: tokens changed during refresh")
        return str(pair.access_token)


def authorization_flags(shop: Shop, now: float) -> dict[str, Any]:
    """What an operator should see: revoked, or authorization ending within 7 days."""
    flags = dict(shop.flags)
    if shop.status != "active":
        flags["needs_reauthorization"] = True
    if shop.auth_expires_at is not None and shop.auth_expires_at - now < EXPIRY_WARNING_S:
        flags["authorization_expiring"] = True
    return flags


def with_flags(shop: Shop, now: float) -> Shop:
    return replace(shop, flags=authorization_flags(shop, now))
