"""Carrier accounts: one contract with one carrier in one country, its credentials kept in a vault.

A merchant brings their own accounts, and the forwarder (owner ``None``) has accounts it ships many
merchants' parcels with. Credentials go to the vault (Secrets Manager) and never come back out through
the API or the logs; the table keeps only the secret's name. Every shipment records the account id it
was bought with, so a carrier is never resolved by its name alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from kiriman.carriers.base import AccountConfig, Carrier
from kiriman.carriers.catalog import CARRIERS
from kiriman.carriers.ratelimit import BURST_SETTING, RATE_SETTING
from kiriman.clock import Clock
from kiriman.domain.errors import InvalidInput, NotFound
from kiriman.ids import new_id

ENVIRONMENTS = ("production", "sandbox")


@dataclass(frozen=True)
class CarrierAccount:
    account_id: str
    owner: str | None  # merchant id, or None for the forwarder's own contracts
    carrier: str
    name: str
    country: str
    environment: str
    settings: Mapping[str, str]
    services: tuple[str, ...]
    secret_name: str
    active: bool
    created_at: float
    updated_at: float
    version: int = 0
    credential_fields: tuple[str, ...] = field(default=())

    def config(self) -> AccountConfig:
        return AccountConfig(self.account_id, self.carrier, self.country, self.environment, dict(self.settings))


class AccountStore(Protocol):
    def create_carrier_account(self, a: CarrierAccount) -> None: ...
    def get_carrier_account(self, owner: str | None, account_id: str) -> CarrierAccount | None: ...
    def list_carrier_accounts(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[CarrierAccount], str | None]: ...
    def update_carrier_account(self, a: CarrierAccount, expected_version: int) -> CarrierAccount: ...


class Vault(Protocol):
    """Where credentials live. ``put`` creates or replaces; ``delete`` schedules removal."""

    def put(self, name: str, value: Mapping[str, str]) -> None: ...
    def get(self, name: str) -> dict[str, str]: ...
    def delete(self, name: str) -> None: ...


class CarrierFactory(Protocol):
    def __call__(self, account: AccountConfig, credentials: Mapping[str, str]) -> Carrier: ...


def secret_name(account_id: str) -> str:
    return f"carrier-accounts/{account_id}"


# The account's own contract limit, when its carrier gave one (carriers/ratelimit.py has the defaults).
RATE_LIMIT_SETTINGS = (RATE_SETTING, BURST_SETTING)


def _check(carrier: str, country: str, environment: str, credentials: Mapping[str, str] | None,
           settings: Mapping[str, str], services: tuple[str, ...]) -> None:
    info = CARRIERS.get(carrier)
    if info is None:
        raise InvalidInput("carrier", f"unknown carrier; expected one of {sorted(CARRIERS)}")
    if country not in info.countries:
        raise InvalidInput("country", f"{info.name} serves {sorted(info.countries)}")
    if environment not in ENVIRONMENTS:
        raise InvalidInput("environment", f"expected one of {list(ENVIRONMENTS)}")
    if credentials is not None:
        for name in info.credential_fields:
            if not str(credentials.get(name) or "").strip():
                raise InvalidInput(f"credentials.{name}", f"required for {info.name}")
        for name in credentials:
            if name not in info.credential_fields:
                raise InvalidInput(f"credentials.{name}", f"not a {info.name} credential; expected "
                                   f"{list(info.credential_fields)}")
    allowed = (*info.setting_fields, *RATE_LIMIT_SETTINGS)
    for name in settings:
        if name not in allowed:
            raise InvalidInput(f"settings.{name}", f"not a {info.name} setting; expected {list(allowed)}")
    for name in RATE_LIMIT_SETTINGS:
        if name in settings:
            try:
                value = float(settings[name])
            except (TypeError, ValueError):
                value = 0.0
            if not (value > 0 and value < 10_000) or (name == BURST_SETTING and value < 1):
                raise InvalidInput(f"settings.{name}", "a positive number (calls a second; a burst of at least 1)")
    for s in services:
        if s not in info.services:
            raise InvalidInput("services", f"{s!r} is not a {info.name} service; expected {list(info.services)}")


def create(
    store: AccountStore,
    vault: Vault,
    clock: Clock,
    owner: str | None,
    *,
    carrier: str,
    name: str,
    country: str,
    environment: str,
    credentials: Mapping[str, str],
    settings: Mapping[str, str],
    services: tuple[str, ...],
) -> CarrierAccount:
    """Credentials go to the vault first; if the record cannot be written, the secret is removed again."""
    country = country.upper()
    _check(carrier, country, environment, credentials, settings, services)
    info = CARRIERS[carrier]
    now = clock.time()
    account_id = new_id("ca", now)
    account = CarrierAccount(
        account_id=account_id, owner=owner, carrier=carrier, name=name, country=country, environment=environment,
        settings=dict(settings), services=services or info.services, secret_name=secret_name(account_id),
        active=True, created_at=now, updated_at=now, credential_fields=tuple(sorted(credentials)),
    )
    vault.put(account.secret_name, {k: str(v) for k, v in credentials.items()})
    try:
        store.create_carrier_account(account)
    except Exception:
        vault.delete(account.secret_name)
        raise
    return account


def get(store: AccountStore, owner: str | None, account_id: str) -> CarrierAccount:
    a = store.get_carrier_account(owner, account_id)
    if a is None:
        raise NotFound("carrier account not found")
    return a


def update(
    store: AccountStore,
    vault: Vault,
    clock: Clock,
    owner: str | None,
    account_id: str,
    *,
    name: str | None = None,
    credentials: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    services: tuple[str, ...] | None = None,
    active: bool | None = None,
) -> CarrierAccount:
    """New credentials replace the secret's value (rotation); shipments keep pointing at the same account."""
    current = get(store, owner, account_id)
    new_settings = dict(settings) if settings is not None else dict(current.settings)
    new_services = services if services is not None else current.services
    _check(current.carrier, current.country, current.environment, credentials, new_settings, new_services)
    updated = replace(
        current,
        name=name if name is not None else current.name,
        settings=new_settings,
        services=new_services,
        active=active if active is not None else current.active,
        credential_fields=tuple(sorted(credentials)) if credentials is not None else current.credential_fields,
        updated_at=clock.time(),
        version=current.version + 1,
    )
    if credentials is not None:  # the vault first: a record never names credentials that are not there
        vault.put(current.secret_name, {k: str(v) for k, v in credentials.items()})
    store.update_carrier_account(updated, current.version)
    return updated


def retire(store: AccountStore, clock: Clock, owner: str | None, account_id: str) -> CarrierAccount:
    """Accounts are deactivated, not deleted: shipments bought with them still need them to track and void."""
    return update(store, _NoVault(), clock, owner, account_id, active=False)


def adapter(account: CarrierAccount, vault: Vault, factory: CarrierFactory) -> Carrier:
    return factory(account.config(), vault.get(account.secret_name))


class _NoVault:
    def put(self, name: str, value: Mapping[str, str]) -> None:
        raise RuntimeError("no vault")

    def get(self, name: str) -> dict[str, str]:
        raise RuntimeError("no vault")

    def delete(self, name: str) -> None:
        raise RuntimeError("no vault")
