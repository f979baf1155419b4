"""Users and their API keys: create, list, rotate, revoke. Keys are shown once and stored hashed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from kiriman.clock import Clock
from kiriman.domain.access import MERCHANT_ROLES, OPERATOR_ROLES, Principal, Role
from kiriman.domain.credentials import issue_key
from kiriman.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from kiriman.domain.merchants import ApiKey, User, key_record
from kiriman.ids import new_id

MAX_KEYS_PER_USER = 10


class UserStore(Protocol):
    def create_user_with_key(self, user: User, key: ApiKey) -> None: ...
    def get_user(self, owner: str | None, user_id: str) -> User | None: ...
    def list_users(self, owner: str | None, limit: int, cursor: str | None) -> tuple[list[User], str | None]: ...
    def put_api_key(self, key: ApiKey) -> None: ...
    def list_api_keys(self, owner: str | None, user_id: str | None) -> list[ApiKey]: ...
    def get_api_key_by_prefix(self, owner: str | None, prefix: str) -> ApiKey | None: ...
    def revoke_api_key(self, key: ApiKey, at: float) -> ApiKey: ...
    def rotate_api_key(self, old: ApiKey, new: ApiKey, revoke_old_at: float) -> None: ...
    def touch_api_key(self, key_hash: str, at: float, resolution_s: float) -> None: ...


@dataclass(frozen=True)
class IssuedUser:
    user: User
    api_key: str
    key: ApiKey


@dataclass(frozen=True)
class IssuedKey:
    api_key: str
    key: ApiKey


def _check_role_for_owner(principal: Principal, owner: str | None, role: Role, warehouse_id: str | None) -> None:
    if owner is None:  # operator users
        if role not in OPERATOR_ROLES:
            raise InvalidInput("role", f"operator users take one of {sorted(r.value for r in OPERATOR_ROLES)}")
        if principal.role is not Role.ADMIN:
            raise Forbidden("only an admin creates operator users")
    else:
        if role not in MERCHANT_ROLES:
            raise InvalidInput("role", f"merchant users take one of {sorted(r.value for r in MERCHANT_ROLES)}")
        if warehouse_id:
            raise InvalidInput("warehouse_id", "only warehouse operators are limited to a warehouse")
    if warehouse_id and role is not Role.WAREHOUSE:
        raise InvalidInput("warehouse_id", "only the warehouse role is limited to a warehouse")


def create_user(
    store: UserStore,
    clock: Clock,
    principal: Principal,
    owner: str | None,
    display_name: str,
    role: Role,
    warehouse_id: str | None = None,
) -> IssuedUser:
    """A user under ``owner`` (a merchant id, or None for operators) with its first key."""
    _check_role_for_owner(principal, owner, role, warehouse_id)
    now = clock.time()
    user = User(new_id("usr", now), owner, role, display_name, warehouse_id, now)
    issued = issue_key()
    key = key_record(issued, user, now, "initial")
    store.create_user_with_key(user, key)
    return IssuedUser(user, issued.plaintext, key)


def get_user(store: UserStore, owner: str | None, user_id: str) -> User:
    user = store.get_user(owner, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def add_key(store: UserStore, clock: Clock, owner: str | None, user_id: str, label: str | None) -> IssuedKey:
    user = get_user(store, owner, user_id)
    live = [k for k in store.list_api_keys(owner, user_id) if k.revoked_at is None]
    if len(live) >= MAX_KEYS_PER_USER:
        raise Conflict(f"a user holds at most {MAX_KEYS_PER_USER} live keys; revoke one first")
    now = clock.time()
    issued = issue_key()
    key = key_record(issued, user, now, label)
    store.put_api_key(key)
    return IssuedKey(issued.plaintext, key)


def key_by_prefix(store: UserStore, owner: str | None, prefix: str) -> ApiKey:
    key = store.get_api_key_by_prefix(owner, prefix)
    if key is None:
        raise NotFound("key not found")
    return key


def revoke_key(store: UserStore, clock: Clock, owner: str | None, prefix: str) -> ApiKey:
    key = key_by_prefix(store, owner, prefix)
    if key.revoked_at is not None and key.revoked_at <= clock.time():
        raise Conflict("key is already revoked")
    return store.revoke_api_key(key, clock.time())


def rotate_key(store: UserStore, clock: Clock, owner: str | None, prefix: str, grace_s: int) -> IssuedKey:
    """A new key for the same user; the old one keeps working for ``grace_s`` seconds, then is revoked."""
    old = key_by_prefix(store, owner, prefix)
    now = clock.time()
    if old.revoked_at is not None:
        raise Conflict("a revoked key cannot be rotated")
    issued = issue_key()
    new = replace(
        old,
        key_hash=issued.key_hash,
        prefix=issued.prefix,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
        label=old.label,
    )
    store.rotate_api_key(old, new, now + grace_s)
    return IssuedKey(issued.plaintext, new)
