"""Orders as synced from Shopee, with their packages (what fulfilment works on)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict

from kiriman.api.models import Page
from kiriman.api.resolver import acting, requires, runtime
from kiriman.domain import orders
from kiriman.domain.access import Permission
from kiriman.domain.orders import Order

router = Router()
STATUSES = (
    "UNPAID",
    "READY_TO_SHIP",
    "PROCESSED",
    "RETRY_SHIP",
    "SHIPPED",
    "TO_CONFIRM_RECEIVE",
    "IN_CANCEL",
    "CANCELLED",
    "TO_RETURN",
    "COMPLETED",
    "INVOICE_PENDING",
    "PENDING",
)


class PackageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    package_number: str
    logistics_status: str
    logistics_channel_id: int | None
    shipping_carrier: str
    handling: str
    items: list[dict[str, Any]]


class OrderOut(BaseModel):
    order_sn: str
    shop_id: int
    order_status: str
    region: str
    currency: str
    cod: bool
    total_amount: float | None
    create_time: int
    update_time: int
    pay_time: int | None
    ship_by_date: int | None
    shipping_carrier: str
    fulfillment_flag: str
    split_up: bool
    items: list[dict[str, Any]]
    packages: list[PackageOut]

    @classmethod
    def of(cls, o: Order) -> "OrderOut":
        # The domain dataclasses carry every field by the same name; personal data is not in this model.
        return cls.model_validate(o, from_attributes=True)


class OrderPage(Page):
    items: list[OrderOut]


@router.get("/v1/orders", summary="Orders: newest first, or by status in ship-by order")
@requires(router, Permission.ORDERS_READ)
def list_orders(
    merchant_id: Annotated[str | None, Query()] = None,
    shop_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    ship_by_before: Annotated[int | None, Query(ge=0, description="epoch seconds")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> OrderPage:
    merchant = acting(merchant_id)
    assert merchant is not None
    items, nxt = runtime().store.list_orders(merchant, limit, cursor, status, shop_id, ship_by_before)
    return OrderPage(items=[OrderOut.of(o) for o in items], next_cursor=nxt)


@router.get("/v1/orders/<order_sn>", summary="One order with its packages")
@requires(router, Permission.ORDERS_READ)
def get_order(order_sn: str, merchant_id: Annotated[str | None, Query()] = None) -> OrderOut:
    merchant = acting(merchant_id)
    assert merchant is not None
    return OrderOut.of(orders.get_order(runtime().store, merchant, order_sn))
