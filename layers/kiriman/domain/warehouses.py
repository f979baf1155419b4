"""Warehouses: where parcels are packed and handed to carriers, with the markets each one serves.

A warehouse belongs to a merchant (a seller's own stock room) or to the forwarder (owner ``None``,
run by operators for many merchants).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from kiriman.clock import Clock
from kiriman.domain.errors import NotFound
from kiriman.ids import new_id

MARKETS = ("SG", "MY", "TH", "VN", "PH", "TW", "ID", "BR", "MX", "CO", "CL")


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    line1: str
    line2: str | None
    city: str
    state: str | None
    postcode: str
    country: str


@dataclass(frozen=True)
class Warehouse:
    warehouse_id: str
    owner: str | None  # merchant id, or None for the forwarder's own
    name: str
    address: Address
    markets: tuple[str, ...]
    active: bool
    created_at: float
    updated_at: float
    version: int = 0


class WarehouseStore(Protocol):
    def create_warehouse(self, w: Warehouse) -> None: ...
    def get_warehouse(self, owner: str | None, warehouse_id: str) -> Warehouse | None: ...
    def list_warehouses(
        self, owner: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Warehouse], str | None]: ...
    def update_warehouse(self, w: Warehouse, expected_version: int) -> Warehouse: ...
    def delete_warehouse(self, owner: str | None, warehouse_id: str) -> bool: ...


def create(
    store: WarehouseStore, clock: Clock, owner: str | None, name: str, address: Address, markets: tuple[str, ...]
) -> Warehouse:
    now = clock.time()
    w = Warehouse(new_id("wh", now), owner, name, address, tuple(sorted(set(markets))), True, now, now)
    store.create_warehouse(w)
    return w


def get(store: WarehouseStore, owner: str | None, warehouse_id: str) -> Warehouse:
    w = store.get_warehouse(owner, warehouse_id)
    if w is None:
        raise NotFound("warehouse not found")
    return w


def update(
    store: WarehouseStore,
    clock: Clock,
    owner: str | None,
    warehouse_id: str,
    *,
    name: str | None = None,
    address: Address | None = None,
    markets: tuple[str, ...] | None = None,
    active: bool | None = None,
) -> Warehouse:
    current = get(store, owner, warehouse_id)
    changed = replace(
        current,
        name=name if name is not None else current.name,
        address=address if address is not None else current.address,
        markets=tuple(sorted(set(markets))) if markets is not None else current.markets,
        active=active if active is not None else current.active,
        updated_at=clock.time(),
        version=current.version + 1,
    )
    return store.update_warehouse(changed, expected_version=current.version)


def delete(store: WarehouseStore, owner: str | None, warehouse_id: str) -> None:
    if not store.delete_warehouse(owner, warehouse_id):
        raise NotFound("warehouse not found")
