"""Merchants, their users and API keys: the tenancy everything else hangs from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kiriman.clock import Clock
from kiriman.domain.access import Principal, Role
from kiriman.domain.credentials import IssuedKey, hash_key, issue_key, parse_bearer
from kiriman.domain.errors import Forbidden, NotFound, Unauthorized
from kiriman.ids import new_id


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    contact_email: str | None
    status: str
    created_at: float
    # Shopee advises arranging shipment no sooner than about an hour after the order was placed, while the
    # buyer may still cancel freely (Open Platform v2 ``mass_ship_order`` / ``batch_ship_order`` notes):
    # packages wait out that hour unless the merchant opts in to ship at once.
    arrange_within_first_hour: bool = False


@dataclass(frozen=True)
class User:
    user_id: str
    merchant_id: str | None
    role: Role
    display_name: str
    warehouse_id: str | None
    created_at: float


@dataclass(frozen=True)
class ApiKey:
    """What is stored of a key: its hash and the principal it stands for, never the key itself."""

    key_hash: str
    prefix: str
    user_id: str
    merchant_id: str | None
    role: Role
    warehouse_id: str | None
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None
    label: str | None = None

    def principal(self) -> Principal:
        return Principal(
            user_id=self.user_id,
            role=self.role,
            merchant_id=self.merchant_id,
            warehouse_id=self.warehouse_id,
            key_prefix=self.prefix,
        )


class MerchantStore(Protocol):
    def create_merchant(self, merchant: Merchant, admin: User, key: ApiKey) -> None: ...
    def get_merchant(self, merchant_id: str) -> Merchant | None: ...
    def list_merchants(self, limit: int, cursor: str | None) -> tuple[list[Merchant], str | None]: ...
    def update_merchant_settings(self, merchant_id: str, arrange_within_first_hour: bool) -> Merchant | None: ...


class CredentialStore(Protocol):
    def get_api_key(self, key_hash: str) -> ApiKey | None: ...
    def create_user_with_key(self, user: User, key: ApiKey) -> None: ...
    def touch_api_key(self, key_hash: str, at: float, resolution_s: float) -> None: ...


@dataclass(frozen=True)
class MerchantCreated:
    merchant: Merchant
    admin: User
    api_key: str  # plaintext: returned once to the caller, never stored
    key_prefix: str


def key_record(issued: IssuedKey, user: User, now: float, label: str | None) -> ApiKey:
    """What is stored of a freshly issued key: its hash and the user it stands for."""
    return ApiKey(
        key_hash=issued.key_hash,
        prefix=issued.prefix,
        user_id=user.user_id,
        merchant_id=user.merchant_id,
        role=user.role,
        warehouse_id=user.warehouse_id,
        created_at=now,
        label=label,
    )


def create_merchant(
    store: MerchantStore, clock: Clock, name: str, contact_email: str | None, key_env: str = "live",
    arrange_within_first_hour: bool = False,
) -> MerchantCreated:
    """A merchant, its first admin user and that user's API key, written together or not at all."""
    now = clock.time()
    merchant = Merchant(
        merchant_id=new_id("mer", now), name=name, contact_email=contact_email, status="active", created_at=now,
        arrange_within_first_hour=arrange_within_first_hour,
    )
    admin = User(
        user_id=new_id("usr", now),
        merchant_id=merchant.merchant_id,
        role=Role.MERCHANT_ADMIN,
        display_name=f"{name} admin",
        warehouse_id=None,
        created_at=now,
    )
    issued = issue_key(key_env)
    store.create_merchant(merchant, admin, key_record(issued, admin, now, "initial"))
    return MerchantCreated(merchant=merchant, admin=admin, api_key=issued.plaintext, key_prefix=issued.prefix)


def get_merchant(store: MerchantStore, principal: Principal, merchant_id: str) -> Merchant:
    """Operators read any merchant; a merchant user only its own (others are 404, not 403)."""
    if not principal.role.is_operator and principal.merchant_id != merchant_id:
        raise NotFound("merchant not found")
    merchant = store.get_merchant(merchant_id)
    if merchant is None:
        raise NotFound("merchant not found")
    return merchant


def update_settings(store: MerchantStore, principal: Principal, merchant_id: str,
                    arrange_within_first_hour: bool) -> Merchant:
    """A merchant's admin changes its own settings; an operator admin any merchant's."""
    get_merchant(store, principal, merchant_id)
    updated = store.update_merchant_settings(merchant_id, arrange_within_first_hour)
    if updated is None:
        raise NotFound("merchant not found")
    return updated


def create_operator(
    store: CredentialStore, clock: Clock, display_name: str, role: Role = Role.ADMIN, plaintext: str | None = None
) -> str:
    """An operator user and key (bootstrap and tests); returns the plaintext key once."""
    if not role.is_operator:
        raise Forbidden("operators need an operator role")
    now = clock.time()
    user = User(new_id("usr", now), None, role, display_name, None, now)
    if plaintext is None:
        issued = issue_key()
    else:
        prefix = plaintext.split("_")[2] if plaintext.count("_") >= 3 else plaintext[:8]
        issued = IssuedKey(plaintext=plaintext, prefix=prefix, key_hash=hash_key(plaintext))
    store.create_user_with_key(user, key_record(issued, user, now, "bootstrap"))
    return issued.plaintext


# How often the last-used time of a key is written (one write per key per interval at most).
LAST_USED_RESOLUTION_S = 300


def authenticate(store: CredentialStore, authorization: str | None, now: float) -> Principal:
    """The principal behind an ``Authorization`` header; Unauthorized for anything else.

    A key whose revocation lies in the future (a rotation's grace period) still works until then.
    """
    key = parse_bearer(authorization)
    if key is None:
        raise Unauthorized("missing or malformed bearer key")
    key_hash = hash_key(key)
    record = store.get_api_key(key_hash)
    if record is None or (record.revoked_at is not None and record.revoked_at <= now):
        raise Unauthorized("unknown or revoked key")
    store.touch_api_key(key_hash, now, LAST_USED_RESOLUTION_S)
    return record.principal()
