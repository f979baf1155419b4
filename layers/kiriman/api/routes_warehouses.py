"""Warehouses: CRUD, with the address and the markets each one serves.

Merchant users manage their merchant's own warehouses; operators manage the forwarder's (or, naming
``merchant_id``, a merchant's, which is audited). A warehouse operator limited to one site sees only it.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, StringConstraints, field_validator

from kiriman.api.envelope import JSON
from kiriman.api.idempotency import idempotent
from kiriman.api.models import Country, Deleted, Name, Page, StrictBody, Text, printable
from kiriman.api.resolver import acting, principal, requires, runtime
from kiriman.domain import warehouses
from kiriman.domain.access import Permission
from kiriman.domain.errors import NotFound
from kiriman.domain.warehouses import MARKETS, MAX_BINS, Address, Warehouse

router = Router()
MerchantQuery = Annotated[
    str | None, Query(max_length=40, description="Operators: the merchant whose warehouses to act on.")
]


class AddressIn(StrictBody):
    name: Name
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")]
    line1: Text
    line2: Text | None = None
    city: Text
    state: Text | None = None
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9 -]{3,10}$")]
    country: Country

    _printable = field_validator("name", "line1", "line2", "city", "state")(
        lambda v: printable(v) if v is not None else v
    )

    def domain(self) -> Address:
        return Address(**self.model_dump())


def _markets(v: list[str] | None) -> list[str] | None:
    if v is None:
        return v
    bad = [m for m in v if m.upper() not in MARKETS]
    if bad:
        raise ValueError(f"unknown market(s) {bad}; expected some of {list(MARKETS)}")
    return [m.upper() for m in v]


class WarehouseIn(StrictBody):
    name: Name
    address: AddressIn
    markets: list[str] = Field(min_length=1, max_length=len(MARKETS), description="Shopee markets served.")

    _markets = field_validator("markets")(_markets)


Sku = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Bin = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")]


class WarehousePatch(StrictBody):
    name: Name | None = None
    address: AddressIn | None = None
    markets: list[str] | None = Field(None, min_length=1, max_length=len(MARKETS))
    active: bool | None = None
    bin_locations: dict[Sku, Bin | None] | None = Field(
        None, max_length=MAX_BINS, description="SKU -> bin (shelf) location, merged into the stored map; null "
        "removes a SKU. Pick lists walk the bins in order (A-2 before A-10), then SKU.")

    _markets = field_validator("markets")(_markets)


class AddressOut(BaseModel):
    name: str
    phone: str
    line1: str
    line2: str | None
    city: str
    state: str | None
    postcode: str
    country: str


class WarehouseOut(BaseModel):
    warehouse_id: str
    merchant_id: str | None = Field(description="null for the forwarder's own warehouses")
    name: str
    address: AddressOut
    markets: list[str]
    active: bool
    created_at: float
    updated_at: float
    version: int
    bin_locations: dict[str, str] = Field(default_factory=dict, description="SKU -> bin location")

    @classmethod
    def of(cls, w: Warehouse) -> "WarehouseOut":
        return cls(
            warehouse_id=w.warehouse_id,
            merchant_id=w.owner,
            name=w.name,
            address=AddressOut(**w.address.__dict__),
            markets=list(w.markets),
            active=w.active,
            created_at=w.created_at,
            updated_at=w.updated_at,
            version=w.version,
            bin_locations=dict(w.bin_locations),
        )


class WarehousePage(Page):
    items: list[WarehouseOut]


def _owner(merchant_id: str | None) -> str | None:
    return acting(merchant_id, required=False)


def _visible(w: Warehouse) -> bool:
    limit = principal().warehouse_id
    return limit is None or w.warehouse_id == limit


@router.post("/v1/warehouses", summary="Create a warehouse")
@requires(router, Permission.WAREHOUSES_WRITE)
@idempotent(router)
def create_warehouse(
    body: Annotated[WarehouseIn, Body()], merchant_id: MerchantQuery = None
) -> Response[dict[str, Any]]:
    rt = runtime()
    w = warehouses.create(
        rt.store, rt.clock, _owner(merchant_id), body.name, body.address.domain(), tuple(body.markets)
    )
    return Response(status_code=201, content_type=JSON, body=WarehouseOut.of(w).model_dump(mode="json"))


@router.get("/v1/warehouses", summary="List warehouses")
@requires(router, Permission.WAREHOUSES_READ)
def list_warehouses(
    merchant_id: MerchantQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> WarehousePage:
    items, nxt = runtime().store.list_warehouses(_owner(merchant_id), limit, cursor)
    return WarehousePage(items=[WarehouseOut.of(w) for w in items if _visible(w)], next_cursor=nxt)


@router.get("/v1/warehouses/<warehouse_id>", summary="One warehouse")
@requires(router, Permission.WAREHOUSES_READ)
def get_warehouse(warehouse_id: str, merchant_id: MerchantQuery = None) -> WarehouseOut:
    w = warehouses.get(runtime().store, _owner(merchant_id), warehouse_id)
    if not _visible(w):
        raise NotFound("warehouse not found")
    return WarehouseOut.of(w)


@router.patch("/v1/warehouses/<warehouse_id>", summary="Change a warehouse (optimistic; 409 on a race)")
@requires(router, Permission.WAREHOUSES_WRITE)
def update_warehouse(
    warehouse_id: str, body: Annotated[WarehousePatch, Body()], merchant_id: MerchantQuery = None
) -> WarehouseOut:
    rt = runtime()
    w = warehouses.update(
        rt.store,
        rt.clock,
        _owner(merchant_id),
        warehouse_id,
        name=body.name,
        address=body.address.domain() if body.address else None,
        markets=tuple(body.markets) if body.markets is not None else None,
        active=body.active,
        bin_locations=body.bin_locations,
    )
    return WarehouseOut.of(w)


@router.delete("/v1/warehouses/<warehouse_id>", summary="Delete a warehouse")
@requires(router, Permission.WAREHOUSES_WRITE)
def delete_warehouse(warehouse_id: str, merchant_id: MerchantQuery = None) -> Deleted:
    warehouses.delete(runtime().store, _owner(merchant_id), warehouse_id)
    return Deleted()
