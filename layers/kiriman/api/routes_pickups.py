"""Carrier pickups: the day's booking per warehouse, carrier and account (domain/pickups.py).

``GET /v1/pickups?date=&warehouse_id=``. A merchant sees the bookings of its own warehouses, and those of
the forwarder's warehouses that carry its parcels (with its own parcel count only). Operators see every
booking of the day, or one merchant's view with ``merchant_id``.
"""

from datetime import date as Date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from kiriman.api.models import Page
from kiriman.api.resolver import acting, principal, requires, runtime
from kiriman.domain.access import Permission
from kiriman.domain.errors import InvalidInput
from kiriman.domain.pickups import PickupBooking

router = Router()


class PickupOut(BaseModel):
    warehouse_id: str
    warehouse_owner: str | None = Field(description="The warehouse's merchant; null for the forwarder's own.")
    carrier: str
    account_id: str
    date: str = Field(description="The warehouse's local pickup day, YYYY-MM-DD.")
    parcels: int = Field(description="Parcels the booking was made for (with_order: the day's count so far). "
                                     "For a shared forwarder warehouse, a merchant sees its own parcels.")
    latest_parcels: int = Field(description="The day's parcels at the last run (a booked count is not amended).")
    state: str = Field(description="booked, with_order (reserved by the orders: Ninja Van), failed (asked again "
                                   "on the next run) or booking (a run is asking the carrier now).")
    confirmation: str = Field(description="The carrier's pickup id (Flash ticketPickupId), when it gave one.")
    approx_volume: str = Field(description="Ninja Van: the pickup_approx_volume band the count falls in.")
    error: dict[str, Any] = Field(description="The carrier's code and message when the booking failed.")
    attempts: int
    shared: bool = Field(description="A forwarder warehouse's booking that also carries other merchants' parcels.")
    updated_at: float

    @classmethod
    def of(cls, b: PickupBooking, viewer: str | None) -> "PickupOut":
        shared = viewer is not None and b.warehouse_owner != viewer
        mine = b.merchants.get(viewer or "", 0)
        error: dict[str, Any] = dict(b.error)
        if shared:  # the forwarder's account: what went wrong, not its request ids
            error = {k: v for k, v in error.items() if k in ("code", "message", "field")}
        return cls(warehouse_id=b.warehouse_id, warehouse_owner=b.warehouse_owner, carrier=b.carrier,
                   account_id=b.account_id, date=b.day, parcels=mine if shared else b.parcels,
                   latest_parcels=mine if shared else b.latest_parcels, state=b.state.value,
                   confirmation=b.confirmation, approx_volume=str(b.detail.get("approx_volume") or ""),
                   error=error, attempts=b.attempts, shared=shared, updated_at=b.updated_at)


class PickupPage(Page):
    items: list[PickupOut]


def _day(text: str | None) -> str:
    if text is None:
        return str(runtime().clock.now().date().isoformat())
    try:
        if len(text) != 10:  # fromisoformat also takes 20260102
            raise ValueError(text)
        return Date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidInput("query.date", "a calendar date as YYYY-MM-DD") from None


@router.get("/v1/pickups", summary="The day's carrier pickups per warehouse")
@requires(router, Permission.CARRIERS_READ)
def list_pickups(
    date: Annotated[str | None, Query(max_length=32, description="YYYY-MM-DD; default today (UTC).")] = None,
    warehouse_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    merchant_id: Annotated[str | None, Query(max_length=40, description="Operators: one merchant's view.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PickupPage:
    day = _day(date)
    store = runtime().store
    merchant = acting(merchant_id, required=False)
    if merchant is None and principal().role.is_operator:
        items, nxt = store.pickup_bookings_on(day, warehouse_id, limit, cursor)
        return PickupPage(items=[PickupOut.of(b, None) for b in items], next_cursor=nxt)
    assert merchant is not None
    own = store.list_pickup_bookings(merchant, day, warehouse_id)
    shared = [b for b in store.list_pickup_bookings(None, day, warehouse_id) if b.merchants.get(merchant)]
    return PickupPage(items=[PickupOut.of(b, merchant) for b in own + shared], next_cursor=None)
