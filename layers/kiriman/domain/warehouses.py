"""Warehouses: where parcels are packed and handed to carriers, with the markets each one serves.

A warehouse belongs to a merchant (a seller's own stock room) or to the forwarder (owner ``None``,
run by operators for many merchants).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from kiriman.clock import Clock
from kiriman.domain.errors import InvalidInput, NotFound
from kiriman.ids import new_id

MAX_BINS = 5000  # SKU -> bin entries a warehouse keeps on its own item (well inside DynamoDB's 400 KB)
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
    # SKU -> bin (shelf) location, for walking a pick list in shelf order (documents/packing.py)
    bin_locations: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


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
    bin_locations: Mapping[str, str | None] | None = None,
) -> Warehouse:
    """``bin_locations`` is merged into the stored map; a SKU given ``None`` is removed from it."""
    current = get(store, owner, warehouse_id)
    bins = dict(current.bin_locations)
    for sku, where in (bin_locations or {}).items():
        if where is None:
            bins.pop(sku, None)
        else:
            bins[sku] = where
    if len(bins) > MAX_BINS:
        raise InvalidInput("bin_locations", f"at most {MAX_BINS} SKUs per warehouse (would be {len(bins)})")
    changed = replace(
        current,
        bin_locations=bins,
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
